"""What the API's routes share: the runtime, 404s, local times, query parameters, planning first,
and what response models read rows with."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from flask import current_app, request
from pydantic import AfterValidator, AliasPath, BeforeValidator, Field
from sqlalchemy.orm import Session

from bot.api.errors import ApiError
from bot.api.routing import QueryParameter
from bot.core import clock
from bot.domain.communities.members import known_communities
from bot.domain.communities.reminders import plan_now as plan_now  # the API plans before it reads, as the console does
from bot.flows.communities import Community
from bot.storage.models import MAX_ID

MAX_WINDOW_DAYS = 366
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
# The dates from EARLIEST to LATEST that exist, YYYY-MM-DD; every fourth of these years is a leap year.
LOCAL_DATE = (
    r"20[0-9]{2}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
    r"|20(?:[02468][048]|[13579][26])-02-29"
)
FLAG_VALUES = ("true", "false")


# Shared helpers --------------------------------------------------------------------------------

def runtime():
    return current_app.extensions["ungebot"]


def community_or_404(slug: str) -> Community:
    community = known_communities(runtime()).get(slug)
    if community is None:
        raise ApiError(404, f"no community {slug!r}")
    return community


def get_or_404(session: Session, model, row_id: int, what: str):
    row = session.get(model, row_id) if 0 < row_id <= MAX_ID else None
    if row is None:
        raise ApiError(404, f"no {what} {row_id}")
    return row


def local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A stored (UTC) time as local time with its offset, as staff read it."""
    return moment.astimezone(zone) if moment is not None else None


# Times are stored in UTC and shown to staff in the configured zone: a response model converts
# its times as it validates them, so that no route has to.
LocalTime = Annotated[datetime, AfterValidator(lambda moment: local(moment, runtime().settings.zone))]
# Whether the young person said STOP, for a model read from a row (or RowWith) that has their contact.
OptedOut = Annotated[bool, BeforeValidator(lambda opted_out_at: opted_out_at is not None), Field(validation_alias=AliasPath("contact", "opted_out_at"))]


class RowWith:
    """A row for a response model to read ``from_attributes``, with the values the model takes
    that are no attributes of the row: worked out from it, or found elsewhere (a booking's member)."""

    def __init__(self, row: object, **values: object) -> None:
        self._row = row
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> object:
        return getattr(self._row, name)


def today(zone: ZoneInfo, now: datetime | None = None) -> date:
    return (now or clock.now()).astimezone(zone).date()


def date_parameter(name: str, description: str) -> QueryParameter:
    return QueryParameter(name, description, {"type": "string", "pattern": f"^(?:{LOCAL_DATE})?$", "examples": ["2026-11-26"]})


def flag_parameter(name: str, description: str) -> QueryParameter:
    return QueryParameter(name, description, {"type": "string", "enum": list(FLAG_VALUES)})


FROM = date_parameter("from", "The first local date, YYYY-MM-DD, included (empty or left out: see the route)")
TO = date_parameter("to", "The last local date, YYYY-MM-DD, included (empty or left out: see the route)")
DATE = date_parameter("date", "A local date, YYYY-MM-DD (empty or left out: today)")


def query_date(name: str) -> date | None:
    """The date in the query parameter ``name``; None when it is left out or empty."""
    value = request.args.get(name, "")
    if not value:
        return None
    if not re.fullmatch(LOCAL_DATE, value):
        message = _why_not_a_date(value)
        raise ApiError(400, f"{name}: {message}", fields={name: message})
    return date.fromisoformat(value)


def _why_not_a_date(value: str) -> str:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return "write the date as YYYY-MM-DD, e.g. 2026-11-26"
    try:
        date.fromisoformat(value)
    except ValueError:
        return "there is no such date"
    return f"a date from {EARLIEST.year} to {LATEST.year}"


def query_flag(name: str) -> bool:
    value = request.args.get(name, "false")
    if value not in FLAG_VALUES:
        raise ApiError(422, "some fields are invalid", fields={name: "must be true or false"})
    return value == "true"


def date_window(default_first: date, default_days: int) -> tuple[date, date]:
    """``from`` and ``to`` (inclusive local dates); either can be left out."""
    first, last = query_date("from"), query_date("to")
    if first is None and last is not None:
        first = max(EARLIEST, last - timedelta(days=default_days))
    first = first or default_first
    last = last or min(LATEST, first + timedelta(days=default_days))
    if first > last:
        raise ApiError(400, "'from' is after 'to'", fields={"from": "after 'to'"})
    if (last - first).days > MAX_WINDOW_DAYS:
        message = f"at most {MAX_WINDOW_DAYS} days from 'from' to 'to'"
        raise ApiError(400, message, fields={"to": message})
    return first, last
