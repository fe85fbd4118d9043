"""A community's attendance as staff look at it: who was expected at an event and what each said
and did, how many said yes and came per event over some weeks, and each member's record.

Counted, never judged: the numbers are there so staff notice a falling turnout or someone who
quietly stays away, and reach out (``bot.domain.attendance.attendance``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.domain.attendance.attendance import silent_misses
from bot.domain.bookings.bookings import booked_member_ids
from bot.storage.models import Attendance, Event, Member

# A yes, or a yes but later; "unsure" is not counted as one.
SAID_YES = ("confirmed", "late")


def by_name(member: Member) -> tuple:
    """Sort members by name as staff read a list (case-insensitive; unnamed first; id to break ties)."""
    return ((member.contact.name or "").casefold(), member.id)


def people_at(session: Session, event: Event) -> list[tuple[Member, Attendance | None]]:
    """Everyone expected at the event (the active members; at a booked time, those who booked it),
    and anyone else with a reply or a presence for it (a member who has left since), by name,
    each with their row for the event, if any."""
    rows = {row.member_id: row for row in session.scalars(select(Attendance).where(Attendance.event_id == event.id))}
    expected = Member.status == "active"
    if event.kind == "booking":  # a booked time: those who booked it, not the whole community
        expected = Member.id.in_(list(booked_member_ids(session, event.id)))
    people = session.scalars(select(Member).where(Member.community == event.community, or_(expected, Member.id.in_(list(rows))))).all()
    return [(member, rows.get(member.id)) for member in sorted(people, key=by_name)]


@dataclass(frozen=True)
class EventTurnout:
    event_id: int
    local_date: date
    note: str | None
    said_yes: int  # replied yes, or yes but later
    came: int  # marked as come, by staff or by checking in


def turnouts(session: Session, community: str, since: datetime, until: datetime) -> list[EventTurnout]:
    """Per group evening that started in [since, until] and was not cancelled, oldest first: how
    many said yes and how many came. Booked times are left out: they hold one or two by design."""
    events = session.scalars(
        select(Event)
        .where(Event.community == community, Event.cancelled_at.is_(None), Event.kind != "booking", Event.starts_at >= since, Event.starts_at <= until)
        .order_by(Event.starts_at)
    ).all()
    rows = session.scalars(select(Attendance).where(Attendance.event_id.in_([event.id for event in events]))).all()
    said_yes = {event.id: 0 for event in events}
    came = dict(said_yes)
    for row in rows:
        said_yes[row.event_id] += row.reply in SAID_YES
        came[row.event_id] += row.presence == "attended"
    return [
        EventTurnout(event.id, event.local_date, event.note, said_yes[event.id], came[event.id]) for event in events
    ]


@dataclass(frozen=True)
class MemberRecord:
    member_id: int
    name: str | None
    status: str  # active, or left
    said_yes: int  # times, over every event since they joined
    came: int
    last_came: date | None
    silent_misses_in_a_row: int  # their latest events in a row that they neither came to nor said no to


def member_records(session: Session, community: str, now: datetime) -> list[MemberRecord]:
    """Everyone who is or was a member (active or left), by name: how often they said yes and
    came to events that were not cancelled, when they last came, and (for an active member) how
    many events in a row they have quietly stayed away from."""
    people = sorted(session.scalars(select(Member).where(Member.community == community, Member.status.in_(("active", "left")))).all(), key=by_name)
    answers = session.execute(
        select(Attendance.member_id, Attendance.reply, Attendance.presence, Event.local_date)
        .join(Event, Event.id == Attendance.event_id)
        .where(Event.community == community, Event.cancelled_at.is_(None))
    ).all()
    said_yes: dict[int, int] = {}
    came: dict[int, int] = {}
    last_came: dict[int, date] = {}
    for member_id, reply, presence, local_date in answers:
        said_yes[member_id] = said_yes.get(member_id, 0) + (reply in SAID_YES)
        if presence == "attended":
            came[member_id] = came.get(member_id, 0) + 1
            last_came[member_id] = max(local_date, last_came.get(member_id, local_date))
    return [
        MemberRecord(
            member_id=member.id, name=member.contact.name, status=member.status, said_yes=said_yes.get(member.id, 0), came=came.get(member.id, 0),
            last_came=last_came.get(member.id),
            silent_misses_in_a_row=len(silent_misses(session, member, now)) if member.status == "active" else 0,
        )
        for member in people
    ]
