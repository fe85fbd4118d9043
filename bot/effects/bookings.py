"""LookUpTimes, BookTime, CancelBooking: the database decides; the booking step hears the facts."""
from __future__ import annotations

from bot import bookings
from bot.effects import Effects, handles
from bot.engine.actions import BOOKING_ACTIONS


@handles(*BOOKING_ACTIONS)
def booking(action, effects: Effects) -> None:
    effects.answers.append(bookings.answer(effects.runtime, effects.session, effects.contact, action, effects.now))
