"""Mood check-ins for staff: a member's timeline (with a small chart) and a weekly overview.

The young person's own words after "vil du fortælle mere?" are not in these answers for staff:
only an ``admin`` token sees them (``?notes=true``), because a youth worker needs to know that
someone is struggling, not everything they wrote.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta
from xml.sax.saxutils import escape

from flask import Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from bot.api.common import FROM, TO, date_window, flag_parameter, get_or_404, query_flag, runtime, today
from bot.api.errors import ApiError
from bot.api.routing import caller, route
from bot.domain.mood import timeline
from bot.storage.models import Member, MoodPrompt

log = logging.getLogger(__name__)

TIMELINE_DAYS = 182
OVERVIEW_DAYS = 56


class MoodPoint(BaseModel):
    date: date
    checkin: str
    status: str = Field(description="planned, sent, answered, paused, stopped, missed or cancelled")
    score: int | None = Field(description="1 (very bad) to 5 (very good); None when not answered")
    has_note: bool = Field(description="The young person wrote more (only admin sees the words)")
    note: str | None = Field(None, description="Their words, for admin tokens with ?notes=true")
    alerted: bool = Field(description="A person was told (low answer or words of danger)")


class MoodTimelineOut(BaseModel):
    member_id: int
    points: list[MoodPoint]


class MoodWeek(BaseModel):
    week: str = Field(description="ISO week, e.g. 2026-W48")
    asked: int
    answered: int
    unanswered: int
    low: int = Field(description="Answers of 2 or lower")
    paused: int = Field(description="Not asked: paused or stopped by the young person")


class MoodOverviewOut(BaseModel):
    checkin: str
    weeks: list[MoodWeek]


def _member_prompts(member_id: int, first: date, last: date) -> tuple[Member, list[MoodPrompt]]:
    with runtime().db.session() as session:
        member = get_or_404(session, Member, member_id, "member")
        found = timeline.prompts_of(session, [member.contact_id], first, last)
        session.expunge_all()
        return member, found


NOTES = flag_parameter("notes", "true: with the young person's own words (admin tokens only)")


@route(
    "GET", "/members/<int:member_id>/mood", requires="staff", summary="A member's mood check-ins", response=MoodTimelineOut,
    query=(FROM, TO, NOTES),
    errors={403: "The token's role is neither staff nor admin, or it asks for `notes` without being admin", 422: "`notes` is neither true nor false"},
)
def member_mood(member_id: int):
    """The last half year by default (`from`, `to` as YYYY-MM-DD). `notes=true` adds the young
    person's own words, for admin tokens only."""
    with_notes = query_flag("notes")
    if with_notes and caller().role != "admin":
        raise ApiError(403, "only an admin token may read what young people wrote")
    zone = runtime().settings.zone
    first, last = date_window(today(zone) - timedelta(days=TIMELINE_DAYS), TIMELINE_DAYS)
    member, found = _member_prompts(member_id, first, last)
    log.info("api: %s read the mood timeline of member %s%s", caller().name, member_id, " with notes" if with_notes else "")
    return MoodTimelineOut(
        member_id=member.id,
        points=[
            MoodPoint(
                date=p.local_date, checkin=p.checkin, status=p.status, score=p.score, has_note=bool(p.note),
                note=p.note if with_notes else None, alerted=p.alerted_at is not None,
            )
            for p in found
        ],
    )


@route(
    "GET", "/members/<int:member_id>/mood.svg", requires="staff", summary="A member's mood as a small chart",
    media_type="image/svg+xml", query=(FROM, TO),
)
def member_mood_chart(member_id: int):
    """The answers of the last half year as a line from 1 to 5; gaps where nothing was answered."""
    zone = runtime().settings.zone
    first, last = date_window(today(zone) - timedelta(days=TIMELINE_DAYS), TIMELINE_DAYS)
    _, found = _member_prompts(member_id, first, last)
    return Response(mood_chart(found, first, last), content_type="image/svg+xml; charset=utf-8")


def mood_chart(prompts: list[MoodPrompt], first: date, last: date, width: int = 320, height: int = 80) -> str:
    """An accessible SVG sparkline: a title and description for screen readers, one dot per answer."""
    span = max((last - first).days, 1)
    pad = 8

    def x(day: date) -> float:
        return round(pad + (width - 2 * pad) * (day - first).days / span, 1)

    def y(score: int) -> float:
        return round(height - pad - (height - 2 * pad) * (score - 1) / 4, 1)

    answered = [p for p in prompts if p.score is not None]
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-labelledby="t d">',
        '<title id="t">Humør-tjek</title>',
        f'<desc id="d">{escape(_describe(answered))}</desc>',
        f'<line x1="{pad}" y1="{y(2)}" x2="{width - pad}" y2="{y(2)}" stroke="#d4d4d4" stroke-dasharray="4 3"/>',
    ]
    if len(answered) > 1:
        points = " ".join(f"{x(p.local_date)},{y(p.score)}" for p in answered)
        lines.append(f'<polyline points="{points}" fill="none" stroke="#2563eb" stroke-width="2"/>')
    for p in answered:
        colour = "#dc2626" if p.score <= 2 else "#2563eb"
        lines.append(f'<circle cx="{x(p.local_date)}" cy="{y(p.score)}" r="3" fill="{colour}"><title>{p.local_date}: {p.score}</title></circle>')
    lines.append("</svg>")
    return "\n".join(lines)


def _describe(answered: list[MoodPrompt]) -> str:
    if not answered:
        return "Ingen svar i perioden."
    scores = ", ".join(f"{p.local_date:%d.%m}: {p.score}" for p in answered)
    return f"{len(answered)} svar fra 1 (skidt) til 5 (rigtig godt): {scores}."


@route(
    "GET", "/mood/<slug>/weeks", requires="staff", summary="A mood check-in, week by week", response=MoodOverviewOut,
    statuses=(200, 404), query=(FROM, TO),
)
def mood_weeks(slug: str):
    """Per ISO week: how many were asked, answered, did not answer, answered low, or had paused.
    Counts only: no names, no words. Default: the last eight weeks (`from`, `to`)."""
    if slug not in runtime().flows.current().moods:
        raise ApiError(404, f"no mood check-in {slug!r}")
    zone = runtime().settings.zone
    first, last = date_window(today(zone) - timedelta(days=OVERVIEW_DAYS), OVERVIEW_DAYS)
    with runtime().db.session() as session:
        rows = session.execute(
            select(MoodPrompt.local_date, MoodPrompt.status, MoodPrompt.score).where(
                MoodPrompt.checkin == slug, MoodPrompt.local_date >= first, MoodPrompt.local_date <= last
            )
        ).all()
    weeks: dict[str, MoodWeek] = {}
    day = first - timedelta(days=first.weekday())
    while day <= last:
        weeks[_week(day)] = MoodWeek(week=_week(day), asked=0, answered=0, unanswered=0, low=0, paused=0)
        day += timedelta(days=7)
    for local_date, status, score in rows:
        week = weeks[_week(local_date)]
        if status in ("paused", "stopped"):
            week.paused += 1
        elif status in ("sent", "answered"):
            week.asked += 1
            if status == "answered":
                week.answered += 1
                week.low += score is not None and score <= 2
            else:
                week.unanswered += 1
    return MoodOverviewOut(checkin=slug, weeks=list(weeks.values()))


def _week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"
