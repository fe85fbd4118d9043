"""SendLinkCode, CheckLinkCode: a number proved with a code; the step hears how it went."""
from __future__ import annotations

from bot import linking
from bot.effects import Effects, handles
from bot.engine.actions import LINK_ACTIONS


@handles(*LINK_ACTIONS)
def link_phone(action, effects: Effects) -> None:
    effects.answers.append(linking.answer(effects.runtime, effects.session, effects.contact, action, effects.now, effects.created))
