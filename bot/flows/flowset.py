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
        self.catch_all = next((name for name, flow in self.flows.items() if flow.catch_all), None)

    def instagram_owner(self, account: str) -> str | None:
        """Who an Instagram account belongs to: a community's slug, "counselling", or None."""
        if self.counselling is not None and account in self.counselling.instagram:
            return "counselling"
        return next((slug for slug, community in self.communities.items() if community.instagram == account), None)

    def is_checkin(self, text: str) -> bool:
        """Is the whole message a community's check-in word ("HER", "📍")? Never a prefix:
        "her er mit spørgsmål" is a question."""
        return any(
            textmatch.is_exactly(text, word) for community in self.communities.values() if community.meets for word in community.checkin.words
        )

    def match_trigger(self, text: str) -> Trigger | None:
        """The keyword the message starts a flow with. Only a keyword written as it is says which
        language was chosen: one reached through a typo ("hjlp" is a slip of HELP) implies none,
        so a Danish contact stays Danish. A typo never beats a common answer written as it is."""
        exact = [t for t in self._triggers if textmatch.is_exactly(text, t.keyword)]
        if exact:
            return exact[0]
        for trigger in self._triggers:
            slips = textmatch.keyword_slips(text, trigger.keyword)
            if slips is None:
                continue
            if slips == 0:
                return trigger
            if textmatch.begins_with_common_answer(text):
                return None  # "helt fint" is an answer, not a slip of HELP
            return replace(trigger, language=None)
        return None

    def danger_in(self, text: str) -> str | None:
        """The word of danger found in ``text``: the built-in ones and the counselling file's."""
        return self.counselling.danger_in(text) if self.counselling is not None else danger.words_of_danger().find(text)

    def is_keyword(self, text: str) -> bool:
        """Is the whole message a keyword ("hjælp", "HJLP!"), rather than a sentence opening with one?"""
        trigger = self.match_trigger(text)
        return trigger is not None and len(textmatch.tokens(text)) <= len(textmatch.tokens(trigger.keyword))

    def known_fields(self) -> set[str]:
        names: set[str] = set()
        for flow in self.flows.values():
            names.update(flow.fields)
            for step in flow.steps.values():
                names.update(step.saved_fields())
        return names
