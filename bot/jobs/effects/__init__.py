"""What the engine's actions do: one handler per action type, each in a module of its own.

The engine only computes (state + input -> new state + actions); these handlers are the edge that
carries the actions out, in the processing job's transaction. A new action needs its dataclass
in ``bot.engine.actions`` and a module here that registers its handler with ``@handles``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.runtime import Runtime
from bot.storage.models import Contact, InboundMessage


@dataclass
class Effects:
    """One contact's job: where the handlers write, and what they leave for after the actions."""

    runtime: Runtime
    session: Session
    contact: Contact
    now: datetime
    replying_to: InboundMessage | None
    created: list = field(default_factory=list)  # outbox rows made
    replies: list = field(default_factory=list)  # of those, the answers the job sends itself once it commits
    # Facts the edge found for a step that waits on them (a booking, a linked number): the engine
    # hears them before the next message.
    answers: list = field(default_factory=list)


Handler = Callable[[Any, Effects], None]
_HANDLERS: dict[type, Handler] = {}


def handles(*action_types: type) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for action_type in action_types:
            if action_type in _HANDLERS:
                raise RuntimeError(f"{action_type.__name__} has two handlers")
            _HANDLERS[action_type] = handler
        return handler

    return register


def carry_out(action: Any, effects: Effects) -> None:
    try:
        handler = _HANDLERS[type(action)]
    except KeyError:
        raise RuntimeError(f"no handler for the action {type(action).__name__}") from None
    handler(action, effects)


def handled_types() -> frozenset[type]:
    return frozenset(_HANDLERS)


# The handlers register themselves when their modules are imported.
from bot.jobs.effects import (  # noqa: E402, F401
    attendance,
    bookings,
    checkins,
    fields,
    linking,
    membership,
    mood,
    opting,
    send,
    staff,
)
