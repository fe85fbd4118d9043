"""A validated set of flows, and how a message finds the flow it starts."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.core import textmatch
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
        exact = [t for t in self._triggers if textmatch.is_exactly(text, t.keyword)]
        if exact:
            return exact[0]
        return next((t for t in self._triggers if textmatch.matches_keyword(text, t.keyword)), None)

    def known_fields(self) -> set[str]:
        names: set[str] = set()
        for flow in self.flows.values():
            names.update(flow.fields)
            for step in flow.steps.values():
                names.update(step.saved_fields())
        return names
