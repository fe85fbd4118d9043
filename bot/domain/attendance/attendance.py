"""Who said they would come, who came, and reaching out when someone quietly stays away.

No-shows are never punished: after N silent misses in a row, a person the young person knows
(their contact person, if they agreed to that, otherwise the community's staff) is told once,
and the young person may get one friendly "we miss you" if the community wants that.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TypeVar

from babel.dates import format_date
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core import clock, quiet_hours
from bot.domain.communities.reminders import member_variables
from bot.domain.contacts.contacts import write_first
from bot.domain.outbox import add_staff_messages
from bot.engine.localized import text_in
from bot.engine.templates import render
from bot.runtime import Runtime
from bot.storage.models import Attendance, Booking, Event, Member, StaffNotification

log = logging.getLogger(__name__)
Result = TypeVar("Result")

REPLIES = ("confirmed", "declined", "late", "unsure")
PRESENCES = ("attended", "absent")
# Give staff the evening to mark who came before anyone counts a miss.
FOLLOW_UP_AFTER_END = timedelta(hours=3)


def _attendance(session: Session, member_id: int, event_id: int, now: datetime) -> Attendance:
    row = session.scalars(select(Attendance).where(Attendance.member_id == member_id, Attendance.event_id == event_id)).first()
    if row is None:
        row = Attendance(member_id=member_id, event_id=event_id, updated_at=now)
        session.add(row)
    return row


def record_reply(session: Session, contact_id: int, event_id: int, reply: str, now: datetime) -> None:
    event = session.get(Event, event_id)
    if event is None:
        return
    member = session.scalars(select(Member).where(Member.contact_id == contact_id, Member.community == event.community)).first()
    if member is None:
        return
    row = _attendance(session, member.id, event_id, now)
    row.reply, row.reply_at, row.updated_at = reply, now, now
    member.no_show_notified_at = None


def set_presence(session: Session, member: Member, event: Event, presence: str | None, set_by: str, now: datetime) -> Attendance:
    row = _attendance(session, member.id, event.id, now)
    row.presence, row.presence_set_by, row.updated_at = presence, set_by, now
    if presence == "attended":
        member.no_show_notified_at = None
    return row


class PresenceRefused(Exception):
    """Staff cannot set whether this member came to this event; ``status`` as HTTP would say it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def check_presence(event: Event, member: Member | None, member_id: int, today: date) -> Member:
    """The member, if staff may set whether they came to ``event``: one of its community, the
    event not cancelled, and its day come (``today`` in the service's zone)."""
    if member is None or member.community != event.community:
        raise PresenceRefused(404, f"no member {member_id} in the community of event {event.id}")
    if event.cancelled_at is not None:
        raise PresenceRefused(409, f"event {event.id} is cancelled; nobody can come to it")
    if event.local_date > today:
        raise PresenceRefused(409, f"event {event.id} is on {event.local_date.isoformat()}; set who came from that day on")
    return member


def once_more_if_raced(work: Callable[[], Result]) -> Result:
    """Run ``work`` (a transaction that sets a presence) again if it met a reply recorded at the
    same moment: both made the member's row for the event, and the reply's is there now."""
    try:
        return work()
    except IntegrityError:
        return work()


def silent_misses(session: Session, member: Member, before: datetime) -> list[Event]:
    """The member's most recent events in a row that they neither came to nor said no to."""
    # Of booked times (the gym), only those the member booked: the rest were never theirs to miss.
    theirs = or_(Event.kind != "booking", Event.id.in_(select(Booking.event_id).where(Booking.member_id == member.id, Booking.status == "booked")))
    events = session.scalars(
        select(Event)
        .where(Event.community == member.community, Event.cancelled_at.is_(None), Event.ends_at <= before, Event.starts_at >= member.joined_at, theirs)
        .order_by(Event.starts_at.desc())
        .limit(20)
    ).all()
    answers = {
        a.event_id: a
        for a in session.scalars(select(Attendance).where(Attendance.member_id == member.id, Attendance.event_id.in_([e.id for e in events])))
    }
    missed = []
    for event in events:
        row = answers.get(event.id)
        spoke_up = row is not None and (
            row.presence == "attended"
            or row.reply == "declined"
            or (row.reply in {"confirmed", "late"} and row.presence != "absent")
        )
        if spoke_up:
            break
        missed.append(event)
    return missed


WINDOW = 3


def turnout(session: Session, event: Event) -> int:
    """Who came, or said they would and were not marked absent."""
    rows = session.scalars(select(Attendance).where(Attendance.event_id == event.id)).all()
    return sum(1 for row in rows if row.presence == "attended" or (row.presence is None and row.reply in {"confirmed", "late"}))


def falling_attendance(session: Session, community: str, before: datetime) -> bool:
    """The last three events drew clearly fewer than the three before them."""
    events = session.scalars(
        select(Event)
        # A booked time holds one or two people by design: not a group whose turnout can fall.
        .where(Event.community == community, Event.cancelled_at.is_(None), Event.ends_at < before, Event.kind != "booking")
        .order_by(Event.starts_at.desc())
        .limit(2 * WINDOW)
    ).all()
    if len(events) < 2 * WINDOW:
        return False
    counts = [turnout(session, event) for event in events]
    recent, earlier = sum(counts[:WINDOW]) / WINDOW, sum(counts[WINDOW:]) / WINDOW
    return earlier >= 2 and recent < 0.6 * earlier


def _flag_falling(runtime: Runtime, session: Session, community, event: Event, now: datetime) -> None:
    note = f"Fremmødet i {community.name} er faldet de seneste {WINDOW} gange. Måske værd at tale om i teamet."
    session.add(StaffNotification(contact_id=None, flow=event.community, text=note, created_at=now))
    morning = quiet_hours.next_allowed(now, runtime.settings.quiet_window, runtime.settings.zone)
    add_staff_messages(session, _staff_phones(community), note, send_after=morning, now=now)


def _staff_phones(community) -> list[str]:
    return [person.phone for person in community.staff if person.phone]


def follow_up(runtime: Runtime, communities: dict, now: datetime | None = None) -> int:
    """After each event: tell someone about members who have missed N in a row without a word."""
    now = now or clock.now()
    told = []
    with runtime.db.session() as session:
        ended = session.scalars(
            select(Event)
            .where(Event.followed_up_at.is_(None), Event.cancelled_at.is_(None), Event.ends_at <= now - FOLLOW_UP_AFTER_END)
            .order_by(Event.ends_at, Event.id)
        ).all()
        for event in ended:
            event.followed_up_at = now
            community = communities.get(event.community)
            if community is None:
                continue
            if falling_attendance(session, event.community, before=event.ends_at + timedelta(seconds=1)) and not falling_attendance(
                session, event.community, before=event.starts_at
            ):
                _flag_falling(runtime, session, community, event, now)
            query = select(Member).where(Member.community == event.community, Member.status == "active")
            if event.kind == "booking":
                query = query.where(Member.id.in_(select(Booking.member_id).where(Booking.event_id == event.id, Booking.status == "booked")))
            members = session.scalars(query.order_by(Member.id)).all()
            for member in members:
                if member.no_show_notified_at is not None:
                    continue
                missed = silent_misses(session, member, now)
                if len(missed) < community.no_show.after:
                    continue
                member.no_show_notified_at = now
                _tell_someone(runtime, session, community, member, list(reversed(missed)), now)
                told.append(member.id)
    for member_id in told:
        log.info("member %s missed events in a row; someone was told", member_id)
    return len(told)


def _tell_someone(runtime: Runtime, session: Session, community, member: Member, missed: list[Event], now: datetime) -> None:
    contact = member.contact
    dates = ", ".join(format_date(e.local_date, "d. MMMM", locale="da") for e in missed)
    who = contact.name or "En ung"

    def note(named: str) -> str:
        return f"{who} har ikke været i {named} {len(missed)} gange i træk uden at sige til ({dates}). Måske en god idé at række ud."

    if member.contact_person_consent_at and member.contact_person_phone:
        recipients = [member.contact_person_phone]
    else:
        recipients = _staff_phones(community)
    session.add(StaffNotification(contact_id=contact.id, flow=member.community, text=note(community.name), created_at=now))
    # Nobody is woken by a note that can wait until morning. An SMS shows on a lock screen, which
    # others may see: it names the community as discreetly as the young person's own messages do.
    morning = quiet_hours.next_allowed(now, runtime.settings.quiet_window, runtime.settings.zone)
    add_staff_messages(session, recipients, note(community.display_name), send_after=morning, now=now)
    if community.no_show.miss_you is not None:
        body = render(text_in(community.no_show.miss_you, contact.language), member_variables(runtime, community, member))
        write_first(session, contact, body, send_after=morning, now=now, account=community.instagram)
