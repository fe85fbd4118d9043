"""The day's plan for a community, as the morning screen shows it, for the API and the console,
and what staff change in it: a personal line, a skip, the day's announcement.

A day is the community's events on one local date and every reminder for them, by send time.
Each reminder comes with its preview: once sent, the body that was sent (the community file may
have changed since); before that, what ``render_reminder``, the function that renders the message
when it is sent, makes of it now, personal line included. So what staff read is what the young
person gets. Next to it is what the young person answered and whether they came, from their
attendance at that event.

A reminder can be changed only while it is planned; once the scheduler has handed it to a worker
(queued) it is on its way, and a change would arrive too late to count. A change is one
conditional UPDATE (``WHERE status = 'planned'``), so it cannot slip in after the scheduler
has taken the reminder. Staff's words are sent as written, never read as templates.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from bot.core.plain_text import plain
from bot.domain.communities.members import known_communities
from bot.domain.communities.reminders import LAST_CALL_BEFORE_START, render_reminder
from bot.flows.communities import ANNOUNCEMENT_MAX, Community
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


PERSONAL_LINE_MAX = 300
WHY_NOT = {
    "queued": "it is being sent right now",
    "sent": "it has been sent",
    "skipped": "it is skipped; unskip it first",
    "cancelled": "it was cancelled (the event was cancelled, or the member left or said STOP)",
    "missed": "its moment passed before it could be sent",
}


class DayChangeError(Exception):
    """A change staff asked for that cannot be made: 409 (too late, wrong state) or 422 (the text)."""

    def __init__(self, status: int, message: str, key: str) -> None:
        super().__init__(message)
        self.status, self.message, self.key = status, message, key


def set_personal_line(session: Session, reminder: Reminder, text: str | None, now: datetime) -> bool:
    """Staff's own line under the community's text (empty or None removes it); whether it changed."""
    line = _staff_words(text, PERSONAL_LINE_MAX, "personal line") or None
    return _change(session, reminder, action="a personal line can be set", needed="planned", values={"personal_line": line}, now=now)


def skip(session: Session, reminder: Reminder, by: str, now: datetime) -> bool:
    """The young person does not get this reminder; ``by`` is who decided. Skipping a skipped one changes nothing."""
    return _change(
        session, reminder, action="a reminder can be skipped", needed="planned", already="skipped", values={"status": "skipped", "skipped_by": by}, now=now
    )


def unskip(session: Session, reminder: Reminder, now: datetime) -> bool:
    """A skipped reminder planned again (at the next scheduler pass if its time has passed), until
    30 minutes before the start."""
    return _change(
        session, reminder, action="a reminder can be unskipped", needed="skipped", already="planned",
        values={"status": "planned", "skipped_by": None}, check=_not_too_late, now=now,
    )


def set_announcement(session: Session, event: Event, text: str | None, by: str, now: datetime) -> None:
    """The day's announcement, one line every member's message for ``event`` carries; from now on
    staff's, not the community file's (an empty text means none that day). Reminders already sent
    keep what they said."""
    if event.cancelled_at is not None:
        raise DayChangeError(409, f"event {event.id}: the event is cancelled", "event_cancelled")
    if now >= event.starts_at:
        raise DayChangeError(409, f"event {event.id}: the event has started", "event_started")
    event.announcement = _staff_words(text, ANNOUNCEMENT_MAX, "announcement", one_line=True) or None
    event.announcement_by = by


def _staff_words(text: str | None, limit: int, what: str, *, one_line: bool = False) -> str:
    try:
        written = plain(text or "").strip()
    except ValueError as error:
        raise DayChangeError(422, f"the {what}: {error}", "control_characters") from None
    if one_line:
        written = " ".join(written.split("\n"))
    if len(written) > limit:
        raise DayChangeError(422, f"the {what} is {len(written)} characters; at most {limit}", "too_long")
    return written


def _not_too_late(reminder: Reminder, event: Event, now: datetime) -> None:
    if event.cancelled_at is not None:
        raise DayChangeError(409, f"reminder {reminder.id}: the event is cancelled", "event_cancelled")
    if now >= event.starts_at - LAST_CALL_BEFORE_START:
        raise DayChangeError(409, f"reminder {reminder.id}: too late to send it, the event starts soon or has started", "too_late")


def _change(
    session: Session,
    reminder: Reminder,
    *,
    action: str,
    needed: str,
    values: dict,
    now: datetime,
    already: str | None = None,
    check: Callable[[Reminder, Event, datetime], None] | None = None,
) -> bool:
    """Write ``values`` if the reminder's status is ``needed`` at the moment of writing.

    A reminder whose status is ``already`` is as asked (a repeated skip): nothing is written.
    ``check(reminder, event, now)`` may refuse before anything is written. Whether it changed.
    """
    if already is not None and reminder.status == already:
        return False
    if reminder.status != needed:
        raise _conflict(reminder, action, needed)
    if check is not None:
        check(reminder, session.get_one(Event, reminder.event_id), now)
    written = session.execute(
        update(Reminder)
        .where(Reminder.id == reminder.id, Reminder.status == needed)
        .values(**values, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(reminder)
    if written.rowcount != 1:  # type: ignore[attr-defined]  # the scheduler took it between our read and our write
        raise _conflict(reminder, action, needed)
    return True


def _conflict(reminder: Reminder, action: str, needed: str) -> DayChangeError:
    why = WHY_NOT.get(reminder.status, f"its status is {reminder.status!r}")
    return DayChangeError(409, f"reminder {reminder.id}: {action} only while it is {needed}; {why}", f"not_{needed}")
