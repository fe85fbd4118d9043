"""The one source of "now" (aware, UTC).

Transcripts move it forward ("- wait: 2h") so that timeouts can be tested without sleeping;
everything that asks what time it is goes through here.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    return datetime.now(UTC) + _offset


def travel(delta: timedelta) -> None:
    global _offset
    _offset += delta


def reset() -> None:
    global _offset
    _offset = timedelta(0)


def set_now(moment: datetime) -> None:
    """Make ``now()`` return ``moment`` (and run on from there)."""
    global _offset
    _offset = moment - datetime.now(UTC)
