"""Day-of reminders: planned in the database, sent once, in batches.

The planner turns each community's schedule into events for the next days and gives every active
member one reminder per event, at the member's preferred time (or the community's), never in
quiet hours and never after the event has started; someone who joins after their moment that day
gets it as they join, while there is still time before the start. The scheduler hands due
reminders to workers in batches; a batch job renders each one, writes it to the outbox, starts
the reply conversation and sends it. A reminder is a row that moves planned -> queued -> sent
under a row lock, so a re-run, a crashed worker or a flushed Redis can delay one but never send
it twice.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.lists import format_list
from rq import Queue
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core import clock, quiet_hours
from bot.domain.contacts.contacts import write_first
from bot.domain.contacts.conversations import await_answer
from bot.domain.queueing import SEND_REMINDERS
from bot.engine.localized import text_in
from bot.engine.templates import contact_variables, render
from bot.flows.communities import Community, reply_flow_name
from bot.runtime import BULK, Runtime
from bot.storage.models import Attendance, Booking, Contact, Conversation, Event, Member, OutboundMessage, Reminder

log = logging.getLogger(__name__)

PLAN_DAYS = 2
# How far ahead staff may prepare a day (personal lines, the announcement): its events and
# reminders are planned when they ask, rather than when the planner reaches the day.
PREPARE_DAYS = 92
BATCH_SIZE = 100
# A reminder handed to a job that has not run by then was lost with Redis: hand it out again.
REQUEUE_AFTER = timedelta(minutes=2)
# The latest a reminder may go: this long before the start, so it is still news.
LAST_CALL_BEFORE_START = timedelta(minutes=30)
# Away this long (no yes, no visit) and a member who says yes again is welcomed back.
DORMANT_AFTER = timedelta(weeks=8)


def send_time(event: Event, preferred: time, zone: ZoneInfo, window) -> datetime | None:
    """When a member's reminder for ``event`` goes, or None if no good moment is left that day."""
    wanted = datetime.combine(event.local_date, preferred, tzinfo=zone).astimezone(event.starts_at.tzinfo)
    latest = event.starts_at - LAST_CALL_BEFORE_START
    moment = quiet_hours.next_allowed(min(wanted, latest), window, zone)
    if moment > latest or moment.astimezone(zone).date() != event.local_date:
        return None
    return moment


@dataclass
class PlanResult:
    events: int = 0
    cancelled: int = 0
    reminders: int = 0


def plan(runtime: Runtime, now: datetime | None = None, days: int = PLAN_DAYS) -> PlanResult:
    """Bring events and reminders for today and the next ``days`` in line with schedules and members."""
    now = now or clock.now()
    today = now.astimezone(runtime.settings.zone).date()
    result = PlanResult()
    with runtime.db.session() as session:
        for slug, community in runtime.flows.current().communities.items():
            _plan_days(runtime, session, slug, community, today, today + timedelta(days=days), now, result)
    return result


def plan_day(runtime: Runtime, slug: str, community: Community, day: date, now: datetime | None = None) -> PlanResult:
    """Plan one coming day of a community now, so staff can prepare it (at most ``PREPARE_DAYS`` ahead).

    What the planner does when it reaches the day, done early: a member who joins meanwhile gets
    their reminder then, and a meeting cancelled meanwhile is cancelled then.
    """
    now = now or clock.now()
    today = now.astimezone(runtime.settings.zone).date()
    result = PlanResult()
    if today <= day <= today + timedelta(days=PREPARE_DAYS):
        with runtime.db.session() as session:
            _plan_days(runtime, session, slug, community, day, day, now, result)
    return result


def plan_now(runtime: Runtime, days: Iterable[tuple[str, Community, date]] = ()) -> None:
    """Plan before reading the plan: the next days (``plan``) once, and each (slug, community,
    day) of ``days`` that staff are about to prepare.

    The scheduler plans at the same time; on PostgreSQL both may try to add the same event, and
    the loser gets a unique-key error. By then the winner's rows are there, so once more is enough.
    """
    wanted = list(days)
    for attempt in (1, 2):
        try:
            plan(runtime)
            for slug, community, day in wanted:
                plan_day(runtime, slug, community, day)
            return
        except IntegrityError:
            if attempt == 2:
                raise
            log.info("planning met a concurrent planner; planning again")


def _plan_days(
    runtime: Runtime, session: Session, slug: str, community: Community, first: date, last: date, now: datetime, result: PlanResult
) -> None:
    zone = runtime.settings.zone
    events = _sync_events(session, slug, community, first, last, now, zone, result)
    if community.bookable is not None:
        events += _booked_events(session, slug, first, last, now)
    for event in events:
        result.reminders += _plan_reminders(session, event, community, zone, runtime.settings.quiet_window, now)


def _sync_events(
    session: Session, slug: str, community: Community, first: date, last: date, now: datetime, zone: ZoneInfo, result: PlanResult
) -> list[Event]:
    wanted = {o.starts_at: o for o in community.occurrences(first, last, zone)}
    existing = {
        e.starts_at: e
        for e in session.scalars(
            # Booked times are not in the schedule; they come and go with their bookings (bot.domain.bookings.bookings).
            select(Event).where(Event.community == slug, Event.local_date >= first, Event.local_date <= last, Event.kind != "booking")
        )
    }
    for starts_at, event in existing.items():
        if starts_at not in wanted and event.cancelled_at is None and starts_at > now:
            event.cancelled_at = now
            result.cancelled += 1
            session.execute(
                update(Reminder).where(Reminder.event_id == event.id, Reminder.status == "planned").values(status="cancelled", updated_at=now)
            )
    events = []
    for starts_at, occurrence in wanted.items():
        event = existing.get(starts_at)
        if event is None:
            event = Event(community=slug, starts_at=starts_at, local_date=occurrence.local_date, kind=occurrence.kind)
            session.add(event)
            result.events += 1
        elif event.cancelled_at is not None and starts_at > now:
            event.cancelled_at = None  # back in the schedule
        event.ends_at, event.note = occurrence.ends_at, occurrence.note
        if event.announcement_by is None:  # once staff have written it, the file no longer counts
            event.announcement = community.announcements.get(occurrence.local_date)
        session.flush()
        if event.cancelled_at is None and event.starts_at > now:
            events.append(event)
    return events


def _booked_events(session: Session, slug: str, first: date, last: date, now: datetime) -> list[Event]:
    return list(
        session.scalars(
            select(Event).where(
                Event.community == slug, Event.kind == "booking", Event.local_date >= first, Event.local_date <= last,
                Event.cancelled_at.is_(None), Event.starts_at > now,
            ).order_by(Event.starts_at, Event.id)
        )
    )


def plan_for_event(runtime: Runtime, session: Session, event: Event, community: Community, now: datetime) -> int:
    """Plan an event's reminders now rather than at the next planning pass (a time just booked)."""
    return _plan_reminders(session, event, community, runtime.settings.zone, runtime.settings.quiet_window, now)


def plan_for_member(runtime: Runtime, session: Session, member: Member, now: datetime) -> int:
    """Plan a member's reminders as they join rather than at the next planning pass, so someone
    who joins after the day's message went out hears about tonight while still at the phone.
    Only events the planner has made, and only this member: nothing a planner running at the same
    moment could also be adding."""
    community = runtime.flows.current().communities.get(member.community)
    if community is None:
        return 0
    zone = runtime.settings.zone
    last = now.astimezone(zone).date() + timedelta(days=PLAN_DAYS)
    events = session.scalars(
        select(Event).where(
            Event.community == member.community, Event.kind != "booking", Event.cancelled_at.is_(None),
            Event.starts_at > now, Event.local_date <= last,
        ).order_by(Event.starts_at, Event.id)
    ).all()
    return sum(_plan_reminders(session, event, community, zone, runtime.settings.quiet_window, now, only=member.id) for event in events)


def _plan_reminders(
    session: Session, event: Event, community: Community, zone: ZoneInfo, window, now: datetime, only: int | None = None
) -> int:
    query = select(Member.id, Member.reminder_time, Member.consent_at).where(Member.community == event.community, Member.status == "active")
    if event.kind == "booking":  # a booked time: only those who booked it, not the whole community
        query = query.where(Member.id.in_(select(Booking.member_id).where(Booking.event_id == event.id, Booking.status == "booked")))
    if only is not None:
        query = query.where(Member.id == only)
    # In the order they joined: reminders due at the same minute go out, and are listed, that way.
    members = session.execute(query.order_by(Member.id)).all()
    reminders = {r.member_id: r for r in session.scalars(select(Reminder).where(Reminder.event_id == event.id))}
    created = 0
    for member_id, preferred, consented_at in members:
        moment = send_time(event, preferred or community.reminder.time, zone, window)
        # A late joiner hears about tonight once, as they join (quiet hours and the last call still
        # apply); a booked time needs no word: booking it just said when it is.
        late = _joined_after(moment, consented_at, event, now)
        reminder = reminders.get(member_id)
        if reminder is None:
            if late:
                moment = send_time(event, now.astimezone(zone).time(), zone, window)
            if moment is None or moment < now - REQUEUE_AFTER:
                continue  # the moment passed before the planner got to it: no reminder rather than a late one
            session.add(Reminder(member_id=member_id, event_id=event.id, send_at=moment, status="planned", updated_at=now))
            created += 1
        elif late:
            continue  # planned as they joined: their usual moment, long gone, must not move it back
        elif reminder.status == "planned" and moment is not None and reminder.send_at != moment:
            reminder.send_at, reminder.updated_at = moment, now
        elif reminder.status == "cancelled" and event.kind == "booking" and moment is not None and moment >= now - REQUEUE_AFTER:
            # Cancelled, then booked again: the time's reminder is theirs once more.
            reminder.status, reminder.send_at, reminder.updated_at = "planned", moment, now
    return created


def _joined_after(moment: datetime | None, consented_at: datetime | None, event: Event, now: datetime) -> bool:
    """Did the member join after their day-of moment for ``event`` had passed?"""
    return (
        event.kind != "booking" and moment is not None and moment < now - REQUEUE_AFTER
        and consented_at is not None and consented_at > moment
    )


def queue_due(runtime: Runtime, now: datetime, limit: int = 20_000, queued_before: datetime | None = None) -> int:
    """Hand due reminders to the workers in batches; cheap when nothing is due (an index range scan).

    A reminder queued before ``queued_before`` (default: ``REQUEUE_AFTER`` ago) whose job has not
    run is taken as lost and queued again.
    """
    queued_before = queued_before or now - REQUEUE_AFTER
    with runtime.db.session() as session:
        due = session.scalars(
            select(Reminder.id)
            .where(Reminder.status == "planned", Reminder.send_at <= now)
            .order_by(Reminder.send_at, Reminder.id)
            .limit(limit)
        ).all()
        lost = session.scalars(
            select(Reminder.id).where(Reminder.status == "queued", Reminder.queued_at <= queued_before).order_by(Reminder.id).limit(limit)
        ).all()
        ids = list(due) + list(lost)
        for start in range(0, len(ids), 1000):
            # Re-check the status: staff may have skipped one since the select.
            session.execute(
                update(Reminder)
                .where(Reminder.id.in_(ids[start:start + 1000]), Reminder.status.in_(("planned", "queued")))
                .values(status="queued", queued_at=now)
            )
    queue = runtime.queue(BULK)
    jobs = [
        Queue.prepare_data(SEND_REMINDERS, (ids[start:start + BATCH_SIZE],), timeout=600)
        for start in range(0, len(ids), BATCH_SIZE)
    ]
    for start in range(0, len(jobs), 500):
        with runtime.redis.pipeline() as pipe:
            queue.enqueue_many(jobs[start:start + 500], pipeline=pipe)
            pipe.execute()
    return len(ids)


def write_batch(runtime: Runtime, reminder_ids: list[int]) -> list[int]:
    """Render and record a batch of reminders; the ids of the outbox rows to send, in order.

    One transaction renders the whole batch: the reminders are locked (``SKIP LOCKED`` on
    PostgreSQL, so two copies of a job split the work instead of waiting), their events, members,
    contacts and open conversations are read in a handful of queries, and every reminder becomes
    an outbox row and ``sent`` in the same commit.
    """
    now = clock.now()
    flows = runtime.flows.current()
    with runtime.db.session() as session:
        query = select(Reminder).where(Reminder.id.in_(reminder_ids), Reminder.status == "queued").order_by(Reminder.id)
        if not runtime.db.is_sqlite:
            query = query.with_for_update(skip_locked=True, of=Reminder)
        batch = list(session.scalars(query))
        loaded, open_conversations, returning = _preload(session, batch, now)
        made = []
        for reminder in batch:
            message = _write_one(runtime, session, flows.communities, reminder, now, open_conversations, returning)
            if message is not None:
                made.append((reminder, message))
        session.flush()  # one multi-row INSERT for the batch's messages (and conversations)
        for reminder, message in made:
            reminder.status, reminder.outbound_message_id, reminder.updated_at = "sent", message.id, now
        outbound_ids = [message.id for _, message in made]
        del loaded
    return outbound_ids


def _preload(session: Session, batch: list[Reminder], now: datetime) -> tuple[list, dict[int, Conversation], set[int]]:
    """Events, members with their contacts, and the contacts' open conversations, for the whole batch.

    Returns what was loaded (the session only holds objects weakly: keep the list while the batch
    runs, and ``session.get`` finds them without a query), the open conversations by contact, and
    the members who have been away so long that a yes deserves a "welcome back".
    """
    if not batch:
        return [], {}, set()
    events = list(session.scalars(select(Event).where(Event.id.in_({r.event_id for r in batch}))))
    members = list(session.scalars(select(Member).where(Member.id.in_({r.member_id for r in batch}))))  # contact joined, urns selectin
    conversations = session.scalars(
        select(Conversation).where(Conversation.contact_id.in_({m.contact_id for m in members}), Conversation.ended_at.is_(None))
    )
    away_since = now - DORMANT_AFTER
    seen_lately = set(
        session.scalars(
            select(Attendance.member_id).where(
                Attendance.member_id.in_([m.id for m in members]),
                Attendance.updated_at >= away_since,
                or_(Attendance.reply.in_(("confirmed", "late")), Attendance.presence == "attended"),
            )
        )
    )
    returning = {m.id for m in members if m.joined_at < away_since and m.id not in seen_lately}
    return events + members, {c.contact_id: c for c in conversations}, returning


def _write_one(
    runtime: Runtime,
    session: Session,
    communities: dict,
    reminder: Reminder,
    now: datetime,
    open_conversations: dict[int, Conversation],
    returning: set[int],
) -> OutboundMessage | None:
    """Render one reminder into the outbox (or say why not); the caller flushes and marks it sent."""
    event = session.get(Event, reminder.event_id)
    member = session.get(Member, reminder.member_id)
    community = communities.get(event.community)
    contact = member.contact
    reason = None
    if community is None or event.cancelled_at is not None:
        reason = "cancelled"
    elif event.kind == "booking" and not _holds_booking(session, member.id, event.id):
        reason = "cancelled"  # cancelled after the reminder was handed to a worker
    elif member.status != "active" or contact.opted_out_at is not None:
        reason = "cancelled"
    elif now >= event.starts_at:
        reason = "missed"
    message = None
    if reason is None:
        body = render_reminder(runtime, community, member, event, reminder.personal_line)
        message = write_first(session, contact, body, send_after=now, now=now, account=community.instagram, queue=False)
        if message is None:
            reason = "cancelled"  # nowhere to reach them
    if reason is not None:
        reminder.status, reminder.updated_at = reason, now
        return None
    _await_reply(session, contact, event, now, open_conversations, welcome_back=member.id in returning)
    return message


def _holds_booking(session: Session, member_id: int, event_id: int) -> bool:
    return session.scalar(
        select(Booking.id).where(Booking.member_id == member_id, Booking.event_id == event_id, Booking.status == "booked").limit(1)
    ) is not None


def _await_reply(
    session: Session, contact: Contact, event: Event, now: datetime, open_conversations: dict[int, Conversation], welcome_back: bool
) -> None:
    """The young person's next message is read as a reply to this reminder, until the event ends."""
    await_answer(
        session,
        contact.id,
        flow=reply_flow_name(event.community),
        step="svar",
        data={"event_id": event.id, "welcome_back": welcome_back},
        now=now,
        expires_at=event.ends_at,
        open_conversations=open_conversations,
    )


def member_variables(runtime: Runtime, community: Community, member: Member) -> dict:
    """What a community's texts may use about the member and the community (no event)."""
    contact = member.contact
    return {
        **contact_variables(name=contact.name, language=contact.language, fields=contact.fields or {}, now=clock.now(), zone=runtime.settings.zone),
        "community": community.display_name,
        "place": community.place or "",
        "staff": format_list([person.name for person in community.staff], locale="en" if contact.language == "en" else "da"),
        "last_activity": member.last_activity or "",
    }


def reminder_variables(runtime: Runtime, community: Community, member: Member, event: Event) -> dict:
    zone = runtime.settings.zone
    return {
        **member_variables(runtime, community, member),
        "start": event.starts_at.astimezone(zone),
        "end": event.ends_at.astimezone(zone),
        "note": event.note or "",
    }


def render_reminder(runtime: Runtime, community: Community, member: Member, event: Event, personal_line: str | None) -> str:
    """Exactly what the young person will read: the community's text, the day's announcement, then
    staff's own line to them (both as staff wrote them, never read as templates)."""
    source = text_in(community.reminder.text, member.contact.language)
    lines = [render(source, reminder_variables(runtime, community, member, event)), event.announcement, personal_line]
    return "\n".join(line.strip() for line in lines if line and line.strip())
