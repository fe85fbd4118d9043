"""Planning and sending mood check-ins: one question per young person per check-in day.

Planned like the day-of reminders (today and the next two days, from the schedule), sent by the
scheduler when due: at the member's preferred time if it falls in the check-in's window, else at
the window's start, and never in quiet hours. A young person in two of the check-in's
communities gets it once.
"""
from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import quiet_hours
from bot.core.schedule import Occurrence
from bot.domain.contacts.contacts import write_first
from bot.domain.contacts.conversations import await_answer
from bot.engine.localized import text_in
from bot.engine.templates import contact_variables, render
from bot.flows.mood_flows import mood_reply_flow_name
from bot.flows.mood_settings import MoodCheckin, question_of
from bot.runtime import Runtime
from bot.storage.models import Contact, Member, MoodPrompt, OutboundMessage

log = logging.getLogger(__name__)

PLAN_DAYS = 2
# The answer is read as an answer this long after the question went out.
ANSWER_WITHIN = timedelta(days=2)
# A prompt planned for a moment this long past is not sent late (joined after it, Redis down...).
TOO_LATE = timedelta(hours=3)


def plan(runtime: Runtime, now: datetime) -> int:
    zone = runtime.settings.zone
    today = now.astimezone(zone).date()
    created = 0
    with runtime.db.session() as session:
        for slug, mood in runtime.flows.current().moods.items():
            for occurrence in mood.occurrences(today, today + timedelta(days=PLAN_DAYS), zone):
                if occurrence.ends_at > now:
                    created += _plan_day(session, slug, mood, occurrence, zone, runtime.settings.quiet_window, now)
    return created


def _plan_day(session: Session, slug: str, mood: MoodCheckin, occurrence: Occurrence, zone: ZoneInfo, window, now: datetime) -> int:
    members = session.execute(
        select(Member.id, Member.contact_id, Member.reminder_time)
        .where(Member.community.in_(mood.members_of), Member.status == "active")
        .order_by(Member.id)
    ).all()
    planned = set(
        session.scalars(select(MoodPrompt.contact_id).where(MoodPrompt.checkin == slug, MoodPrompt.local_date == occurrence.local_date))
    )
    created = 0
    for member_id, contact_id, preferred in members:
        if contact_id in planned:
            continue
        moment = _send_time(occurrence, preferred, zone, window)
        if moment < now - TOO_LATE:
            continue
        session.add(
            MoodPrompt(
                checkin=slug, contact_id=contact_id, member_id=member_id, local_date=occurrence.local_date, send_at=moment, status="planned", updated_at=now
            )
        )
        planned.add(contact_id)
        created += 1
    session.flush()
    return created


def _send_time(occurrence: Occurrence, preferred: time | None, zone: ZoneInfo, window) -> datetime:
    moment = occurrence.starts_at
    if preferred is not None:
        wanted = datetime.combine(occurrence.local_date, preferred, tzinfo=zone)
        if occurrence.starts_at <= wanted < occurrence.ends_at:
            moment = wanted
    return quiet_hours.next_allowed(moment, window, zone)


def send_due(runtime: Runtime, now: datetime, limit: int = 500) -> int:
    """Write due questions to the outbox (or say why not) and queue them."""
    moods = runtime.flows.current().moods
    with runtime.db.session() as session:
        due = session.scalars(
            select(MoodPrompt)
            .where(MoodPrompt.status == "planned", MoodPrompt.send_at <= now)
            .order_by(MoodPrompt.send_at, MoodPrompt.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        written = 0
        for prompt in due:
            message = _write_one(runtime, session, prompt, moods.get(prompt.checkin), now)
            if message is not None:
                session.flush()
                prompt.outbound_message_id = message.id
                written += 1
    return written


def _write_one(runtime: Runtime, session: Session, prompt: MoodPrompt, mood: MoodCheckin | None, now: datetime) -> OutboundMessage | None:
    contact = session.get(Contact, prompt.contact_id)
    member = session.get(Member, prompt.member_id) if prompt.member_id else None
    status = "sent"
    if mood is None or member is None or member.status != "active" or contact.opted_out_at is not None:
        status = "cancelled"
    elif contact.checkins_stopped_at is not None:
        status = "stopped"
    elif contact.checkins_paused_until is not None and contact.checkins_paused_until > now:
        status = "paused"
    elif now - prompt.send_at > TOO_LATE:
        status = "missed"
    message = None
    if status == "sent":
        variables = contact_variables(name=contact.name, language=contact.language, fields=contact.fields or {}, now=now, zone=runtime.settings.zone)
        community = runtime.flows.current().communities.get(member.community)
        message = write_first(
            session, contact, render(text_in(question_of(mood), contact.language), variables),
            send_after=quiet_hours.next_allowed(now, runtime.settings.quiet_window, runtime.settings.zone), now=now,
            account=community.instagram if community else None,
        )
        if message is None:
            status = "cancelled"  # nowhere to reach them
    prompt.status, prompt.updated_at = status, now
    if message is None:
        return None
    await_answer(
        session, contact.id, flow=mood_reply_flow_name(prompt.checkin), step="svar", data={"prompt_id": prompt.id}, now=now, expires_at=now + ANSWER_WITHIN
    )
    return message
