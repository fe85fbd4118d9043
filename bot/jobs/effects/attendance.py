"""RecordAttendance: a reply to the day-of message (coming, late, not coming)."""
from __future__ import annotations

from bot.domain.attendance import attendance
from bot.engine.actions import RecordAttendance
from bot.jobs.effects import Effects, handles


@handles(RecordAttendance)
def record_attendance(action: RecordAttendance, effects: Effects) -> None:
    attendance.record_reply(effects.session, effects.contact.id, action.event_id, action.reply, effects.now)
