"""Quiet hours: automatic messages wait until morning; direct replies do not."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def _inside(clock: time, start: time, end: time) -> bool:
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def next_allowed(now: datetime, window: tuple[time, time] | None, zone: ZoneInfo) -> datetime:
    """``now`` if automatic messages may go out now, otherwise when quiet hours end (UTC)."""
    if window is None:
        return now
    start, end = window
    local = now.astimezone(zone)
    if not _inside(local.time(), start, end):
        return now
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    # Build the wall-clock time in the zone, so 08:00 stays 08:00 across DST changes.
    opens = datetime.combine(day, end, tzinfo=zone)
    return opens.astimezone(now.tzinfo)
