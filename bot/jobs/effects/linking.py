"""SendLinkCode, CheckLinkCode: a number proved with a code; the step hears how it went."""
from __future__ import annotations

from bot.domain.contacts import linking
from bot.engine.actions import LINK_ACTIONS
from bot.jobs.effects import Effects, handles


@handles(*LINK_ACTIONS)
def link_phone(action, effects: Effects) -> None:
    effects.answers.append(linking.answer(effects.runtime, effects.session, effects.contact, action, effects.now, effects.created))
