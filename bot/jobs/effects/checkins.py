"""CheckIn: "jeg er her" marks the member as come to the event going on now, and answers."""
from __future__ import annotations

from bot.domain.attendance import checkin
from bot.engine.actions import CheckIn
from bot.jobs.effects import Effects, handles
from bot.jobs.effects.send import say


@handles(CheckIn)
def check_in(_action: CheckIn, effects: Effects) -> None:
    runtime = effects.runtime
    say(effects, checkin.check_in(runtime, effects.session, effects.contact, runtime.flows.current().communities, effects.now))
