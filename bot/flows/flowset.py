"""A validated set of flows, and how a message finds the flow it starts."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from bot.core import danger, textmatch
from bot.flows.model import Flow

if TYPE_CHECKING:
    from bot.flows.counselling import Counselling


@dataclass(frozen=True)
class Trigger:
    keyword: str
    flow: str
    language: str | None


@dataclass
class FlowSet:
    flows: dict[str, Flow] = field(default_factory=dict)
    communities: dict = field(default_factory=dict)
    counselling: Counselling | None = None
    moods: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        triggers = [
            Trigger(keyword, name, language)
            for name, flow in self.flows.items()
            for keyword, language in flow.keywords()
        ]
        # "TJEK IND" must be tried before a flow whose keyword is "TJEK".
        self._triggers = sorted(triggers, key=lambda t: len(textmatch.tokens(t.keyword)), reverse=True)
        # Folded and indexed once, here: every message is compared with all of them.
        self._keywords = textmatch.Keywords(trigger.keyword for trigger in self._triggers)
        self._checkin_words = textmatch.Keywords(
            word for community in self.communities.values() if community.meets for word in community.checkin.words
        )
        self.catch_all = next((name for name, flow in self.flows.items() if flow.catch_all), None)

    def instagram_owner(self, account: str) -> str | None:
        """Who an Instagram account belongs to: a community's slug, "counselling", or None."""
        if self.counselling is not None and account in self.counselling.instagram:
            return "counselling"
        return next((slug for slug, community in self.communities.items() if community.instagram == account), None)

    def is_checkin(self, text: str) -> bool:
        """Is the whole message a community's check-in word ("HER", "📍")? Never a prefix:
        "her er mit spørgsmål" is a question."""
        return self._checkin_words.exactly(text) is not None

    def match_trigger(self, text: str) -> Trigger | None:
        """The keyword the message starts a flow with. Only a keyword written as it is says which
        language was chosen: one reached through a typo ("hjlp" is a slip of HELP) implies none,
        so a Danish contact stays Danish. A typo never beats a common answer written as it is."""
        said = textmatch.folded(text)
        exact = self._keywords.exactly(said)
        if exact is not None:
            return self._triggers[exact]
        opening = self._keywords.opening(said)
        if opening is None:
            return None
        index, slips = opening
        if slips == 0:
            return self._triggers[index]
        if textmatch.begins_with_common_answer(said):
            return None  # "helt fint" is an answer, not a slip of HELP
        return replace(self._triggers[index], language=None)

    def danger_in(self, text: str) -> str | None:
        """The word of danger found in ``text``: the built-in ones and the counselling file's."""
        return self.counselling.danger_in(text) if self.counselling is not None else danger.words_of_danger().find(text)

    def is_keyword(self, text: str) -> bool:
        """Is the whole message a keyword ("hjælp", "HJLP!"), rather than a sentence opening with one?"""
        said = textmatch.folded(text)
        trigger = self.match_trigger(said)
        return trigger is not None and len(said.tokens) <= len(textmatch.tokens(trigger.keyword))

    def known_fields(self) -> set[str]:
        names: set[str] = set()
        for flow in self.flows.values():
            names.update(flow.fields)
            for step in flow.steps.values():
                names.update(step.saved_fields())
        return names
