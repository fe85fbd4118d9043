"""LookUpTimes, BookTime, CancelBooking: the database decides; the booking step hears the facts."""
from __future__ import annotations

from bot.domain.bookings import bookings
from bot.engine.actions import BOOKING_ACTIONS
from bot.jobs.effects import Effects, handles


@handles(*BOOKING_ACTIONS)
def booking(action, effects: Effects) -> None:
    effects.answers.append(bookings.answer(effects.runtime, effects.session, effects.contact, action, effects.now))
