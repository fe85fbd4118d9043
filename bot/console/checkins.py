"""Mood check-ins in the console: per programme and community, who answered the latest check-ins
and who did not, who has paused them, who was alerted and why, and each young person's mood over
time as a chart with the same numbers in a table.

Staff see the numbers, never the young person's own words (the note), as in the staff API. A
programme may span several communities; staff see the members of their own communities only. The
pause is the young person's own (PAUSE, FORTSÆT, SLUT TJEK by text), so it is shown, not changed.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from babel.dates import format_date
from flask import abort, render_template

from bot.console.access import community_or_abort, my_communities, requires, runtime, theirs, viewer
from bot.console.blueprint import blueprint, language, menu
from bot.console.charts import Series, line_chart, svg_response
from bot.console.texts import text
from bot.core import clock
from bot.domain.communities.members import list_members
from bot.domain.mood import answers, timeline
from bot.flows.communities import Community
from bot.flows.mood_settings import MoodCheckin
from bot.storage.models import Contact, Member, MoodPrompt

log = logging.getLogger(__name__)

ROLES = ("staff", "admin")
# As far back as the staff API's timeline: half a year.
WEEKS = 26
LATEST = 3
ASKED = ("sent", "answered")
LOWEST, HIGHEST = 1, 5

menu(60, "checkins_page", "checkins_menu", current=("checkins_community", "checkin_member"))


@dataclass(frozen=True)
class Answer:
    status: str
    score: int | None
    alerted: bool
    has_note: bool


@dataclass(frozen=True)
class Pause:
    kind: str  # paused (until a date) or stopped (since a date)
    day: str


@dataclass(frozen=True)
class MemberRow:
    member_id: int
    name: str | None
    answers: list[Answer | None]  # one per latest check-in day; None: not asked that day
    pause: Pause | None


@dataclass(frozen=True)
class Alert:
    day: str
    alerted_at: datetime
    member_id: int
    name: str | None
    score: int | None
    why: list[str]
    told: answers.Recipients


@dataclass(frozen=True)
class Day:
    label: str
    asked: int
    answered: int


@dataclass(frozen=True)
class Programme:
    checkin: str
    mood: MoodCheckin
    days: list[Day]  # the latest check-in days, newest first
    rows: list[MemberRow]
    alerts: list[Alert]  # newest first

    @property
    def paused(self) -> int:
        return sum(row.pause is not None for row in self.rows)


def _programmes(slug: str) -> dict[str, MoodCheckin]:
    return {checkin: mood for checkin, mood in sorted(runtime().flows.current().moods.items()) if slug in mood.members_of}


def _community_with_programmes(slug: str) -> tuple[Community, dict[str, MoodCheckin]]:
    """The community if the viewer works in it (403) and it has check-ins (404)."""
    community = community_or_abort(slug)
    programmes = _programmes(slug)
    if not programmes:
        abort(404)
    return community, programmes


def _t(key: str, **values: object) -> str:
    return text(key, language(), **values)


def _day(day: date) -> str:
    chosen = language()
    return format_date(day, "EEE d. MMM" if chosen == "da" else "EEE d MMM", locale=chosen)


def _chart_day(day: date) -> str:
    """Short, so the last label of a chart fits at its edge."""
    chosen = language()
    return format_date(day, "d.M." if chosen == "da" else "d MMM", locale=chosen)


def _today() -> date:
    return clock.now().astimezone(runtime().settings.zone).date()


def _pause(contact: Contact, now: datetime) -> Pause | None:
    zone = runtime().settings.zone
    if contact.checkins_stopped_at is not None:
        return Pause("stopped", _day(contact.checkins_stopped_at.astimezone(zone).date()))
    if contact.checkins_paused_until is not None and contact.checkins_paused_until > now:
        return Pause("paused", _day(contact.checkins_paused_until.astimezone(zone).date()))
    return None


def _answer(prompt: MoodPrompt | None) -> Answer | None:
    if prompt is None:
        return None
    return Answer(prompt.status, prompt.score, prompt.alerted_at is not None, bool(prompt.note))


def _why(reasons: tuple[str, ...], prompt: MoodPrompt, mood: MoodCheckin | None) -> list[str]:
    words = {
        "danger": lambda: _t("checkins_why_danger"),
        "very_low": lambda: _t("checkins_why_very_low", score=prompt.score),
        "low_in_a_row": lambda: _t("checkins_why_low_in_a_row", count=mood.alert.low_in_a_row if mood else "?"),
    }
    return [words[reason]() for reason in reasons]


def _active_members(db, slug: str) -> list[Member]:
    people = [member for member in list_members(db, slug) if member.status == "active"]
    return sorted(people, key=lambda member: ((member.contact.name or "").casefold(), member.id))


def _programme(db, slug: str, checkin: str, mood: MoodCheckin, now: datetime) -> Programme:
    """One programme as the staff of community ``slug`` see it."""
    today = _today()
    people = _active_members(db, slug)
    by_contact = {member.contact_id: member for member in people}
    prompts = timeline.prompts_of(db, list(by_contact), today - timedelta(weeks=WEEKS), today, checkins=[checkin])
    latest = sorted({p.local_date for p in prompts if p.status != "planned"}, reverse=True)[:LATEST]
    cells = {(p.contact_id, p.local_date): p for p in prompts}
    rows = [
        MemberRow(member.id, member.contact.name, [_answer(cells.get((member.contact_id, day))) for day in latest], _pause(member.contact, now))
        for member in people
    ]
    days = [
        Day(
            _day(day),
            asked=sum(p.local_date == day and p.status in ASKED for p in prompts),
            answered=sum(p.local_date == day and p.status == "answered" for p in prompts),
        )
        for day in latest
    ]
    communities = runtime().flows.current().communities
    alerts = []
    for prompt in reversed(prompts):
        if prompt.alerted_at is None:
            continue
        # Who was told went through the membership the question was asked through.
        through = db.get(Member, prompt.member_id) if prompt.member_id else None
        told = answers.alert_recipients(through, communities.get(through.community) if through else None)
        member = by_contact[prompt.contact_id]
        why = _why(answers.why_alerted(runtime(), db, prompt), prompt, mood)
        alerts.append(Alert(_day(prompt.local_date), prompt.alerted_at, member.id, member.contact.name, prompt.score, why, told))
    return Programme(checkin, mood, days, rows, alerts)


@blueprint.get("/checkins")
@requires(*ROLES)
def checkins_page():
    now = clock.now()
    mine = sorted(my_communities().items(), key=lambda item: item[1].name.casefold())
    cards = []
    with runtime().db.session() as db:
        for slug, community in mine:
            for checkin, mood in _programmes(slug).items():
                cards.append(dict(slug=slug, community=community, programme=_programme(db, slug, checkin, mood, now)))
    return render_template("console/checkins.html", cards=cards, weeks=WEEKS)


@blueprint.get("/checkins/<slug>")
@requires(*ROLES)
def checkins_community(slug: str):
    community, programmes = _community_with_programmes(slug)
    now = clock.now()
    with runtime().db.session() as db:
        shown = [_programme(db, slug, checkin, mood, now) for checkin, mood in programmes.items()]
    return render_template("console/checkins_community.html", slug=slug, community=community, programmes=shown, weeks=WEEKS)


def _member_or_abort(db, slug: str, member_id: int) -> Member:
    member = theirs(db, Member, member_id)
    if member.community != slug:
        abort(404)
    return member


def _member_prompts(db, member: Member, programmes: dict[str, MoodCheckin]) -> list[MoodPrompt]:
    """The member's check-ins of the last half year that were asked (or held back by a pause)."""
    today = _today()
    found = timeline.prompts_of(db, [member.contact_id], today - timedelta(weeks=WEEKS), today, checkins=list(programmes))
    return [prompt for prompt in found if prompt.status != "planned"]


@blueprint.get("/checkins/<slug>/members/<int:member_id>")
@requires(*ROLES)
def checkin_member(slug: str, member_id: int):
    community, programmes = _community_with_programmes(slug)
    with runtime().db.session() as db:
        member = _member_or_abort(db, slug, member_id)
        rows = [
            dict(
                day=_day(prompt.local_date), programme=programmes[prompt.checkin].name, answer=_answer(prompt),
                why=_why(answers.why_alerted(runtime(), db, prompt), prompt, programmes[prompt.checkin]) if prompt.alerted_at else [],
            )
            for prompt in reversed(_member_prompts(db, member, programmes))
        ]
        name, pause = member.contact.name, _pause(member.contact, clock.now())
    log.info("console: %s read the mood timeline of member %s", viewer().email, member_id)
    return render_template(
        "console/checkin_member.html",
        slug=slug, community=community, member_id=member_id, name=name, pause=pause, rows=rows, several=len(programmes) > 1, weeks=WEEKS,
    )


@blueprint.get("/checkins/<slug>/members/<int:member_id>/mood.svg")
@requires(*ROLES)
def checkin_member_chart(slug: str, member_id: int):
    _, programmes = _community_with_programmes(slug)
    with runtime().db.session() as db:
        member = _member_or_abort(db, slug, member_id)
        prompts = _member_prompts(db, member, programmes)
        name = member.contact.name or _t("checkins_no_name", id=member.id)
    days = sorted({prompt.local_date for prompt in prompts})
    scores = {(prompt.checkin, prompt.local_date): prompt.score for prompt in prompts}
    series = [
        Series(mood.name, [scores.get((checkin, day)) for day in days])
        for checkin, mood in programmes.items()
        if any(prompt.checkin == checkin for prompt in prompts) or len(programmes) == 1
    ]
    svg = line_chart(_t("checkins_chart_title", name=name), [_chart_day(day) for day in days], series, y_range=(LOWEST, HIGHEST))
    return svg_response(svg)
