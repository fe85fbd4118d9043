"""The attendance pages: per community, how many said yes and how many came each time over the
last months (a chart, and the same numbers as a table), whether attendance is falling, each
member's record, and the export for Excel; per event, who came, set by staff.

Staff set whether someone came from the event's day on, through the same domain function and
checks as the REST API (``bot.domain.attendance.attendance``); each change is in the staff audit
by the member's and the event's id. The export is the API's file (``bot.domain.attendance.export``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import quote

from babel.dates import format_date
from flask import Response, abort, redirect, render_template, request, url_for

from bot.console.access import community_or_abort, my_communities, requires, runtime, stored, viewer
from bot.console.blueprint import blueprint, language, menu
from bot.console.charts import Series, line_chart, svg_response
from bot.console.texts import text
from bot.core import clock
from bot.domain.attendance.attendance import PresenceRefused, check_presence, falling_attendance, once_more_if_raced, set_presence
from bot.domain.attendance.export import attendance_csv
from bot.domain.attendance.overview import EventTurnout, member_records, people_at, turnouts
from bot.domain.staff import accounts
from bot.storage.models import Attendance, Event, Member

ROLES = ("staff", "admin")
WEEKS = 13  # about three months
EXPORT_MAX_DAYS = 366
PRESENCES = {"attended": "attended", "absent": "absent", "": None}  # as a form sends it -> as stored ("" clears it)
SET_BY_LENGTH = 100  # Attendance.presence_set_by
# A date in a heading, in a table's row, and under the chart's axis.
DAY_FORMATS = {
    "da": {"heading": "EEEE d. MMMM y", "row": "EEE d. MMM y", "axis": "d. MMM"},
    "en": {"heading": "EEEE d MMMM y", "row": "EEE d MMM y", "axis": "d MMM"},
}

menu(40, "attendance_page", "attendance_menu", current=("community_attendance_page", "event_attendance_page"))


@dataclass(frozen=True)
class CommunityTurnout:
    slug: str
    name: str
    last: EventTurnout | None
    falling: bool


@dataclass(frozen=True)
class Person:
    """A member at an event, as the event's page shows them."""

    member_id: int
    name: str | None
    status: str
    reply: str | None
    presence: str | None
    presence_set_by: str | None


def _person(member: Member, row: Attendance | None) -> Person:
    return Person(
        member.id, member.contact.name, member.status, row.reply if row else None, row.presence if row else None, row.presence_set_by if row else None
    )


@blueprint.get("/attendance")
@requires(*ROLES)
def attendance_page():
    now = clock.now()
    meeting = sorted(((slug, c) for slug, c in my_communities().items() if c.meets), key=lambda item: item[1].name.casefold())
    listed = []
    with runtime().db.session() as db:
        for slug, community in meeting:
            events = turnouts(db, slug, now - timedelta(weeks=WEEKS), now)
            listed.append(CommunityTurnout(slug, community.name, events[-1] if events else None, falling_attendance(db, slug, now)))
    return render_template("console/attendance.html", listed=listed, day=_day)


@blueprint.get("/communities/<slug>/attendance")
@requires(*ROLES)
def community_attendance_page(slug: str):
    community = community_or_abort(slug)
    now = clock.now()
    with runtime().db.session() as db:
        events = turnouts(db, slug, now - timedelta(weeks=WEEKS), now)
        falling = falling_attendance(db, slug, now)
        records = member_records(db, slug, now)
    first, last = _weeks_shown()
    return render_template(
        "console/attendance_community.html", slug=slug, community=community, events=events, falling=falling, records=records,
        weeks=WEEKS, day=_day, first=first, last=last, bad_dates=request.args.get("bad_dates") == "1",
    )


@blueprint.get("/communities/<slug>/attendance.svg")
@requires(*ROLES)
def attendance_chart(slug: str):
    community_or_abort(slug)
    now = clock.now()
    with runtime().db.session() as db:
        events = turnouts(db, slug, now - timedelta(weeks=WEEKS), now)
    chosen = language()
    most = max((max(event.said_yes, event.came) for event in events), default=0)
    svg = line_chart(
        text("attendance_chart_title", chosen),
        [_day(event.local_date, "axis") for event in events],
        [Series(text("attendance_said_yes", chosen), [e.said_yes for e in events]), Series(text("attendance_came", chosen), [e.came for e in events])],
        y_range=(0, max(most, 1)),
    )
    return svg_response(svg)


@blueprint.get("/communities/<slug>/attendance.csv")
@requires(*ROLES)
def attendance_export(slug: str):
    community_or_abort(slug)
    first, last = _export_window()
    if first is None or last is None:
        return redirect(url_for("console.community_attendance_page", slug=slug, bad_dates=1, _anchor="attendance-export"))
    now = clock.now()
    with runtime().db.session() as db:
        data = attendance_csv(db, slug, first, last, runtime().settings.zone)
        accounts.audit(db, viewer().email, "attendance_export", now, f"{slug} {first}..{last}")
    disposition = f"attachment; filename=\"attendance.csv\"; filename*=UTF-8''{quote(slug)}-{first}-{last}.csv"
    return Response(data, content_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition})


def _export_window() -> tuple[date | None, date | None]:
    """The export's first and last dates from the form (by default the page's weeks); None, None
    when they are not dates, in the wrong order or more than a year apart."""
    first_shown, last_shown = _weeks_shown()
    try:
        first = date.fromisoformat(request.args.get("from") or first_shown.isoformat())
        last = date.fromisoformat(request.args.get("to") or last_shown.isoformat())
    except ValueError:
        return None, None
    if first > last or (last - first).days > EXPORT_MAX_DAYS:
        return None, None
    return first, last


@blueprint.get("/communities/<slug>/events/<int:event_id>/attendance")
@requires(*ROLES)
def event_attendance_page(slug: str, event_id: int):
    community = community_or_abort(slug)
    with runtime().db.session() as db:
        event = _event(db, slug, event_id)
        people = [_person(member, row) for member, row in people_at(db, event)]
        cancelled, local_date, started = event.cancelled_at is not None, event.local_date, event.starts_at
    return render_template(
        "console/attendance_event.html", slug=slug, community=community, event_id=event_id, people=people, cancelled=cancelled,
        settable=not cancelled and local_date <= _today(), day=_day(local_date, "heading"), time=_time(started),
    )


@blueprint.post("/communities/<slug>/events/<int:event_id>/attendance/<int:member_id>")
@requires(*ROLES)
def set_member_presence(slug: str, event_id: int, member_id: int):
    community_or_abort(slug)
    chosen = request.form.get("presence")
    if chosen not in PRESENCES:
        abort(400, text("attendance_choose_presence", language()))
    presence = PRESENCES[chosen]
    now = clock.now()
    # The staff member's email says who set it; the column holds what an email needs in practice.
    set_by = viewer().email[:SET_BY_LENGTH]

    def mark() -> Person:
        with runtime().db.session() as db:
            event = _event(db, slug, event_id)
            member = check_presence(event, stored(db, Member, member_id), member_id, _today())
            row = set_presence(db, member, event, presence, set_by, now)
            accounts.audit(db, viewer().email, "attendance_set", now, f"event {event.id}, member {member.id}, {slug}: {presence or 'cleared'}")
            return _person(member, row)

    try:
        person = once_more_if_raced(mark)
    except PresenceRefused as refused:
        # A form left open past a change: the event was cancelled meanwhile, or the member removed.
        abort(refused.status, text("attendance_not_settable", language()) if refused.status == 409 else None)
    if request.headers.get("HX-Request"):
        return render_template("console/_attendance_person.html", slug=slug, event_id=event_id, person=person, settable=True, saved=True)
    return redirect(url_for("console.event_attendance_page", slug=slug, event_id=event_id, _anchor=f"member-{member_id}"), code=303)


def _event(db, slug: str, event_id: int) -> Event:
    """The community's event ``event_id``; 404 if there is none (in this community)."""
    event = stored(db, Event, event_id)
    if event is None or event.community != slug:
        abort(404)
    return event


def _today() -> date:
    return clock.now().astimezone(runtime().settings.zone).date()


def _weeks_shown() -> tuple[date, date]:
    """The first and last local dates of the page's weeks, today the last."""
    last = _today()
    return last - timedelta(weeks=WEEKS), last


def _day(local_date: date, form: str = "row") -> str:
    chosen = language()
    return format_date(local_date, DAY_FORMATS[chosen][form], locale=chosen)


def _time(moment: datetime) -> str:
    return moment.astimezone(runtime().settings.zone).strftime("%H:%M")
