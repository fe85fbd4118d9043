"""The engine's inputs and outputs: plain values, so the engine stays free of storage and sending."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ContactView:
    name: str | None = None
    language: str = "da"
    fields: dict[str, str] = field(default_factory=dict)
    opted_out: bool = False


@dataclass(frozen=True)
class State:
    """Where a contact's conversation stands between two messages."""

    flow: str
    step: str
    data: dict[str, Any]  # the steps' own notes, kept as JSON
    timeout_at: datetime | None
    expires_at: datetime | None


@dataclass(frozen=True)
class IncomingText:
    text: str


@dataclass(frozen=True)
class TimedOut:
    pass


@dataclass(frozen=True)
class BookedTime:
    id: int
    community: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class BookableCommunity:
    slug: str
    display_name: str
    keyword: str  # what to text to join it
    member: bool  # is the contact an active member


@dataclass(frozen=True)
class BookingFacts:
    """The edge's answer to a booking action (LookUpTimes, BookTime, CancelBooking): what
    happened, and how things stand now, so the booking step can say it without a database."""

    communities: tuple[BookableCommunity, ...]
    community: str | None  # the one ``free`` is about (the contact's only bookable one, if not asked)
    free: tuple[tuple[datetime, datetime], ...]  # its next free times (start, end), soonest first
    bookings: tuple[BookedTime, ...]  # the contact's coming bookings, soonest first
    # booked, moved, taken (every seat went just now), gone (no longer bookable), already
    # (they have that time), cancelled, or None for a plain look-up
    result: str | None = None
    subject: BookedTime | None = None  # the booking that was made or cancelled


@dataclass(frozen=True)
class LinkFacts:
    """The edge's answer to a link action: sent, invalid (not a mobile number), known (theirs
    already), refused (the number said STOP), wrong (code), expired, or linked."""

    result: str
    shown: str = ""  # the number as they can recognise it: +45 20 •• •• 56


Event = IncomingText | TimedOut | BookingFacts | LinkFacts


@dataclass(frozen=True)
class SendText:
    text: str
    choices: tuple[str, ...] = ()
    even_if_opted_out: bool = False


@dataclass(frozen=True)
class SaveField:
    field: str
    value: str


@dataclass(frozen=True)
class NotifyStaff:
    text: str
    to: tuple[str, ...] = ()
    flow: str | None = None


@dataclass(frozen=True)
class OptOut:
    pass


@dataclass(frozen=True)
class OptIn:
    pass


@dataclass(frozen=True)
class JoinCommunity:
    community: str


@dataclass(frozen=True)
class RecordAttendance:
    event_id: int
    reply: str


@dataclass(frozen=True)
class CheckIn:
    """A check-in word, or "jeg er her" to the day-of message: the edge finds the member's event
    going on now, marks them as come and answers (or says when the next one is)."""


@dataclass(frozen=True)
class RecordMood:
    """An answer to a mood check-in; ``said`` is read for words of danger, never stored."""

    prompt_id: int
    score: int
    said: str


@dataclass(frozen=True)
class RecordMoodNote:
    """What the young person told about how they are (kept for staff with the right role)."""

    prompt_id: int
    text: str


@dataclass(frozen=True)
class PauseCheckins:
    until: datetime | None  # None: until FORTSÆT


@dataclass(frozen=True)
class ResumeCheckins:
    pass


@dataclass(frozen=True)
class LookUpTimes:
    """The contact's bookable communities, bookings and the next free times of ``community``
    (None: their only bookable one). The edge answers with BookingFacts."""

    community: str | None = None


@dataclass(frozen=True)
class BookTime:
    """Book the time; the database decides whether a seat is still free. ``replacing``: a
    booking to cancel once the new one is made (FLYT). The edge answers with BookingFacts."""

    community: str
    starts_at: datetime
    replacing: int | None = None


@dataclass(frozen=True)
class CancelBooking:
    booking_id: int


BOOKING_ACTIONS = (LookUpTimes, BookTime, CancelBooking)


@dataclass(frozen=True)
class SendLinkCode:
    """NUMMER: text a code to ``number`` (as typed) so the young person can prove it is theirs.
    The edge answers with LinkFacts."""

    number: str


@dataclass(frozen=True)
class CheckLinkCode:
    """NUMMER: is ``code`` the one texted? If so the edge links the number. Answered with LinkFacts."""

    code: str


LINK_ACTIONS = (SendLinkCode, CheckLinkCode)


Action = (
    SendText | SaveField | NotifyStaff | OptOut | OptIn | JoinCommunity | RecordAttendance | CheckIn
    | RecordMood | RecordMoodNote | PauseCheckins | ResumeCheckins | LookUpTimes | BookTime | CancelBooking
    | SendLinkCode | CheckLinkCode
)


@dataclass
class Outcome:
    """The new state (None: no conversation), what to do, and how the previous conversation ended."""

    state: State | None
    actions: list[Action]
    started_new: bool = False
    end_reason: str | None = None
