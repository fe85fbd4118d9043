"""RecordAttendance: a reply to the day-of message (coming, late, not coming)."""
from __future__ import annotations

from bot import attendance
from bot.effects import Effects, handles
from bot.engine.actions import RecordAttendance


@handles(RecordAttendance)
def record_attendance(action: RecordAttendance, effects: Effects) -> None:
    attendance.record_reply(effects.session, effects.contact.id, action.event_id, action.reply, effects.now)
