"""When a community meets: the ``schedule``/``cancelled``/``extra`` part of a community's YAML.

Pure (no I/O, no clock). Staff describe regular meetings as weekly rules (days, time, even/odd
ISO weeks, an optional season) or as an RFC 5545 RRULE; single dates are cancelled or added::

    schedule:
      - days: torsdag
        weeks: even
        time: "17:00-20:00"
        note: Musikaften
      - rrule: FREQ=MONTHLY;BYDAY=1WE
        time: "16:30-19:00"
    cancelled:
      - 2026-12-24
      - {date: 2026-12-31, reason: Nytårsaften}
    extra:
      - {date: 2026-12-19, time: "14:00-17:00", note: Julehygge}

``Schedule.occurrences(start, end, zone)`` expands that into events with aware UTC times.

Time rules (RFC 5545; the field notes on python-dateutil):

- Recurrences are expanded by ``dateutil.rrule`` with a *naive local* DTSTART, and each local
  wall-clock time is then placed in the IANA zone. So 17:00 stays 17:00 local across DST.
- A regular start that does not exist locally (02:30 on the spring-forward Sunday) is skipped
  (RFC 5545 3.3.10). An ambiguous one (02:30 on the fall-back Sunday) happens once, at the first
  instance (``fold=0``). A single extra event at a nonexistent time is moved forward by the gap
  (RFC 5545 3.3.5), as is an end time that falls in the gap.
- End times are wall-clock times too; an end at or before the start means the next day.
- "Even weeks" are ISO 8601 week numbers (``BYWEEKNO`` with ``WKST=MO``), never ``INTERVAL=2``:
  years with 53 ISO weeks (2026) would flip the parity at New Year.
"""
import datetime as dt
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from dateutil import tz as _dtz
from dateutil.rrule import rrulestr
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "Cancellation",
    "ExtraEvent",
    "Occurrence",
    "RRuleRule",
    "Rule",
    "Schedule",
    "TimeRange",
    "WeeklyRule",
    "error_lines",
]

UTC = dt.UTC
# DTSTART for rrule rules without ``from`` (a Monday, ISO week 1 of 2000). Rules whose meaning
# would depend on it (COUNT, INTERVAL > 1, no day given) must say ``from``.
ANCHOR = dt.date(2000, 1, 3)
EVEN_WEEKS = tuple(range(2, 53, 2))  # ISO weeks 2..52
ODD_WEEKS = tuple(range(1, 54, 2))  # ISO weeks 1..53 (week 53 is odd)

_MODEL_CONFIG = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)


def _error(kind: str, message: str, **context: Any) -> PydanticCustomError:
    return PydanticCustomError(kind, message, context)


# ---------------------------------------------------------------------------------------------
# Time range "17:00-20:00"

_TIME_RANGE = re.compile(
    r"\s*(?:kl\.?\s*)?(\d{1,2})(?:[:.](\d{2}))?\s*[-\u2013\u2014]\s*(\d{1,2})(?:[:.](\d{2}))?\s*",
    re.IGNORECASE,
)
_TIME_RANGE_MESSAGE = "'{value}' is not a time range like 17:00-20:00"
TIME_RANGE_JSON_SCHEMA = {
    "type": "string",
    "pattern": r"^\s*(kl\.?\s*)?\d{1,2}([:.]\d{2})?\s*[-\u2013\u2014]\s*\d{1,2}([:.]\d{2})?\s*$",
    "examples": ["17:00-20:00", "16.30-19.00", "20:00-01:00"],
    "description": "Local start and end time, e.g. 17:00-20:00; an end before the start is the next day.",
}


def _parse_time_range(text: str) -> dict[str, dt.time]:
    match = _TIME_RANGE.fullmatch(text)
    if not match:
        raise _error("time_range", _TIME_RANGE_MESSAGE, value=text)
    h1, m1, h2, m2 = (int(group or 0) for group in match.groups())
    if h2 == 24 and m2 == 0:  # "20-24" ends at midnight
        h2 = 0
    if not (h1 <= 23 and h2 <= 23 and m1 <= 59 and m2 <= 59):
        raise _error("time_range", _TIME_RANGE_MESSAGE, value=text)
    return {"start": dt.time(h1, m1), "end": dt.time(h2, m2)}


class TimeRange(BaseModel):
    """A local start and end time, written "17:00-20:00". Ends past midnight are allowed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: dt.time = Field(description="Local start time.")
    end: dt.time = Field(description="Local end time; at or before start means the next day.")

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            return _parse_time_range(value)
        if isinstance(value, (dict, TimeRange)):
            return value
        # e.g. YAML 1.1 reads an unquoted 17:00 as the number 1020
        raise _error("time_range", _TIME_RANGE_MESSAGE + " (write it in quotes)", value=str(value))

    @model_validator(mode="after")
    def _not_empty(self) -> "TimeRange":
        if self.start == self.end:
            raise _error("time_range", "'{value}' starts and ends at the same time", value=str(self))
        return self

    @model_serializer
    def _to_text(self) -> str:
        return str(self)

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        return dict(TIME_RANGE_JSON_SCHEMA)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    @property
    def crosses_midnight(self) -> bool:
        return self.end < self.start

    def local_bounds(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """Naive local start and end on ``day`` (the end may be on the next day)."""
        end_day = day + dt.timedelta(days=1) if self.crosses_midnight else day
        return dt.datetime.combine(day, self.start), dt.datetime.combine(end_day, self.end)


# ---------------------------------------------------------------------------------------------
# Weekdays (Danish and English)

DayName = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
DAY_NAMES: tuple[DayName, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_RFC_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DANISH_PLURAL = ("mandage", "tirsdage", "onsdage", "torsdage", "fredage", "lørdage", "søndage")
_ENGLISH_PLURAL = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")
_DANISH_SINGULAR = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
_ENGLISH_SINGULAR = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY_WORDS = (
    ("mandag", "mandage", "man", "monday", "mondays", "mon", "mo"),
    ("tirsdag", "tirsdage", "tir", "tirs", "tuesday", "tuesdays", "tue", "tues", "tu"),
    ("onsdag", "onsdage", "ons", "wednesday", "wednesdays", "wed", "we"),
    ("torsdag", "torsdage", "tor", "tors", "thursday", "thursdays", "thu", "thur", "thurs", "th"),
    ("fredag", "fredage", "fre", "friday", "fridays", "fri", "fr"),
    ("lørdag", "lørdage", "lør", "saturday", "saturdays", "sat", "sa"),
    ("søndag", "søndage", "søn", "sunday", "sundays", "sun", "su"),
)


def _spellings(word: str) -> list[str]:
    """'lørdag' is also written 'loerdag' or 'lordag' on keyboards without ø."""
    return list(dict.fromkeys([word, word.replace("ø", "oe"), word.replace("ø", "o")]))


DAY_ALIASES: dict[str, DayName] = {
    spelling: DAY_NAMES[index]
    for index, words in enumerate(_DAY_WORDS)
    for word in words
    for spelling in _spellings(word)
}
DAY_JSON_SCHEMA = {
    "type": "string",
    # JSON Schema has no case-insensitive enum; these are the forms staff write.
    "enum": list(dict.fromkeys(v for name in DAY_ALIASES for v in (name, name.capitalize(), name.upper()))),
    "description": "A weekday in Danish or English, e.g. torsdag, thursday, tor, thu.",
}


def _parse_day(value: Any) -> DayName:
    text = str(value).strip().lower().rstrip(".")
    if text in DAY_ALIASES:
        return DAY_ALIASES[text]
    close = difflib.get_close_matches(text, list(DAY_ALIASES), n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else " (write e.g. torsdag or thursday)"
    raise _error("weekday", "'{value}' is not a weekday{hint}", value=str(value), hint=hint)


def _parse_days(value: Any) -> list[DayName]:
    items = value if isinstance(value, (list, tuple)) else [value]
    if not items:
        raise _error("weekday", "give at least one weekday")
    days = {_parse_day(item) for item in items}
    return [name for name in DAY_NAMES if name in days]


Days = Annotated[
    list[DayName],
    BeforeValidator(_parse_days),
    WithJsonSchema({"anyOf": [DAY_JSON_SCHEMA, {"type": "array", "items": DAY_JSON_SCHEMA, "minItems": 1}]}),
]

_WEEKS_ALIASES = {"every": "every", "all": "every", "alle": "every", "even": "even", "lige": "even", "odd": "odd", "ulige": "odd"}


def _parse_weeks(value: Any) -> str:
    text = str(value).strip().lower()
    if text not in _WEEKS_ALIASES:
        raise _error("weeks", "'{value}' is not every, even or odd", value=str(value))
    return _WEEKS_ALIASES[text]


Weeks = Annotated[
    Literal["every", "even", "odd"],
    BeforeValidator(_parse_weeks),
    WithJsonSchema({"type": "string", "enum": list(_WEEKS_ALIASES)}),
]


# ---------------------------------------------------------------------------------------------
# Rules

class _Rule(BaseModel):
    model_config = _MODEL_CONFIG

    @model_validator(mode="after")
    def _season_in_order(self) -> "_Rule":
        until = self.last_date()
        if self.from_ is not None and until is not None and self.from_ > until:
            raise _error("season", "from ({start}) is after until ({end})", start=self.from_.isoformat(), end=until.isoformat())
        return self

    def last_date(self) -> dt.date | None:
        return self.until

    def local_starts(self, first: dt.date, last: dt.date) -> list[dt.datetime]:  # pragma: no cover
        raise NotImplementedError


class WeeklyRule(_Rule):
    """Every week (or every even/odd ISO week) on some weekdays, optionally within a season."""

    days: Days = Field(description="Weekday or list of weekdays (Danish or English), e.g. torsdag or [mandag, onsdag].")
    time: TimeRange = Field(description='Local time, e.g. "17:00-20:00".')
    weeks: Weeks = Field("every", description="every, even or odd ISO week numbers (lige/ulige).")
    from_: dt.date | None = Field(None, alias="from", description="First date of the season (inclusive).")
    until: dt.date | None = Field(None, description="Last date of the season (inclusive).")
    note: str | None = Field(None, description="A short note for staff and reminders.")

    def _dateutil_rrule(self) -> str:
        """The rule for dateutil (without DTSTART/UNTIL). Not for iCalendar export: RFC 5545
        allows BYWEEKNO only with FREQ=YEARLY, where dateutil 4.0 misnumbers some 1-2 Januarys."""
        parts = ["FREQ=WEEKLY", "WKST=MO", "BYDAY=" + ",".join(_RFC_DAYS[DAY_NAMES.index(d)] for d in self.days)]
        if self.weeks != "every":
            weeks = EVEN_WEEKS if self.weeks == "even" else ODD_WEEKS
            parts.append("BYWEEKNO=" + ",".join(map(str, weeks)))
        return ";".join(parts)

    def local_starts(self, first: dt.date, last: dt.date) -> list[dt.datetime]:
        """Naive local start times of this rule on local dates in [first, last]."""
        first = max(first, self.from_ or first)
        last = min(last, self.until or last)
        if first > last:
            return []
        # Start on the Monday of the window's ISO week: the pattern does not depend on DTSTART,
        # and a DTSTART on 1-2 January can make dateutil 4.0 misnumber those days' ISO week
        # (dateutil PR #1537).
        monday = first - dt.timedelta(days=first.weekday())
        text = self._dateutil_rrule() + f";UNTIL={_rfc_local(last, self.time.start)}"
        rule = rrulestr(text, dtstart=dt.datetime.combine(monday, self.time.start))
        return [start for start in rule if start.date() >= first]


_FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_KNOWN_PARTS = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY", "BYMONTHDAY", "BYYEARDAY",
                "BYWEEKNO", "BYMONTH", "BYSETPOS", "BYEASTER"}
_DAY_SELECTORS = {"BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYEASTER"}


@dataclass(frozen=True)
class _ParsedRRule:
    parts: dict[str, str]  # as written, without UNTIL
    until: dt.date | None

    @property
    def text(self) -> str:
        """Normalised: upper case, no RRULE: prefix, UNTIL last."""
        until = f";UNTIL={self.until:%Y%m%d}" if self.until else ""
        return ";".join(f"{name}={value}" for name, value in self.parts.items()) + until

    @property
    def body(self) -> str:
        """For dateutil: without UNTIL, and with WKST=MO unless given (ISO weeks start on Monday;
        dateutil's default is calendar.firstweekday(), a process-wide setting)."""
        wkst = "" if "WKST" in self.parts else ";WKST=MO"
        return ";".join(f"{name}={value}" for name, value in self.parts.items()) + wkst

    @property
    def interval(self) -> int:
        return int(self.parts.get("INTERVAL", "1"))


def _parse_rrule_text(text: str) -> _ParsedRRule:
    """Split an RRULE and check its parts; raises ValueError with a message for staff."""
    value = text.strip()
    if value.upper().startswith("RRULE:"):
        value = value[6:].strip()
    if "DTSTART" in value.upper():
        raise ValueError("leave DTSTART out: the rule starts on `from` at `time`")
    if "\n" in value or ":" in value:
        raise ValueError("give one RRULE only (use `cancelled` and `extra` instead of EXDATE/RDATE)")
    parts: dict[str, str] = {}
    for piece in filter(None, (p.strip() for p in value.split(";"))):
        name, sep, part = piece.partition("=")
        name, part = name.strip().upper(), part.strip().upper()
        if not sep or not name or not part:
            raise ValueError(f"'{piece}' is not NAME=VALUE")
        if name in ("BYHOUR", "BYMINUTE", "BYSECOND"):
            raise ValueError(f"{name} is not allowed: the time comes from `time`")
        if name not in _KNOWN_PARTS:
            raise ValueError(f"unknown part {name}")
        if name in parts:
            raise ValueError(f"{name} is given twice")
        parts[name] = part
    if parts.get("FREQ") not in _FREQS:
        raise ValueError("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY")
    until = None
    if "UNTIL" in parts:
        if "COUNT" in parts:
            raise ValueError("COUNT and UNTIL cannot both be given")
        try:
            until = dt.datetime.strptime(parts.pop("UNTIL"), "%Y%m%d").date()
        except ValueError:
            raise ValueError("UNTIL must be a date like 20261231 (or use `until`)") from None
    return _ParsedRRule(parts, until)


def _check_rrule(parsed: _ParsedRRule) -> None:
    """Let dateutil parse it, and make sure it ever happens; raises ValueError."""
    try:
        rule = rrulestr(parsed.body, dtstart=dt.datetime.combine(ANCHOR, dt.time()))
        # A rule that never happens would make dateutil search up to year 9999 on every
        # expansion. The Gregorian calendar repeats every 400 years: look at 9599-9999.
        ever = next(iter(rule.replace(dtstart=dt.datetime(9599, 1, 1), count=None)), None)
    except IndexError:
        raise ValueError("a number in it is out of range") from None
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise ValueError(str(exc) or type(exc).__name__) from None
    if parsed.interval < 1:
        raise ValueError("INTERVAL must be 1 or more")
    if "COUNT" in parsed.parts and int(parsed.parts["COUNT"]) < 1:
        raise ValueError("COUNT must be 1 or more")
    if ever is None:
        raise ValueError("it never happens")


class RRuleRule(_Rule):
    """A recurrence written as an RFC 5545 RRULE, e.g. FREQ=MONTHLY;BYDAY=1WE (first Wednesday)."""

    rrule: str = Field(description="RFC 5545 RRULE without DTSTART, e.g. FREQ=MONTHLY;BYDAY=1WE.")
    time: TimeRange = Field(description='Local time, e.g. "17:00-20:00".')
    from_: dt.date | None = Field(None, alias="from", description="First date (inclusive); DTSTART for COUNT/INTERVAL.")
    until: dt.date | None = Field(None, description="Last date (inclusive).")
    note: str | None = Field(None, description="A short note for staff and reminders.")

    @field_validator("rrule")
    @classmethod
    def _valid_rrule(cls, value: str) -> str:
        try:
            parsed = _parse_rrule_text(value)
            _check_rrule(parsed)
        except ValueError as exc:
            raise _error("rrule", "'{value}' is not a valid RRULE: {reason}", value=value, reason=str(exc)) from None
        return parsed.text

    @model_validator(mode="after")
    def _needs_from(self) -> "RRuleRule":
        parsed = self.parsed()
        if self.from_ is None:
            reason = None
            if "COUNT" in parsed.parts:
                reason = "COUNT counts from `from`"
            elif parsed.interval > 1:
                reason = f"INTERVAL={parsed.interval} counts from `from`"
            elif parsed.parts["FREQ"] != "DAILY" and not _DAY_SELECTORS & parsed.parts.keys():
                reason = "without BYDAY or BYMONTHDAY the day is taken from `from`"
            if reason:
                raise _error("rrule", "'{value}' needs `from`: {reason}", value=self.rrule, reason=reason)
        return self

    def parsed(self) -> _ParsedRRule:
        return _parse_rrule_text(self.rrule)

    def last_date(self) -> dt.date | None:
        ends = [d for d in (self.until, self.parsed().until) if d is not None]
        return min(ends) if ends else None

    def local_starts(self, first: dt.date, last: dt.date) -> list[dt.datetime]:
        """Naive local start times of this rule on local dates in [first, last]."""
        parsed = self.parsed()
        anchor = self.from_ or ANCHOR
        first = max(first, anchor)
        last = min(last, self.last_date() or last)
        if first > last:
            return []
        dtstart_day = anchor
        if "COUNT" not in parsed.parts:
            dtstart_day = _fast_forward(anchor, parsed, first)
            body = parsed.body + f";UNTIL={_rfc_local(last, self.time.start)}"
        else:
            body = parsed.body
        rule = rrulestr(body, dtstart=dt.datetime.combine(dtstart_day, self.time.start))
        starts = []
        for start in rule:
            if start.date() > last:
                break
            if start.date() >= first:
                starts.append(start)
        return starts


def _fast_forward(anchor: dt.date, parsed: _ParsedRRule, first: dt.date) -> dt.date:
    """A later DTSTART that gives the same occurrences from ``first`` on (rules without COUNT).

    DTSTART moves by whole intervals, so the phase, the weekday and the day of the month (which
    dateutil uses when BYDAY/BYMONTHDAY are missing) stay; and it stays at least one whole
    period before ``first``, so a partial first period (BYSETPOS) cannot reach the window.
    """
    freq, interval = parsed.parts["FREQ"], parsed.interval
    if freq in ("DAILY", "WEEKLY"):
        step = interval * (7 if freq == "WEEKLY" else 1)
        steps = (first - anchor).days // step - 1
        return anchor + dt.timedelta(days=step * steps) if steps > 0 else anchor
    months_per_step = interval * (12 if freq == "YEARLY" else 1)
    months = (first.year - anchor.year) * 12 + first.month - anchor.month
    steps = months // months_per_step - 1
    if steps <= 0:
        return anchor
    year, month0 = divmod(anchor.month - 1 + steps * months_per_step, 12)
    try:
        return anchor.replace(year=anchor.year + year, month=month0 + 1)
    except ValueError:  # from on the 29th-31st: that day is not in every month
        return anchor


def _rfc_local(day: dt.date, at: dt.time) -> str:
    return f"{day:%Y%m%d}T{at:%H%M%S}"


def _rule_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "rrule" if "rrule" in value else "weekly"
    return "rrule" if isinstance(value, RRuleRule) else "weekly"


Rule = Annotated[
    Annotated[WeeklyRule, Tag("weekly")] | Annotated[RRuleRule, Tag("rrule")],
    Discriminator(_rule_kind),
]


# ---------------------------------------------------------------------------------------------
# Cancellations and extra events

class Cancellation(BaseModel):
    """No regular event on this local date. Written as a bare date or {date, reason}."""

    model_config = _MODEL_CONFIG

    date: dt.date = Field(description="Local date on which regular events do not happen.")
    reason: str | None = Field(None, description="Why, e.g. Juleaften.")

    @model_validator(mode="before")
    @classmethod
    def _bare_date(cls, value: Any) -> Any:
        if isinstance(value, (str, dt.date)):
            return {"date": value}
        return value

    @model_serializer(mode="wrap")
    def _bare_when_no_reason(self, handler):
        data = handler(self)
        return data["date"] if self.reason is None else data

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        return {
            "anyOf": [
                {"type": "string", "format": "date", "description": "The cancelled date."},
                {
                    "type": "object",
                    "properties": {
                        "date": {"type": "string", "format": "date", "description": cls.model_fields["date"].description},
                        "reason": {"type": "string", "description": cls.model_fields["reason"].description},
                    },
                    "required": ["date"],
                    "additionalProperties": False,
                },
            ],
            "title": "Cancellation",
            "description": "No regular event on this local date: a bare date or {date, reason}.",
        }


class ExtraEvent(BaseModel):
    """A one-off event, on top of (or instead of) the regular ones."""

    model_config = _MODEL_CONFIG

    date: dt.date = Field(description="Local date of the event.")
    time: TimeRange = Field(description='Local time, e.g. "14:00-17:00".')
    note: str | None = Field(None, description="A short note, e.g. Julehygge.")


@dataclass(frozen=True)
class Occurrence:
    """One event: aware UTC start and end, and the local date it starts on."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    local_date: dt.date
    kind: Literal["regular", "extra"]
    note: str | None = None


# ---------------------------------------------------------------------------------------------
# Schedule

class Schedule(BaseModel):
    """A community's meeting times. Subclass it to add fields (``class Community(Schedule)``)."""

    model_config = _MODEL_CONFIG

    schedule: list[Rule] = Field(default_factory=list, description="Regular meeting rules.")
    cancelled: list[Cancellation] = Field(default_factory=list, description="Dates without the regular meeting.")
    extra: list[ExtraEvent] = Field(default_factory=list, description="One-off events.")

    def occurrences(self, start: dt.date, end: dt.date, zone: ZoneInfo | str) -> list[Occurrence]:
        """Events whose local start date is in [start, end], sorted by start.

        Cancelled dates remove regular events (not extras); two events with the same start are
        one (an extra wins over a regular one, else the first rule wins).
        """
        _check_window(start, end)
        zone = ZoneInfo(zone) if isinstance(zone, str) else zone
        cancelled = {c.date for c in self.cancelled}
        found: dict[dt.datetime, Occurrence] = {}
        for rule in self.schedule:
            for local_start in rule.local_starts(start, end):
                day = local_start.date()
                if day in cancelled or not _dtz.datetime_exists(local_start, zone):
                    continue  # RFC 5545: a recurrence at a nonexistent local time is skipped
                _, local_end = rule.time.local_bounds(day)
                starts_at = _to_utc(local_start, zone)
                found.setdefault(starts_at, Occurrence(starts_at, _to_utc(local_end, zone), day, "regular", rule.note))
        for extra in self.extra:
            if start <= extra.date <= end:
                local_start, local_end = extra.time.local_bounds(extra.date)
                starts_at = _to_utc(local_start, zone)
                found[starts_at] = Occurrence(starts_at, _to_utc(local_end, zone), extra.date, "extra", extra.note)
        return sorted(found.values(), key=lambda o: (o.starts_at, o.ends_at))

    def describe(self, language: str = "da") -> str:
        """A short description for staff, e.g. "torsdage i lige uger kl. 17:00-20:00"."""
        if language not in ("da", "en"):
            raise ValueError(f"language must be 'da' or 'en', not {language!r}")
        da = language == "da"
        parts = [_describe_rule(rule, da) for rule in self.schedule] or ["ingen faste tider" if da else "no regular times"]
        if self.cancelled:
            dates = ", ".join(_date_text(c.date, da) + (f" ({c.reason})" if c.reason else "") for c in self.cancelled)
            parts.append(("aflyst " if da else "cancelled ") + dates)
        for extra in self.extra:
            text = ("ekstra " if da else "extra ") + _date_text(extra.date, da) + " " + _time_text(extra.time, da)
            parts.append(text + (f" ({extra.note})" if extra.note else ""))
        return "; ".join(parts)


def _check_window(start: dt.date, end: dt.date) -> None:
    for value in (start, end):
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise TypeError(f"occurrences() takes local dates, not {type(value).__name__}")
    if start > end:
        raise ValueError(f"start ({start}) is after end ({end})")


def _to_utc(local: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """Place a naive local wall-clock time in ``zone``: ambiguous -> first (fold=0),
    nonexistent -> moved forward by the gap (RFC 5545 3.3.5)."""
    aware = _dtz.resolve_imaginary(local.replace(tzinfo=zone, fold=0))
    return aware.astimezone(UTC)


# ---------------------------------------------------------------------------------------------
# describe()

_ORDINALS_DA = {1: "første", 2: "anden", 3: "tredje", 4: "fjerde", 5: "femte", -1: "sidste"}
_ORDINALS_EN = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}


def _join(items: list[str], da: bool) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + (" og " if da else " and ") + items[-1]


def _date_text(day: dt.date, da: bool) -> str:
    return f"{day:%d.%m.%Y}" if da else day.isoformat()


def _time_text(time_range: TimeRange, da: bool) -> str:
    return f"kl. {time_range}" if da else str(time_range)


def _days_text(indexes: Iterable[int], da: bool) -> str:
    return _join([(_DANISH_PLURAL if da else _ENGLISH_PLURAL)[i] for i in indexes], da)


def _describe_rule(rule: WeeklyRule | RRuleRule, da: bool) -> str:
    if isinstance(rule, WeeklyRule):
        text = _days_text((DAY_NAMES.index(d) for d in rule.days), da)
        if rule.weeks != "every":
            text += {("even", True): " i lige uger", ("odd", True): " i ulige uger",
                     ("even", False): " in even weeks", ("odd", False): " in odd weeks"}[(rule.weeks, da)]
    else:
        text = _describe_rrule(rule.parsed(), da)
    text += " " + _time_text(rule.time, da)
    until = rule.last_date()
    if rule.from_ and until:
        text += f" fra {_date_text(rule.from_, da)} til {_date_text(until, da)}" if da else f" from {rule.from_} until {until}"
    elif rule.from_:
        text += f" fra {_date_text(rule.from_, da)}" if da else f" from {rule.from_}"
    elif until:
        text += f" til {_date_text(until, da)}" if da else f" until {until}"
    return text + (f" ({rule.note})" if rule.note else "")


def _describe_rrule(parsed: _ParsedRRule, da: bool) -> str:
    parts = {k: v for k, v in parsed.parts.items() if not (k == "WKST" and v == "MO")}
    freq, interval, byday = parts.pop("FREQ"), int(parts.pop("INTERVAL", "1")), parts.pop("BYDAY", None)
    days = [re.fullmatch(r"([+-]?\d)?(MO|TU|WE|TH|FR|SA|SU)", d) for d in byday.split(",")] if byday else []
    if not parts and days and all(days):
        plain = [_RFC_DAYS.index(m.group(2)) for m in days if not m.group(1)]
        if freq == "WEEKLY" and len(plain) == len(days):
            text = _days_text(sorted(plain), da)
            if interval > 1:
                text += f" hver {interval}. uge" if da else f" every {interval} weeks"
            return text
        if freq == "MONTHLY" and interval == 1 and len(days) == 1 and days[0].group(1):
            n, index = int(days[0].group(1)), _RFC_DAYS.index(days[0].group(2))
            if n in _ORDINALS_DA:
                if da:
                    return f"{_ORDINALS_DA[n]} {_DANISH_SINGULAR[index]} i måneden"
                return f"the {_ORDINALS_EN[n]} {_ENGLISH_SINGULAR[index]} of the month"
    return ("efter reglen " if da else "by the rule ") + parsed.text


# ---------------------------------------------------------------------------------------------

def error_lines(error: ValidationError) -> list[str]:
    """One line per problem, e.g. "schedule[0].days: 'torsdagg' is not a weekday (...)"."""
    lines = []
    for item in error.errors():
        loc, path = item["loc"], ""
        for index, part in enumerate(loc):
            if index >= 2 and loc[index - 2] == "schedule" and isinstance(loc[index - 1], int) and part in ("weekly", "rrule"):
                continue  # the rule kind (the union's tag), not a key
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        lines.append(f"{path}: {item['msg']}" if path else item["msg"])
    return lines
