"""Durations as staff write them: ``30m``, ``2h``, ``1d``, ``1h30m``; Danish ``2t`` (timer), ``3u`` (uger)."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_UNITS = {
    "s": "seconds", "sek": "seconds",
    "m": "minutes", "min": "minutes",
    "h": "hours", "t": "hours",
    "d": "days",
    "w": "weeks", "u": "weeks",
}
_PART = re.compile(r"(\d+)\s*(sek|min|s|m|h|t|d|w|u)")
_PATTERN = r"^\s*(\d+\s*(sek|min|s|m|h|t|d|w|u)\s*)+$"
# JSON Schema regexes have no case-insensitive flag; staff may write 2H as well as 2h.
_SCHEMA_PATTERN = r"^\s*(\d+\s*([sS][eE][kK]|[mM][iI][nN]|[sSmMhHtTdDwWuU])\s*)+$"


def parse_duration(value: object) -> timedelta:
    if isinstance(value, timedelta):
        return value
    text = str(value).strip().lower()
    if not re.fullmatch(_PATTERN, text):
        raise ValueError(f"{value!r} is not a duration; write e.g. 30m, 2h, 1d or 1h30m")
    delta = timedelta()
    for amount, unit in _PART.findall(text):
        delta += timedelta(**{_UNITS[unit]: int(amount)})
    if delta <= timedelta(0):
        raise ValueError("a duration must be longer than zero")
    return delta


def _format(delta: timedelta) -> str:
    return f"{int(delta.total_seconds())}s"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(_format, return_type=str),
    WithJsonSchema({"type": "string", "pattern": _SCHEMA_PATTERN, "examples": ["30m", "2h", "1d"]}),
]
