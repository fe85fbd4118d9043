"""The youth workers' morning screen: today's reminders, a personal line for someone, or a skip.

``preview`` comes from the day's plan, ``bot.domain.communities.day``: rendered by the function
that renders the message when it is sent, so what staff read is what the young person gets. A
personal line is staff's own words: it is appended as written, never read as a template. The
changes themselves, and when a reminder can no longer be changed, are the day's too.
"""
from __future__ import annotations

import logging
from datetime import date

from pydantic import AliasPath, BaseModel, ConfigDict, Field

from bot.api.common import DATE, LocalTime, OptedOut, RowWith, community_or_404, get_or_404, plan_now, query_date, runtime, today
from bot.api.communities import EventOut
from bot.api.errors import ApiError
from bot.api.fields import plain_text
from bot.api.routing import caller, route
from bot.core import clock
from bot.domain.communities import day as days
from bot.domain.communities.day import DayEntry, day_plan, entry_for
from bot.storage.models import Reminder

log = logging.getLogger(__name__)



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


PersonalLineText = plain_text(days.PERSONAL_LINE_MAX)


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
    will get. Reminders are planned a few days ahead, and a later date (up to 92 days ahead) is
    planned when it is asked for, so staff can prepare it."""
    community = community_or_404(slug)
    rt = runtime()
    zone = rt.settings.zone
    day = query_date("date") or today(zone)
    plan_now(rt, [(slug, community, day)])
    with rt.db.session() as session:
        plan = day_plan(rt, session, slug, community, day)
        return DayRemindersOut(
            community=slug,
            date=day,
            events=[EventOut.model_validate(event, context={"community": community}) for event in plan.events],
            reminders=[_out(entry) for entry in plan.entries],
        )


def _change(reminder_id: int, change) -> tuple[ReminderOut, bool]:
    """``change(session, reminder, now)`` on the reminder, in one transaction; 409 or 422 as the day
    refuses it. Returns the reminder as it is now and whether it changed."""
    rt = runtime()
    now = clock.now()
    with rt.db.session() as session:
        reminder = get_or_404(session, Reminder, reminder_id, "reminder")
        try:
            changed = change(session, reminder, now)
        except days.DayChangeError as error:
            raise ApiError(error.status, error.message) from None
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
    answer, _ = _change(reminder_id, lambda session, reminder, now: days.set_personal_line(session, reminder, text, now))
    log.info("api: %s %s the personal line of reminder %s", caller().name, "set" if text else "removed", reminder_id)
    return answer


@route(
    "POST", "/reminders/<int:reminder_id>/skip", requires="staff", summary="Do not send a reminder", response=ReminderOut,
    errors={409: "The reminder is no longer planned"},
)
def skip_reminder(reminder_id: int):
    """The young person does not get this reminder; the token's name is recorded as who decided.
    Only a planned reminder can be skipped (skipping a skipped one changes nothing); 409 otherwise."""
    answer, changed = _change(reminder_id, lambda session, reminder, now: days.skip(session, reminder, caller().name, now))
    if changed:
        log.info("api: %s skipped reminder %s", caller().name, reminder_id)
    return answer


@route(
    "POST", "/reminders/<int:reminder_id>/unskip", requires="staff", summary="Send a skipped reminder after all", response=ReminderOut,
    errors={409: "The reminder is not skipped, its event is cancelled, or the event starts too soon"},
)
def unskip_reminder(reminder_id: int):
    """A skipped reminder is planned again; if its time has passed it goes out at the next
    scheduler pass (after quiet hours). Only a skipped reminder, and not later than 30 minutes
    before the event starts (409 otherwise); unskipping a planned one changes nothing."""
    answer, changed = _change(reminder_id, lambda session, reminder, now: days.unskip(session, reminder, now))
    if changed:
        log.info("api: %s unskipped reminder %s", caller().name, reminder_id)
    return answer
