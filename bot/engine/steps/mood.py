from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pydantic import Field

from bot.core import textmatch
from bot.engine.localized import Text
from bot.engine.steps.base import End, StepBase, Transition, Wait, Where, register

if TYPE_CHECKING:
    from bot.engine.context import Context


@register("mood")
class MoodStep(StepBase):
    """The answer to a mood check-in: 1-5, a word or an emoji; then, if asked, a few words more.

    An unclear answer is asked about once; a second one is kept as the young person's own words
    without a score, rather than asking a third time.
    """

    waits = True

    mood: str = Field(description="The mood check-in (its file name without .yaml)")
    ask_again: Text
    follow_up: Text | None = None
    thanks: Text

    def enter(self, ctx: Context) -> Transition:
        return Wait(None)

    def resume(self, ctx: Context, text: str) -> Transition:
        prompt_id = ctx.data["prompt_id"]
        if ctx.data.get("scored"):
            if not _just_no(text):  # "nej" to "vil du fortælle mere?" is not something they told
                ctx.record_mood_note(prompt_id, text)
            ctx.say(self.thanks)
            return End()
        score = textmatch.classify_mood(text)
        if score is None and not ctx.data.get("asked_again"):
            ctx.data["asked_again"] = True
            ctx.say(self.ask_again)
            return Wait(None)
        if score is None:
            ctx.record_mood_note(prompt_id, text)
            ctx.say(self.thanks)
            return End()
        ctx.record_mood(prompt_id, score, text)
        if self.follow_up is None:
            ctx.say(self.thanks)
            return End()
        ctx.data["scored"] = True
        ctx.say(self.follow_up)
        return Wait(None)

    def texts(self) -> Iterable[tuple[Where, Text]]:
        yield ("ask_again",), self.ask_again
        yield ("thanks",), self.thanks
        if self.follow_up is not None:
            yield ("follow_up",), self.follow_up


def _just_no(text: str) -> bool:
    return len(textmatch.tokens(text)) <= 3 and textmatch.classify(text, textmatch.YES_NO) == "no"
