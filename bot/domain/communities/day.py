"""The day's plan for a community, as the morning screen shows it, for the API and the console.

A day is the community's events on one local date and every reminder for them, by send time.
Each reminder comes with its preview: once sent, the body that was sent (the community file may
have changed since); before that, what ``render_reminder``, the function that renders the message
when it is sent, makes of it now, personal line included. So what staff read is what the young
person gets. Next to it is what the young person answered and whether they came, from their
attendance at that event.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from bot.domain.communities.members import known_communities
from bot.domain.communities.reminders import render_reminder
from bot.flows.communities import Community
from bot.runtime import Runtime
from bot.storage.models import Attendance, Event, Member, OutboundMessage, Reminder


@dataclass(frozen=True)
class DayEntry:
    reminder: Reminder
    member: Member
    event: Event
    preview: str | None  # None for an unsent reminder whose community is no longer in the community files
    reply: str | None
    presence: str | None


@dataclass(frozen=True)
class DayPlan:
    events: list[Event]
    entries: list[DayEntry]


def day_plan(runtime: Runtime, session: Session, community_slug: str, community: Community, day: date) -> DayPlan:
    """The community's events on the local date ``day`` by start, and their reminders by send time."""
    events = list(
        session.scalars(select(Event).where(Event.community == community_slug, Event.local_date == day).order_by(Event.starts_at))
    )
    by_id = {event.id: event for event in events}
    rows = session.execute(
        select(Reminder, Member, Attendance.reply, Attendance.presence)
        .join(Member, Member.id == Reminder.member_id)
        # A member has at most one attendance row per event (uq_attendance_member_event), so no reminder is listed twice.
        .outerjoin(Attendance, and_(Attendance.member_id == Reminder.member_id, Attendance.event_id == Reminder.event_id))
        .where(Reminder.event_id.in_(list(by_id)))
        .order_by(Reminder.send_at, Reminder.id)
    ).all()
    sent = _sent_bodies(session, [reminder for reminder, *_ in rows])
    return DayPlan(
        events=events,
        entries=[
            _entry(runtime, community, reminder, member, by_id[reminder.event_id], sent.get(reminder.id), reply, presence)
            for reminder, member, reply, presence in rows
        ],
    )


def entry_for(runtime: Runtime, session: Session, reminder: Reminder) -> DayEntry:
    """One reminder as ``day_plan`` lists it, e.g. to show it again once staff have changed it."""
    event = session.get_one(Event, reminder.event_id)
    member = session.get_one(Member, reminder.member_id)
    attendance = session.execute(
        select(Attendance.reply, Attendance.presence).where(Attendance.member_id == member.id, Attendance.event_id == event.id)
    ).first()
    reply, presence = attendance if attendance is not None else (None, None)
    community = known_communities(runtime).get(event.community)
    sent_body = _sent_bodies(session, [reminder]).get(reminder.id)
    return _entry(runtime, community, reminder, member, event, sent_body, reply, presence)


def _entry(
    runtime: Runtime,
    community: Community | None,
    reminder: Reminder,
    member: Member,
    event: Event,
    sent_body: str | None,
    reply: str | None,
    presence: str | None,
) -> DayEntry:
    if sent_body is not None:
        preview: str | None = sent_body
    elif community is not None:
        preview = render_reminder(runtime, community, member, event, reminder.personal_line)
    else:
        preview = None
    return DayEntry(reminder=reminder, member=member, event=event, preview=preview, reply=reply, presence=presence)


def _sent_bodies(session: Session, reminders: list[Reminder]) -> dict[int, str]:
    """Reminder id -> the body that was sent, for those of ``reminders`` that have been sent."""
    by_message = {r.outbound_message_id: r.id for r in reminders if r.status == "sent" and r.outbound_message_id is not None}
    if not by_message:
        return {}
    rows = session.execute(select(OutboundMessage.id, OutboundMessage.body).where(OutboundMessage.id.in_(list(by_message))))
    return {by_message[message_id]: body for message_id, body in rows}
