"""The youth workers' morning screen: today's reminders, a personal line for someone, or a skip.

``preview`` comes from the day's plan, ``bot.domain.communities.day``: rendered by the function
that renders the message when it is sent, so what staff read is what the young person gets. A
personal line is staff's own words: it is appended as written, never read as a template.

A reminder can be changed only while it is planned; once the scheduler has handed it to a worker
(queued) it is on its way, and a change would arrive too late to count. A change is one
conditional UPDATE (``WHERE status = 'planned'``), so it cannot slip in after the scheduler
has taken the reminder.
"""
from __future__ import annotations

import logging
from datetime import date, datetime

from pydantic import AliasPath, BaseModel, ConfigDict, Field
from sqlalchemy import update

from bot.api.common import DATE, LocalTime, OptedOut, RowWith, community_or_404, get_or_404, plan_now, query_date, runtime, today
from bot.api.communities import EventOut
from bot.api.errors import ApiError
from bot.api.fields import plain_text
from bot.api.routing import caller, route
from bot.core import clock
from bot.domain.communities import reminders
from bot.domain.communities.day import DayEntry, day_plan, entry_for
from bot.storage.models import Event, Reminder

log = logging.getLogger(__name__)

PERSONAL_LINE_MAX = 300
WHY_NOT = {
    "queued": "it is being sent right now",
    "sent": "it has been sent",
    "skipped": "it is skipped; unskip it first",
    "cancelled": "it was cancelled (the event was cancelled, or the member left or said STOP)",
    "missed": "its moment passed before it could be sent",
}


class ReminderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    member_id: int
    name: str | None = Field(validation_alias=AliasPath("contact", "name"))
    event_id: int
    send_at: LocalTime = Field(description="Local time with its offset")
    status: str = Field(description="planned, queued, sent, skipped, cancelled or missed")
    personal_line: str | None
    skipped_by: str | None = Field(description="The name of the token that skipped it")
    opted_out: OptedOut = Field(description="Said STOP: gets nothing, whatever the preview says")
    preview: str | None = Field(
        description="Exactly the text the young person gets (for a sent reminder: what was sent); "
        "None if the community is no longer in the community files"
    )


class DayRemindersOut(BaseModel):
    community: str
    date: date
    events: list[EventOut]
    reminders: list[ReminderOut]


PersonalLineText = plain_text(PERSONAL_LINE_MAX)


class PersonalLine(BaseModel):
    """Staff's own words under the community's text, as written. Empty or null removes it."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: PersonalLineText | None


def _out(entry: DayEntry) -> ReminderOut:
    return ReminderOut.model_validate(RowWith(entry.reminder, contact=entry.member.contact, preview=entry.preview))


@route(
    "GET", "/communities/<slug>/reminders", requires="staff", summary="The reminders of a day (the morning screen)",
    response=DayRemindersOut, query=(DATE,),
)
def community_reminders(slug: str):
    """Query: `date`, a local date YYYY-MM-DD (default: today). Every reminder for the
    community's events that day, by send time, with a preview of exactly what each young person
    will get. Reminders are planned a few days ahead; a later date has none yet."""
    community = community_or_404(slug)
    rt = runtime()
    zone = rt.settings.zone
    day = query_date("date") or today(zone)
    plan_now(rt)
    with rt.db.session() as session:
        plan = day_plan(rt, session, slug, community, day)
        return DayRemindersOut(
            community=slug,
            date=day,
            events=[EventOut.model_validate(event, context={"community": community}) for event in plan.events],
            reminders=[_out(entry) for entry in plan.entries],
        )


def _conflict(reminder: Reminder, action: str, needed: str) -> ApiError:
    why = WHY_NOT.get(reminder.status, f"its status is {reminder.status!r}")
    return ApiError(409, f"reminder {reminder.id}: {action} only while it is {needed}; {why}")


def _change(reminder_id: int, *, action: str, needed: str, values: dict, already: str | None = None, check=None) -> tuple[ReminderOut, bool]:
    """Write ``values`` if the reminder's status is ``needed`` at the moment of writing (409 if not).

    A reminder whose status is ``already`` is as asked (a repeated skip): nothing is written.
    ``check(reminder, event, now)`` may refuse with an ApiError before anything is written.
    Returns the reminder as it is now and whether it changed.
    """
    rt = runtime()
    now = clock.now()
    with rt.db.session() as session:
        reminder = get_or_404(session, Reminder, reminder_id, "reminder")
        event = session.get(Event, reminder.event_id)
        changed = already is None or reminder.status != already
        if changed:
            if reminder.status != needed:
                raise _conflict(reminder, action, needed)
            if check is not None:
                check(reminder, event, now)
            written = session.execute(
                update(Reminder)
                .where(Reminder.id == reminder_id, Reminder.status == needed)
                .values(**values, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            session.refresh(reminder)
            if written.rowcount != 1:  # the scheduler took it between our read and our write
                raise _conflict(reminder, action, needed)
        return _out(entry_for(rt, session, reminder)), changed


@route(
    "PUT", "/reminders/<int:reminder_id>/personal-line", requires="staff", summary="Set or remove a reminder's personal line",
    body=PersonalLine, response=ReminderOut, errors={409: "The reminder is no longer planned"},
)
def set_personal_line(reminder_id: int, body: PersonalLine):
    """A line of staff's own words under the community's text, e.g. "Vi har fået nye højttalere. /Ali"
    (at most 300 characters, sent exactly as written). An empty text or null removes it. Only
    while the reminder is planned (409 otherwise)."""
    text = (body.text or "").strip() or None
    answer, _ = _change(reminder_id, action="a personal line can be set", needed="planned", values={"personal_line": text})
    log.info("api: %s %s the personal line of reminder %s", caller().name, "set" if text else "removed", reminder_id)
    return answer


@route(
    "POST", "/reminders/<int:reminder_id>/skip", requires="staff", summary="Do not send a reminder", response=ReminderOut,
    errors={409: "The reminder is no longer planned"},
)
def skip_reminder(reminder_id: int):
    """The young person does not get this reminder; the token's name is recorded as who decided.
    Only a planned reminder can be skipped (skipping a skipped one changes nothing); 409 otherwise."""
    answer, changed = _change(
        reminder_id, action="a reminder can be skipped", needed="planned", already="skipped",
        values={"status": "skipped", "skipped_by": caller().name},
    )
    if changed:
        log.info("api: %s skipped reminder %s", caller().name, reminder_id)
    return answer


def _not_too_late(reminder: Reminder, event: Event, now: datetime) -> None:
    if event.cancelled_at is not None:
        raise ApiError(409, f"reminder {reminder.id}: the event is cancelled")
    if now >= event.starts_at - reminders.LAST_CALL_BEFORE_START:
        raise ApiError(409, f"reminder {reminder.id}: too late to send it, the event starts soon or has started")


@route(
    "POST", "/reminders/<int:reminder_id>/unskip", requires="staff", summary="Send a skipped reminder after all", response=ReminderOut,
    errors={409: "The reminder is not skipped, its event is cancelled, or the event starts too soon"},
)
def unskip_reminder(reminder_id: int):
    """A skipped reminder is planned again; if its time has passed it goes out at the next
    scheduler pass (after quiet hours). Only a skipped reminder, and not later than 30 minutes
    before the event starts (409 otherwise); unskipping a planned one changes nothing."""
    answer, changed = _change(
        reminder_id, action="a reminder can be unskipped", needed="skipped", already="planned",
        values={"status": "planned", "skipped_by": None}, check=_not_too_late,
    )
    if changed:
        log.info("api: %s unskipped reminder %s", caller().name, reminder_id)
    return answer
