"""A community's attendance for Excel: one row per member per event, in Danish, as Danish Excel
opens it (``csv_import.excel_csv``). No phone numbers, and no cell can run as a formula.

The REST API and the console export the same file from here.
"""
from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.attendance.overview import by_name
from bot.domain.bookings.bookings import booked_member_ids
from bot.domain.communities.csv_import import excel_csv
from bot.storage.models import Attendance, Event, Member

# Member statuses of people who have been members (said yes); "joining" and "declined" never were.
MEMBERS = ("active", "left")
REPLY_IN_DANISH = {"confirmed": "kommer", "late": "kommer senere", "declined": "kommer ikke", "unsure": "måske"}
PRESENCE_IN_DANISH = {"attended": "kom", "absent": "kom ikke"}
CSV_COLUMNS = ("dato", "start", "medlem_id", "navn", "svar", "svar_tidspunkt", "fremmøde", "fremmøde_sat_af")


def _was_member_at(member: Member, event: Event) -> bool:
    if member.status not in MEMBERS or member.joined_at > event.starts_at:
        return False
    return member.status == "active" or member.left_at is None or member.left_at > event.starts_at


def attendance_csv(session: Session, community: str, first: date, last: date, zone: ZoneInfo) -> bytes:
    """The events with a local date in [first, last] that were not cancelled, each with everyone
    who was a member then (at a booked time, who booked it) and anyone with a reply or presence."""
    events = session.scalars(
        select(Event)
        .where(Event.community == community, Event.cancelled_at.is_(None), Event.local_date >= first, Event.local_date <= last)
        .order_by(Event.starts_at)
    ).all()
    rows: dict[tuple[int, int], Attendance] = {
        (row.event_id, row.member_id): row for row in session.scalars(select(Attendance).where(Attendance.event_id.in_([e.id for e in events])))
    }
    people = sorted(session.scalars(select(Member).where(Member.community == community)).all(), key=by_name)
    booked = {event.id: booked_member_ids(session, event.id) for event in events if event.kind == "booking"}
    lines = []
    for event in events:
        for member in people:
            row = rows.get((event.id, member.id))
            if row is None and (not _was_member_at(member, event) or (event.id in booked and member.id not in booked[event.id])):
                continue
            reply_at = row.reply_at.astimezone(zone) if row and row.reply_at else None
            lines.append([
                event.local_date.isoformat(),
                event.starts_at.astimezone(zone).strftime("%H:%M"),
                str(member.id),
                member.contact.name,
                REPLY_IN_DANISH.get(row.reply, row.reply) if row and row.reply else "",
                reply_at.strftime("%Y-%m-%d %H:%M") if reply_at else "",
                PRESENCE_IN_DANISH.get(row.presence, row.presence) if row and row.presence else "",
                row.presence_set_by if row else "",
            ])
    return excel_csv(list(CSV_COLUMNS), lines)
