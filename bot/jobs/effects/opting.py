"""OptOut and OptIn: STOP and START, kept on the contact; sending checks it before every message."""
from __future__ import annotations

import logging

from bot.engine.actions import OptIn, OptOut
from bot.jobs.effects import Effects, handles

log = logging.getLogger(__name__)


@handles(OptOut)
def opt_out(_action: OptOut, effects: Effects) -> None:
    effects.contact.opted_out_at = effects.now
    log.info("contact %s opted out", effects.contact.id)


@handles(OptIn)
def opt_in(_action: OptIn, effects: Effects) -> None:
    effects.contact.opted_out_at = None
    log.info("contact %s opted back in", effects.contact.id)
