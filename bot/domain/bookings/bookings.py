"""Bookable times at the edge: free times, booking and cancelling, for SMS and the staff API.

Double booking is impossible because the database refuses it, not because a list looked free:
each time has ``at_once`` seats, and a partial unique index lets one live booking hold a seat
(``uq_bookings_seat``). A booking takes the lowest seat that looked free; if another booking
took it in the same instant, the insert fails and the next seat is tried, and when none is left
the young person is told kindly and offered other times. Two people answering "2" in the same
second: one gets the time, the other a new list.

A booked time has an ``Event`` (kind "booking") shared by everyone on that time, so the
day-of reminder, the replies to it and attendance work as for a group evening; only those who
booked it get its reminder. Cancelling a booking cancels its planned reminder.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core import quiet_hours
from bot.domain.communities import reminders
from bot.domain.contacts.contacts import write_first
from bot.engine import actions
from bot.engine.booking_texts import booking_text, when
from bot.flows.bookable import Slot
from bot.flows.communities import Community
from bot.runtime import Runtime
from bot.storage.models import Booking, Contact, Event, Member, Reminder

log = logging.getLogger(__name__)

BY_SMS = "sms"
# The most times offered in one message: a short list is read, a long one is scrolled past.
OFFERED = 5
BOOKING_KIND = "booking"


class BookingRefused(Exception):
    """Why a time cannot be booked, cancelled or moved: not_a_time, started, too_far, not_member,
    already, taken; not_booked (the booking was cancelled already)."""

    def __init__(self, reason: str, message: str, booking: Booking | None = None):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.booking = booking


@dataclass(frozen=True)
class SlotState:
    slot: Slot
    booked: int  # live bookings on it
    bookable: bool  # in the future and within `ahead`


def bookable_communities(runtime: Runtime) -> dict[str, Community]:
    return {slug: c for slug, c in runtime.flows.current().communities.items() if c.bookable is not None}


def closed_dates(community: Community) -> set[date]:
    """The community's ``cancelled:`` dates: no times then."""
    return {c.date for c in community.cancelled}


# Reading -----------------------------------------------------------------------------------------

def day_slots(session: Session, slug: str, community: Community, day: date, now: datetime, zone) -> list[SlotState]:
    """Every time on a local date, with how many have booked it (for staff)."""
    return slots_between(session, slug, community, day, day, now, zone)


def slots_between(session: Session, slug: str, community: Community, first: date, last: date, now: datetime, zone) -> list[SlotState]:
    """Every time on the local dates ``first`` to ``last``, with how many have booked it (for staff)."""
    settings = community.bookable
    slots = settings.slots(first, last, zone, closed_dates(community))
    counts = _booked_counts(session, slug, slots)
    return [SlotState(s, counts.get(s.starts_at, 0), now < s.starts_at <= now + settings.ahead) for s in slots]


def bookings_between(session: Session, slug: str, first: date, last: date) -> list[tuple[Booking, Member]]:
    """The bookings of the times on the local dates ``first`` to ``last``, cancelled ones too, with
    their members: by time, live before cancelled, by seat."""
    query = (
        select(Booking, Member)
        .join(Member, Member.id == Booking.member_id)
        .join(Event, Event.id == Booking.event_id)
        .where(Booking.community == slug, Event.local_date >= first, Event.local_date <= last)
        .order_by(Booking.starts_at, Booking.status, Booking.seat, Booking.id)
    )
    return [(booking, member) for booking, member in session.execute(query)]


def free_times(
    session: Session, slug: str, community: Community, now: datetime, zone, member_id: int | None = None, limit: int | None = OFFERED
) -> list[Slot]:
    """The next times with a free seat, from now until ``ahead``; without those ``member_id`` has."""
    settings = community.bookable
    first = now.astimezone(zone).date()
    last = (now + settings.ahead).astimezone(zone).date()
    slots = [s for s in settings.slots(first, last, zone, closed_dates(community)) if now < s.starts_at <= now + settings.ahead]
    counts = _booked_counts(session, slug, slots)
    mine = set()
    if member_id is not None and slots:
        mine = set(
            session.scalars(
                select(Booking.starts_at).where(
                    Booking.member_id == member_id, Booking.status == "booked", Booking.starts_at >= slots[0].starts_at
                )
            )
        )
    free = [s for s in slots if counts.get(s.starts_at, 0) < settings.at_once and s.starts_at not in mine]
    return free[:limit] if limit else free


def _booked_counts(session: Session, slug: str, slots: list[Slot]) -> dict[datetime, int]:
    if not slots:
        return {}
    rows = session.execute(
        select(Booking.starts_at, func.count())
        .where(
            Booking.community == slug,
            Booking.status == "booked",
            Booking.starts_at >= slots[0].starts_at,
            Booking.starts_at <= slots[-1].starts_at,
        )
        .group_by(Booking.starts_at)
    )
    return {starts_at: count for starts_at, count in rows}  # noqa: C416 - dict(rows) would read a Result as a mapping


def coming_bookings(session: Session, member_ids: list[int], now: datetime) -> list[Booking]:
    """Live bookings that have not started yet, soonest first."""
    if not member_ids:
        return []
    return list(
        session.scalars(
            select(Booking)
            .where(Booking.member_id.in_(member_ids), Booking.status == "booked", Booking.starts_at > now)
            .order_by(Booking.starts_at, Booking.id)
        )
    )


def booked_member_ids(session: Session, event_id: int) -> set[int]:
    """Who holds a live booking for a booked time's event."""
    return set(session.scalars(select(Booking.member_id).where(Booking.event_id == event_id, Booking.status == "booked")))


def events_of(member_id: int) -> ColumnElement[bool]:
    """A filter on Event: the community's group evenings, and of its booked times only the member's own."""
    booked = select(Booking.event_id).where(Booking.member_id == member_id, Booking.status == "booked")
    return or_(Event.kind != "booking", Event.id.in_(booked))


# Booking and cancelling --------------------------------------------------------------------------

def check_time(community: Community, starts_at: datetime, now: datetime, zone) -> Slot:
    """The bookable time starting at ``starts_at``; BookingRefused if there is none now."""
    settings = community.bookable
    slot = settings.slot_at(starts_at, zone, closed_dates(community))
    if slot is None:
        raise BookingRefused("not_a_time", f"no bookable time starts at {starts_at.astimezone(zone):%Y-%m-%d %H:%M}")
    if slot.starts_at <= now:
        raise BookingRefused("started", "that time has started or is over")
    if slot.starts_at > now + settings.ahead:
        raise BookingRefused("too_far", f"times can be booked until {(now + settings.ahead).astimezone(zone):%Y-%m-%d %H:%M}")
    return slot


def book(runtime: Runtime, session: Session, slug: str, community: Community, member: Member, starts_at: datetime, now: datetime, by: str) -> Booking:
    """Give ``member`` a seat on the time at ``starts_at``, or raise BookingRefused."""
    zone = runtime.settings.zone
    slot = check_time(community, starts_at, now, zone)
    if member.community != slug or member.status != "active":
        raise BookingRefused("not_member", f"member {member.id} is not an active member of {slug}")
    held = session.scalars(
        select(Booking).where(Booking.member_id == member.id, Booking.starts_at == slot.starts_at, Booking.status == "booked")
    ).first()
    if held is not None:
        raise BookingRefused("already", "the member already has that time", held)
    event = _event_for(session, slug, slot)
    taken = taken_seats(session, slug, slot.starts_at)
    for seat in range(1, community.bookable.at_once + 1):
        if seat in taken:
            continue
        booking = Booking(
            community=slug, member_id=member.id, event_id=event.id, starts_at=slot.starts_at, ends_at=slot.ends_at,
            seat=seat, status="booked", booked_by=by, created_at=now,
        )
        try:
            with session.begin_nested():
                session.add(booking)
                session.flush()
        except IntegrityError:
            # Someone took this seat in the same instant: the next one may still be free.
            log.info("seat %s of %s at %s went to another booking just now", seat, slug, slot.starts_at.isoformat())
            continue
        reminders.plan_for_event(runtime, session, event, community, now)
        log.info("member %s booked %s at %s (seat %s)", member.id, slug, slot.starts_at.isoformat(), seat)
        return booking
    raise BookingRefused("taken", "every seat of that time is taken")


def taken_seats(session: Session, slug: str, starts_at: datetime) -> set[int]:
    return set(
        session.scalars(select(Booking.seat).where(Booking.community == slug, Booking.starts_at == starts_at, Booking.status == "booked"))
    )


def _event_for(session: Session, slug: str, slot: Slot) -> Event:
    """The time's event, made by the first booking (or by another booking in the same instant)."""
    query = select(Event).where(Event.community == slug, Event.starts_at == slot.starts_at)
    event = session.scalars(query).first()
    if event is None:
        event = Event(community=slug, starts_at=slot.starts_at, ends_at=slot.ends_at, local_date=slot.local_date, kind=BOOKING_KIND)
        try:
            with session.begin_nested():
                session.add(event)
                session.flush()
        except IntegrityError:
            event = session.scalars(query).one()
    if event.kind != BOOKING_KIND or event.cancelled_at is not None:
        # Left from when the community met on a schedule: it is a booked time now.
        event.kind, event.ends_at, event.cancelled_at = BOOKING_KIND, slot.ends_at, None
    return event


def cancel(session: Session, booking: Booking, now: datetime, by: str) -> bool:
    """Free the seat, and cancel the reminder planned for it. False if it was not booked."""
    if booking.status != "booked":
        return False
    booking.status, booking.cancelled_at, booking.cancelled_by = "cancelled", now, by
    session.execute(
        update(Reminder)
        .where(Reminder.member_id == booking.member_id, Reminder.event_id == booking.event_id, Reminder.status == "planned")
        .values(status="cancelled", updated_at=now)
    )
    session.flush()
    log.info("booking %s cancelled by %s", booking.id, by)
    return True


# Staff on a young person's behalf (the API and the console) ------------------------------------

def book_for_member(
    runtime: Runtime, session: Session, slug: str, community: Community, member: Member, starts_at: datetime, now: datetime, by: str
) -> Booking:
    """Book a time for a young person who finds booking by text hard, and tell them by text.
    BookingRefused as ``book`` (with "already", nothing is sent: they have the time)."""
    booking = book(runtime, session, slug, community, member, starts_at, now, by)
    tell_member(runtime, session, community, member, booking, "booked_for_you", now)
    return booking


def cancel_for_member(runtime: Runtime, session: Session, booking: Booking, now: datetime, by: str) -> bool:
    """Free a young person's time and tell them by text. False if it was not booked (nothing
    changes); BookingRefused "started" once the time has started: whether they came is attendance."""
    if booking.status != "booked":
        return False
    if booking.starts_at <= now:
        raise BookingRefused("started", "the time has started")
    cancel(session, booking, now, by)
    community = runtime.flows.current().communities.get(booking.community)
    if community is not None:
        tell_member(runtime, session, community, session.get(Member, booking.member_id), booking, "cancelled_for_you", now)
    return True


def move_for_member(
    runtime: Runtime, session: Session, community: Community, booking: Booking, starts_at: datetime, now: datetime, by: str
) -> Booking:
    """Move a young person's time to the one at ``starts_at`` and tell them once, by text.

    The new time is booked before the old one is freed, as when they move it themselves (FLYT):
    if someone else just took the new time, BookingRefused "taken" and they keep the one they had.
    """
    if booking.status != "booked":
        raise BookingRefused("not_booked", f"booking {booking.id} is not booked")
    if booking.starts_at <= now:
        raise BookingRefused("started", "the time has started")
    member = session.get(Member, booking.member_id)
    moved = book(runtime, session, booking.community, community, member, starts_at, now, by)
    cancel(session, booking, now, by)
    tell_member(runtime, session, community, member, moved, "moved", now)
    return moved


def tell_member(runtime: Runtime, session: Session, community: Community, member: Member, booking: Booking, key: str, now: datetime):
    """A time staff booked or cancelled for a young person is never a surprise: they get a text
    (outside quiet hours). Returns the message, or None when they cannot be reached."""
    contact = member.contact
    zone = runtime.settings.zone
    body = booking_text(
        key, contact.language, person=contact.name or "", name=community.display_name,
        when=when(booking.starts_at, zone, contact.language, booking.ends_at),
    )
    send_after = quiet_hours.next_allowed(now, runtime.settings.quiet_window, zone)
    return write_first(session, contact, body, send_after=send_after, now=now, account=community.instagram)


# The booking step's answers (bot.engine.steps.booking) ---------------------------------------

def answer(runtime: Runtime, session: Session, contact: Contact, action, now: datetime) -> actions.BookingFacts:
    """Do what a booking action asks, and tell the step how things stand now."""
    if isinstance(action, actions.LookUpTimes):
        return facts(runtime, session, contact, action.community, now)
    if isinstance(action, actions.BookTime):
        return _book_by_sms(runtime, session, contact, action, now)
    booking = session.get(Booking, action.booking_id)
    if booking is None or session.get(Member, booking.member_id).contact_id != contact.id:
        return facts(runtime, session, contact, None, now, result="gone")
    if booking.starts_at > now and cancel(session, booking, now, BY_SMS):
        return facts(runtime, session, contact, booking.community, now, result="cancelled", subject=_booked_time(booking))
    return facts(runtime, session, contact, booking.community, now, result="gone")


def _book_by_sms(runtime: Runtime, session: Session, contact: Contact, action: actions.BookTime, now: datetime) -> actions.BookingFacts:
    community = bookable_communities(runtime).get(action.community)
    member = session.scalars(
        select(Member).where(Member.contact_id == contact.id, Member.community == action.community, Member.status == "active")
    ).first()
    if community is None or member is None:
        return facts(runtime, session, contact, None, now, result="gone")
    try:
        booking = book(runtime, session, action.community, community, member, action.starts_at, now, BY_SMS)
    except BookingRefused as refused:
        result = refused.reason if refused.reason in ("already", "taken") else "gone"
        subject = _booked_time(refused.booking) if refused.booking is not None else None
        return facts(runtime, session, contact, action.community, now, result=result, subject=subject)
    result = "booked"
    if action.replacing is not None:
        old = session.get(Booking, action.replacing)
        # Only now that the new time is theirs: a young person who moves never ends up with none.
        if old is not None and old.member_id == member.id and cancel(session, old, now, BY_SMS):
            result = "moved"
    return facts(runtime, session, contact, action.community, now, result=result, subject=_booked_time(booking))


def facts(
    runtime: Runtime, session: Session, contact: Contact, slug: str | None, now: datetime,
    result: str | None = None, subject: actions.BookedTime | None = None,
) -> actions.BookingFacts:
    communities = bookable_communities(runtime)
    memberships = {
        m.community: m
        for m in session.scalars(
            select(Member).where(Member.contact_id == contact.id, Member.status == "active", Member.community.in_(list(communities)))
        )
    }
    if slug is None and len(memberships) == 1:
        slug = next(iter(memberships))
    free: tuple = ()
    if slug in memberships:
        found = free_times(session, slug, communities[slug], now, runtime.settings.zone, member_id=memberships[slug].id)
        free = tuple((s.starts_at, s.ends_at) for s in found)
    places = tuple(
        actions.BookableCommunity(slug=name, display_name=c.display_name, keyword=c.keywords()[0][0], member=name in memberships)
        for name, c in sorted(communities.items())
    )
    coming = tuple(_booked_time(b) for b in coming_bookings(session, [m.id for m in memberships.values()], now))
    return actions.BookingFacts(places, slug if slug in memberships else None, free, coming, result, subject)


def _booked_time(booking: Booking) -> actions.BookedTime:
    return actions.BookedTime(booking.id, booking.community, booking.starts_at, booking.ends_at)
