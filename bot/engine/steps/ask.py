from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from bot.core import textmatch
from bot.engine.choices import render
from bot.engine.durations import Duration
from bot.engine.localized import Text, text_in
from bot.engine.steps.base import Continue, End, Goto, StepBase, Transition, Wait, Where, register

if TYPE_CHECKING:
    from bot.engine.context import Context

YES_KEYS = frozenset({"yes", "ja"})
NO_KEYS = frozenset({"no", "nej"})
BUILT_IN_LABELS = {
    "yes": {"da": "Ja", "en": "Yes"},
    "no": {"da": "Nej", "en": "No"},
}
# Two gentle re-asks; the third misunderstanding goes to a person instead of looping.
MAX_MISSES = 2


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: Text | None = Field(default=None, description="How the answer is shown in a list of choices")
    words: list[str] = Field(default_factory=list, description="Other words and emoji that mean this answer")
    go: str | None = Field(default=None, description="The step to go to after this answer")


@lru_cache(maxsize=1024)  # asked for every answer, every time the question is put or answered
def _builtin(key: str) -> str | None:
    folded = textmatch.fold(key)
    if folded in YES_KEYS:
        return "yes"
    if folded in NO_KEYS:
        return "no"
    return None


@register("ask")
class AskStep(StepBase):
    """Ask a question and wait for the answer; branch on it, save it, or both.

    Without ``answers`` any reply is accepted (free text). Answer names ``ja``/``yes`` and
    ``nej``/``no`` understand Danish and English yes and no, with slang and emoji.
    """

    waits = True

    ask: Text = Field(description="The question")
    answers: dict[str, Answer | None] = Field(default_factory=dict, description="Answer name -> what it means")
    save: str | None = Field(default=None, description="Save the answer (its name, or the free text) in this field")
    timeout: Duration | None = Field(default=None, description="How long to wait for an answer")
    on_timeout: str | None = Field(default=None, description="The step to go to when nobody answered in time")
    other: str | None = Field(default=None, description="The step to go to when the answer is not understood")
    skip_if_saved: bool = Field(default=False, description="Skip the question when the field in 'save' already has a value")
    list_answers: bool | None = Field(
        default=None,
        description="Show the answers as a numbered list (default: yes, unless the answers are only yes/no)",
    )

    @cached_property
    def _understood(self) -> textmatch.Lexicon:
        # The answers' words, prepared once rather than for every message. A cached property, not
        # a pydantic private attribute: those cost microseconds to read.
        options = {key: self._synonyms(key, answer) for key, answer in self.answers.items()}
        return textmatch.Lexicon.of_choices(list(options.values())) if self._listed() else textmatch.Lexicon(options)

    def _listed(self) -> bool:
        if self.list_answers is not None:
            return self.list_answers
        return bool(self.answers) and not all(_builtin(key) for key in self.answers)

    def _labels(self, language: str, render: Callable[[Text], str]) -> list[str]:
        labels = []
        for key, answer in self.answers.items():
            if answer and answer.label is not None:
                labels.append(render(answer.label))
            elif builtin := _builtin(key):
                labels.append(BUILT_IN_LABELS[builtin].get(language) or BUILT_IN_LABELS[builtin]["da"])
            else:
                labels.append(key[:1].upper() + key[1:])
        return labels

    def _synonyms(self, key: str, answer: Answer | None) -> list[str]:
        words = [key]
        if answer:
            if isinstance(answer.label, str):
                words.append(answer.label)
            elif answer.label is not None:
                words.extend(text for _, text in answer.label.variants())
            words.extend(answer.words)
        if builtin := _builtin(key):
            words.extend(textmatch.YES_NO[builtin])
        return words

    def _understand(self, text: str) -> str | None:
        if self._listed():
            index = textmatch.match_choice(text, self._understood)
            return None if index is None else list(self.answers)[index]
        return textmatch.classify(text, self._understood)

    def _put_question(self, ctx: Context, prefix: str | None = None) -> None:
        choices = self._labels(ctx.language, ctx.render) if self._listed() else None
        ctx.say(self.ask, choices=choices, prefix=prefix)

    def enter(self, ctx: Context) -> Transition:
        if self.skip_if_saved and self.save and ctx.saved(self.save):
            return Continue()
        ctx.data["misses"] = 0
        self._put_question(ctx)
        return Wait(self.timeout)

    def resume(self, ctx: Context, text: str) -> Transition:
        if not self.answers:
            if self.save:
                ctx.save(self.save, text.strip())
            return Continue()
        key = self._understand(text)
        if key is None:
            if self.other:
                return Goto(self.other)
            ctx.data["misses"] = ctx.data.get("misses", 0) + 1
            if ctx.data["misses"] > MAX_MISSES:
                ctx.hand_to_staff()
                return End()
            self._put_question(ctx, prefix=ctx.system_text("not_understood"))
            return Wait(self.timeout)
        if self.save:
            ctx.save(self.save, key)
        answer = self.answers[key]
        if answer and answer.go:
            return Goto(answer.go)
        return Continue()

    def time_out(self, ctx: Context) -> Transition:
        return Goto(self.on_timeout) if self.on_timeout else End()

    def step_references(self) -> Iterable[tuple[Where, str]]:
        yield from super().step_references()
        for key, answer in self.answers.items():
            if answer and answer.go:
                yield ("answers", key, "go"), answer.go
        if self.other:
            yield ("other",), self.other
        if self.on_timeout:
            yield ("on_timeout",), self.on_timeout

    def sms_preview(self, where: Where, language: str | None, source: str) -> str:
        if where != ("ask",) or not self._listed():
            return source
        labels = self._labels(language or "da", lambda text: text_in(text, language or "da"))
        return render("sms", source, tuple(labels))

    def texts(self) -> Iterable[tuple[Where, Text]]:
        yield ("ask",), self.ask
        for key, answer in self.answers.items():
            if answer and answer.label is not None:
                yield ("answers", key, "label"), answer.label

    def saved_fields(self) -> Iterable[str]:
        return [self.save] if self.save else []
