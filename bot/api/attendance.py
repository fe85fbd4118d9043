"""Attendance for staff: who said they would come, who came, and who has quietly stayed away.

A young person's reply ("ja", "nej", "kommer senere") is recorded by the reply flow; whether
they came is set by staff here (``bot.domain.attendance.attendance.set_presence``, with the token's name as who
set it). Staying away is never punished: ``silent_misses_in_a_row`` and ``dormant`` are there so
someone can reach out.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import quote

from flask import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import or_, select

from bot.api.common import FROM, MAX_ID, TO, LocalTime, community_or_404, date_window, get_or_404, runtime, today
from bot.api.communities import EventOut
from bot.api.errors import ApiError
from bot.api.routing import caller, route
from bot.core import clock
from bot.domain.attendance.attendance import PresenceRefused, check_presence, once_more_if_raced, set_presence, silent_misses
from bot.domain.attendance.export import attendance_csv
from bot.domain.attendance.overview import people_at
from bot.domain.bookings.bookings import events_of
from bot.domain.communities.members import known_communities
from bot.domain.communities.reminders import DORMANT_AFTER
from bot.storage.models import Attendance, Event, Member

log = logging.getLogger(__name__)

CSV_DEFAULT_DAYS = 27  # four weeks, today included

Reply = Literal["confirmed", "declined", "late", "unsure"]
Presence = Literal["attended", "absent"]


class MemberAttendanceOut(BaseModel):
    member_id: int
    name: str | None
    member_status: str = Field(description="active, or left for someone who has left since")
    reply: Reply | None = Field(description="What they answered the reminder")
    reply_at: LocalTime | None = Field(description="Local time with its offset")
    presence: Presence | None = Field(description="Whether they came, as staff set it")
    presence_set_by: str | None = Field(description="The name of the token that last set or cleared the presence")


class EventAttendanceOut(BaseModel):
    event: EventOut
    members: list[MemberAttendanceOut]


class PresenceIn(BaseModel):
    """Whether the member came; null clears it."""

    model_config = ConfigDict(extra="forbid", strict=True)

    presence: Presence | None


class AttendedEventOut(BaseModel):
    event: EventOut
    reply: Reply | None
    reply_at: LocalTime | None
    presence: Presence | None
    presence_set_by: str | None


class MemberHistoryOut(BaseModel):
    member_id: int
    name: str | None
    community: str
    member_status: str
    silent_misses_in_a_row: int = Field(description="Their latest events in a row that they neither came to nor said no to")
    dormant: bool = Field(
        description="Active, there were events in the last 8 weeks, and they neither came nor replied to any of them"
    )
    events: list[AttendedEventOut] = Field(description="Their community's events since they joined, newest first")


def _row_out(member: Member, row: Attendance | None) -> MemberAttendanceOut:
    return MemberAttendanceOut(
        member_id=member.id,
        name=member.contact.name,
        member_status=member.status,
        reply=row.reply if row else None,
        reply_at=row.reply_at if row else None,
        presence=row.presence if row else None,
        presence_set_by=row.presence_set_by if row else None,
    )


def _event(session, event_id: int) -> Event:
    return get_or_404(session, Event, event_id, "event")


@route("GET", "/events/<int:event_id>/attendance", requires="staff", summary="Who said they would come, and who came", response=EventAttendanceOut)
def event_attendance(event_id: int):
    """Every active member of the event's community, by name, and anyone else with a reply or a
    presence for the event (a member who has left since)."""
    rt = runtime()
    with rt.db.session() as session:
        event = _event(session, event_id)
        return EventAttendanceOut(
            event=EventOut.model_validate(event, context={"community": known_communities(rt).get(event.community)}),
            members=[_row_out(member, row) for member, row in people_at(session, event)],
        )


@route(
    "PUT", "/events/<int:event_id>/attendance/<int:member_id>", requires="staff", summary="Set whether a member came",
    body=PresenceIn, response=MemberAttendanceOut,
    errors={409: "The event is cancelled, or its day has not come"},
)
def set_member_presence(event_id: int, member_id: int, body: PresenceIn):
    """"attended", "absent", or null to clear it; the token's name is recorded as who set it.
    From the event's day on (409 for a later event, or a cancelled one). Coming resets the
    no-show follow-up, so the member counts as fresh."""
    rt = runtime()
    now = clock.now()
    answer = once_more_if_raced(lambda: _set_presence(rt, event_id, member_id, body.presence, now))
    log.info("api: %s set presence %s for member %s at event %s", caller().name, body.presence, member_id, event_id)
    return answer


def _set_presence(rt, event_id: int, member_id: int, value: str | None, now: datetime) -> MemberAttendanceOut:
    with rt.db.session() as session:
        event = _event(session, event_id)
        try:
            member = check_presence(event, session.get(Member, member_id) if member_id <= MAX_ID else None, member_id, today(rt.settings.zone, now))
        except PresenceRefused as refused:
            raise ApiError(refused.status, str(refused)) from None
        row = set_presence(session, member, event, value, caller().name, now)
        session.flush()
        return _row_out(member, row)


def _dormant(member: Member, events: list[Event], rows: dict[int, Attendance], now: datetime) -> bool:
    if member.status != "active":
        return False
    since = now - DORMANT_AFTER
    recent = {e.id for e in events if e.cancelled_at is None and since <= e.starts_at and e.ends_at <= now}
    came = any(row.presence == "attended" and row.event_id in recent for row in rows.values())
    replied = any(row.reply_at is not None and row.reply_at >= since for row in rows.values())
    return bool(recent) and not came and not replied


@route("GET", "/members/<int:member_id>/attendance", requires="staff", summary="A member's attendance", response=MemberHistoryOut)
def member_attendance(member_id: int):
    """The events of the member's community from the day they joined (until they left) up to
    today, newest first, each with their reply and whether they came; and whether they have
    quietly stayed away."""
    rt = runtime()
    zone = rt.settings.zone
    now = clock.now()
    with rt.db.session() as session:
        member = get_or_404(session, Member, member_id, "member")
        rows = {row.event_id: row for row in session.scalars(select(Attendance).where(Attendance.member_id == member.id))}
        query = select(Event).where(
            Event.community == member.community,
            or_(
                (Event.starts_at >= member.joined_at) & (Event.local_date <= today(zone, now)) & events_of(member.id),
                Event.id.in_(list(rows)),
            ),
        )
        if member.left_at is not None and member.status == "left":
            query = query.where(or_(Event.starts_at <= member.left_at, Event.id.in_(list(rows))))
        events = session.scalars(query.order_by(Event.starts_at.desc())).all()
        community = known_communities(rt).get(member.community)
        missed = silent_misses(session, member, now)
        return MemberHistoryOut(
            member_id=member.id,
            name=member.contact.name,
            community=member.community,
            member_status=member.status,
            silent_misses_in_a_row=len(missed),
            dormant=_dormant(member, events, rows, now),
            events=[
                AttendedEventOut(
                    event=EventOut.model_validate(event, context={"community": community}),
                    reply=rows[event.id].reply if event.id in rows else None,
                    reply_at=rows[event.id].reply_at if event.id in rows else None,
                    presence=rows[event.id].presence if event.id in rows else None,
                    presence_set_by=rows[event.id].presence_set_by if event.id in rows else None,
                )
                for event in events
            ],
        )


@route(
    "GET", "/communities/<slug>/attendance.csv", requires="staff", summary="Export attendance for Excel",
    media_type="text/csv", query=(FROM, TO),
)
def community_attendance_csv(slug: str):
    """Query: `from` and `to`, local dates YYYY-MM-DD, both included (default: the last four
    weeks up to today; at most 366 days). One row per member per event that was not cancelled:
    everyone who was a member then, and anyone with a reply or presence. Semicolon-separated
    UTF-8 with a byte order mark, as Danish Excel expects, with Danish column names; no phone
    numbers, and no cell can run as a formula."""
    community_or_404(slug)
    rt = runtime()
    zone = rt.settings.zone
    last_day = today(zone)
    first, last = date_window(last_day - timedelta(days=CSV_DEFAULT_DAYS), CSV_DEFAULT_DAYS)
    with rt.db.session() as session:
        data = attendance_csv(session, slug, first, last, zone)
    log.info("api: %s exported the attendance of %s from %s to %s", caller().name, slug, first, last)
    disposition = f"attachment; filename=\"attendance.csv\"; filename*=UTF-8''{quote(slug)}-{first}-{last}.csv"
    return Response(data, content_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition})

