"""Bookable times: a community that offers 1:1 times instead of a group evening (the gym).

In the community's YAML, instead of ``schedule:``::

    bookable:
      days: [mandag, onsdag]   # weekdays, read like a schedule's days
      time: "15:00-20:00"
      slot: 1h                 # how long one time is (default 30m)
      at_once: 2               # how many can have the same time (default 1)
      ahead: 14d               # how far ahead one can book (default 14d)

Pure (no I/O, no clock): the times on offer are computed here; who has booked which is in the
database (``bot.domain.bookings.bookings``). Young people book with BOOK, cancel with AFLYS and move with FLYT:
three flows the bot makes itself (``booking_flows``), like a community's join flow.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dateutil import tz as _dtz
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from bot.core.schedule import DAY_NAMES, Days, TimeRange, _days_text
from bot.engine.durations import Duration
from bot.flows.model import Flow

# The bot's own words, in any language: a Danish contact may write CANCEL and an English one
# AFLYS, and neither changes the language they are answered in.
BOOKING_WORDS = {
    "book": ["BOOK", "BOOKE", "BOOKING"],
    "cancel": ["AFLYS", "CANCEL"],
    "move": ["FLYT", "MOVE"],
}
# A booking conversation waits this long for a pick; the next day the list would be stale.
BOOKING_EXPIRES_AFTER = "12h"
SHORTEST_SLOT = dt.timedelta(minutes=5)
# Offered when a slot does not divide the hours: the ones that do.
SLOT_SUGGESTIONS = tuple(dt.timedelta(minutes=m) for m in (15, 20, 30, 45, 60, 90, 120))
LONGEST_AHEAD = dt.timedelta(days=366)


@dataclass(frozen=True)
class Slot:
    """One bookable time: aware UTC start and end, and the local date it is on."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    local_date: dt.date


class BookableSettings(BaseModel):
    """1:1 times a young person books by text, "like at the doctor's"."""

    model_config = ConfigDict(extra="forbid")

    days: Days = Field(description="Weekday or list of weekdays (Danish or English) with bookable times, e.g. [mandag, onsdag]")
    time: TimeRange = Field(description='The local hours the times fill, e.g. "15:00-20:00"')
    slot: Duration = Field(default="30m", validate_default=True, description="How long one time is, e.g. 30m or 1h")
    at_once: int = Field(default=1, ge=1, le=50, description="How many young people can have the same time")
    ahead: Duration = Field(default="14d", validate_default=True, description="How far ahead a time can be booked, e.g. 14d")

    @field_validator("slot")
    @classmethod
    def _slot_fills_the_hours(cls, slot: dt.timedelta, info: ValidationInfo) -> dt.timedelta:
        if slot < SHORTEST_SLOT or slot.total_seconds() % 60:
            raise ValueError(f"a time must be whole minutes, at least {_minutes_text(SHORTEST_SLOT)}")
        hours = info.data.get("time")
        if hours is not None:
            start, end = hours.local_bounds(dt.date(2001, 1, 1))
            length = end - start
            if slot > length or length % slot:
                fitting = [_minutes_text(c) for c in SLOT_SUGGESTIONS if c <= length and not length % c][-2:]
                hint = f"; use e.g. {' or '.join(fitting)}" if fitting else ""
                raise ValueError(f"{_minutes_text(slot)} does not divide {hours} ({_minutes_text(length)}) into whole times{hint}")
        return slot

    @field_validator("ahead")
    @classmethod
    def _ahead_in_reason(cls, ahead: dt.timedelta, info: ValidationInfo) -> dt.timedelta:
        if ahead > LONGEST_AHEAD:
            raise ValueError(f"at most {LONGEST_AHEAD.days}d")
        if ahead < info.data.get("slot", ahead):
            raise ValueError("must be at least as long as one time (slot)")
        return ahead

    def slots(self, first: dt.date, last: dt.date, zone: ZoneInfo, closed: set[dt.date] = frozenset()) -> list[Slot]:
        """Every time on local dates in [first, last] (``closed`` dates have none), by start.

        Times are stepped in local wall-clock time, so 15:00 stays 15:00 across daylight saving;
        a time that does not exist locally (the spring-forward gap) is left out.
        """
        found = []
        day = first
        while day <= last:
            if DAY_NAMES[day.weekday()] in self.days and day not in closed:
                local, local_end = self.time.local_bounds(day)
                while local + self.slot <= local_end:
                    if _dtz.datetime_exists(local, zone):
                        found.append(Slot(_utc(local, zone), _utc(local + self.slot, zone), day))
                    local += self.slot
            day += dt.timedelta(days=1)
        return found

    def slot_at(self, starts_at: dt.datetime, zone: ZoneInfo, closed: set[dt.date] = frozenset()) -> Slot | None:
        """The time that starts at ``starts_at``, or None if no time does."""
        day = starts_at.astimezone(zone).date()
        # A time past midnight (22:00-02:00) belongs to the day before.
        for slot in self.slots(day - dt.timedelta(days=1), day, zone, closed):
            if slot.starts_at == starts_at:
                return slot
        return None

    def describe(self, language: str = "da") -> str:
        """e.g. "tider kan bookes mandage og onsdage kl. 15:00-20:00 (1 time, 2 ad gangen)"."""
        da = language != "en"
        days = _days_text((DAY_NAMES.index(d) for d in self.days), da)
        length = _spoken_length(self.slot, da)
        if da:
            return f"tider kan bookes {days} kl. {self.time} ({length}, {self.at_once} ad gangen)"
        return f"times can be booked {days} {self.time} ({length}, {self.at_once} at a time)"


def _utc(local: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    # Ambiguous (the fall-back hour): the first of the two, as schedules do.
    return local.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)


def _minutes_text(length: dt.timedelta) -> str:
    minutes = int(length.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{rest}m" if rest else "")


def _spoken_length(length: dt.timedelta, da: bool) -> str:
    """"1 time", "1 time og 30 min.", "45 min."; "1 hour 30 min"."""
    hours, minutes = divmod(int(length.total_seconds() // 60), 60)
    parts = []
    if hours:
        parts.append(f"{hours} {'time' if hours == 1 else 'timer'}" if da else f"{hours} {'hour' if hours == 1 else 'hours'}")
    if minutes:
        parts.append(f"{minutes} min." if da else f"{minutes} min")
    return (" og " if da else " ").join(parts)


def booking_flow_name(does: str) -> str:
    return f"booking.{does}"


def booking_flows() -> dict[str, Flow]:
    """BOOK, AFLYS and FLYT: one flow each, with one step that does the talking (``booking``)."""
    return {
        booking_flow_name(does): Flow.model_validate(
            {
                "name": f"Bookede tider: {words[0]}",
                "triggers": words,
                "expires_after": BOOKING_EXPIRES_AFTER,
                "steps": {does: {"booking": does}},
            }
        )
        for does, words in BOOKING_WORDS.items()
    }
