"""Today: the youth worker's day. Every event of their communities on a day, and for each member the
day-of message exactly as it will be sent, a personal line to write (saved as it is typed), a skip,
the young person's reply as it arrives, and who came. Also any coming day, to prepare it the day
before or weeks ahead: the day is planned when it is opened (``reminders.plan_now``).

What staff change goes through ``bot.domain.communities.day``, as it does from the REST API, so
both refuse alike (a sent reminder, a started event). Replies are polled: the page asks every few
seconds for the replies alone (out-of-band swaps), so a personal line being typed is never redrawn.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import abort, redirect, render_template, request, url_for
from sqlalchemy import select

from bot.console.access import must_work_in, my_communities, requires, runtime, stored, theirs, viewer
from bot.console.blueprint import blueprint, menu
from bot.core import clock, sms_segments
from bot.domain.attendance.attendance import PresenceRefused, check_presence, once_more_if_raced, set_presence
from bot.domain.communities import day as days
from bot.domain.communities import reminders
from bot.domain.communities.day import DayEntry, day_plan, entry_for
from bot.domain.staff import accounts
from bot.flows.communities import Community
from bot.storage.models import Event, Member, Reminder

STAFF = ("staff", "admin")
# What a phone shows of a text on its lock screen before "…": about two lines.
LOCK_SCREEN_CHARACTERS = 90
REPLY_POLL_SECONDS = 5

menu(10, "today_page", "today")


@dataclass(frozen=True)
class EventDay:
    slug: str
    community: Community
    event: Event
    entries: list[DayEntry]

    def count(self, reply: str | None) -> int:
        return sum(1 for entry in self.entries if entry.reply == reply)

    @property
    def arrived(self) -> int:
        return sum(1 for entry in self.entries if entry.presence == "attended")


def _today() -> date:
    return clock.now().astimezone(runtime().settings.zone).date()


def _chosen_day() -> date:
    text = request.args.get("date", "")
    if not text:
        return _today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(404)


def _next_meeting(communities: dict[str, Community], after: date) -> date | None:
    """The first day after ``after`` on which one of ``communities`` meets, within the days staff may prepare."""
    first, last = after + timedelta(days=1), _today() + timedelta(days=reminders.PREPARE_DAYS)
    if first > last:
        return None
    zone = runtime().settings.zone
    found = [occurrences[0].local_date for community in communities.values() if (occurrences := community.occurrences(first, last, zone))]
    return min(found, default=None)


def _event_days(communities: dict[str, Community], day: date) -> list[EventDay]:
    rt = runtime()
    found = []
    with rt.db.session() as db:
        for slug, community in communities.items():
            plan = day_plan(rt, db, slug, community, day)
            found += [EventDay(slug, community, event, [e for e in plan.entries if e.event.id == event.id]) for event in plan.events]
    return sorted(found, key=lambda one: (one.event.starts_at, one.community.name))


@blueprint.get("/today")
@requires(*STAFF)
def today_page():
    day = _chosen_day()
    today = _today()
    communities = my_communities()
    too_far = day > today + timedelta(days=reminders.PREPARE_DAYS)
    tomorrow = today + timedelta(days=1)
    if not too_far:
        reminders.plan_now(runtime(), [(slug, community, day) for slug, community in communities.items()])
    return render_template(
        "console/today.html",
        day=day, today=today, tomorrow=tomorrow, next_meeting=_next_meeting(communities, tomorrow),
        events=[] if too_far else _event_days(communities, day), too_far=too_far, now=clock.now(), poll_seconds=REPLY_POLL_SECONDS,
        **_entry_helpers(),
    )


@blueprint.get("/today/replies")
@requires(*STAFF)
def today_replies():
    """The replies, arrivals and whether each message has gone, as out-of-band swaps: the page polls this."""
    events = _event_days(my_communities(), _chosen_day())
    return render_template("console/_today_replies.html", events=events, now=clock.now(), **_entry_helpers())


def _entry_helpers() -> dict:
    return {"lock_screen": _lock_screen, "segments": sms_segments.segment_count, "can_mark_arrival": _can_mark_arrival, "exposing": _exposing}


def _exposing(slug: str, *texts: str | None) -> list[str]:
    """Words in staff's own lines that could out a young person on a lock screen, as ``flows check``
    refuses them in the community file; here a warning, since staff may know better."""
    community = my_communities().get(slug)
    return [word for text in texts if text and community is not None for word in community.sensitive_words_in(text)]


def _lock_screen(text: str | None) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= LOCK_SCREEN_CHARACTERS else flat[: LOCK_SCREEN_CHARACTERS - 1].rstrip() + "…"


def _can_mark_arrival(event: Event, now: datetime) -> bool:
    """From the event's day on, as ``check_presence`` allows: staff mark who came as they come."""
    return event.cancelled_at is None and event.local_date <= now.astimezone(runtime().settings.zone).date()


def _back(day: date, anchor: str):
    return redirect(url_for("console.today_page", date=day.isoformat()) + f"#{anchor}")


def _reminder_or_abort(db, reminder_id: int) -> Reminder:
    reminder = stored(db, Reminder, reminder_id)
    if reminder is None:
        abort(404)
    must_work_in(db.get_one(Event, reminder.event_id).community)
    return reminder


def _change_reminder(reminder_id: int, change, action: str):
    """``change(db, reminder, now)``, audited; the entry as it is now (or the refusal) for htmx,
    the day's page for a plain form."""
    rt = runtime()
    now = clock.now()
    refusal = None
    with rt.db.session() as db:
        reminder = _reminder_or_abort(db, reminder_id)
        try:
            if change(db, reminder, now):
                accounts.audit(db, viewer().email, action, now, f"reminder {reminder_id}")
        except days.DayChangeError as error:
            refusal = error
        entry = entry_for(rt, db, reminder)
    if not request.headers.get("HX-Request"):
        if refusal is not None:
            abort(refusal.status, refusal.message)
        return _back(entry.event.local_date, f"reminder-{reminder_id}")
    template = "console/_today_preview.html" if action == "personal_line" else "console/_today_entry.html"
    page = render_template(template, entry=entry, refusal=refusal, saved_line=refusal is None, now=now, **_entry_helpers())
    return page, refusal.status if refusal is not None else 200


@blueprint.post("/reminders/<int:reminder_id>/personal-line")
@requires(*STAFF)
def set_personal_line(reminder_id: int):
    text = request.form.get("text", "")
    return _change_reminder(reminder_id, lambda db, reminder, now: days.set_personal_line(db, reminder, text, now), "personal_line")


@blueprint.post("/reminders/<int:reminder_id>/skip")
@requires(*STAFF)
def skip_reminder(reminder_id: int):
    return _change_reminder(reminder_id, lambda db, reminder, now: days.skip(db, reminder, viewer().email, now), "reminder_skipped")


@blueprint.post("/reminders/<int:reminder_id>/unskip")
@requires(*STAFF)
def unskip_reminder(reminder_id: int):
    return _change_reminder(reminder_id, lambda db, reminder, now: days.unskip(db, reminder, now), "reminder_unskipped")


@blueprint.post("/events/<int:event_id>/announcement")
@requires(*STAFF)
def set_announcement(event_id: int):
    """The day's announcement; htmx gets the form back and every member's preview of the event."""
    rt = runtime()
    now = clock.now()
    refusal = None
    with rt.db.session() as db:
        event = theirs(db, Event, event_id)
        try:
            days.set_announcement(db, event, request.form.get("announcement", ""), viewer().email, now)
            accounts.audit(db, viewer().email, "announcement", now, f"event {event_id}")
        except days.DayChangeError as error:  # refused before anything was changed
            refusal = error
        community = my_communities().get(event.community)
        entries = day_plan(rt, db, event.community, community, event.local_date).entries if community is not None else []
        entries = [entry for entry in entries if entry.event.id == event_id]
        day = event.local_date
    if not request.headers.get("HX-Request"):
        if refusal is not None:
            abort(refusal.status, refusal.message)
        return _back(day, f"event-{event_id}")
    page = render_template("console/_today_announcement.html", event=event, entries=entries, refusal=refusal, saved=refusal is None, **_entry_helpers())
    return page, refusal.status if refusal is not None else 200


@blueprint.post("/events/<int:event_id>/members/<int:member_id>/arrived")
@requires(*STAFF)
def mark_arrival(event_id: int, member_id: int):
    """Came (``arrived=1``) or not marked after all (``arrived=0``), by the rules the API and the
    attendance page follow."""
    rt = runtime()
    now = clock.now()
    arrived = request.form.get("arrived", "1") == "1"

    def mark():
        with rt.db.session() as db:
            event = theirs(db, Event, event_id)
            try:
                member = check_presence(event, stored(db, Member, member_id), member_id, _today())
            except PresenceRefused as refused:
                abort(refused.status, refused.message)
            set_presence(db, member, event, "attended" if arrived else None, viewer().email, now)
            accounts.audit(db, viewer().email, "arrival" if arrived else "arrival_undone", now, f"event {event_id}, member {member_id}")
            reminder = db.scalars(select(Reminder).where(Reminder.event_id == event_id, Reminder.member_id == member_id)).one_or_none()
            return event.local_date, entry_for(rt, db, reminder) if reminder is not None else None

    day, entry = once_more_if_raced(mark)
    if not request.headers.get("HX-Request") or entry is None:
        return _back(day, f"event-{event_id}")
    return render_template("console/_today_entry.html", entry=entry, refusal=None, now=now, **_entry_helpers())
