"""What the API's routes share: the runtime, 404s, local times, query strings, planning first."""
from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import clock, reminders
from bot.api.errors import ApiError
from bot.communities import Community
from bot.members import known_communities

log = logging.getLogger(__name__)

MAX_WINDOW_DAYS = 366
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Ids are 32-bit integers in PostgreSQL; a larger one in a path would be a database error, not a 404.
MAX_ID = 2**31 - 1


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


def today(zone: ZoneInfo, now: datetime | None = None) -> date:
    return (now or clock.now()).astimezone(zone).date()


def plan_now(rt) -> None:
    """Bring events and reminders up to date before reading them.

    The scheduler plans at the same time; on PostgreSQL both may try to add the same event, and
    the loser gets a unique-key error. By then the winner's rows are there, so once more is enough.
    """
    try:
        reminders.plan(rt)
    except IntegrityError:
        log.info("api: planning met a concurrent planner; planning again")
        reminders.plan(rt)


def query_parameters(*allowed: str) -> dict[str, str]:
    """The query string, refused (400) if it has parameters the route does not take, or one twice."""
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        takes = f"this route takes {', '.join(allowed)}" if allowed else "this route takes none"
        raise ApiError(400, f"unknown query parameter(s) {', '.join(map(repr, unknown))}; {takes}", fields={name: "unknown parameter" for name in unknown})
    repeated = sorted(name for name in request.args if len(request.args.getlist(name)) > 1)
    if repeated:
        raise ApiError(400, "each query parameter may be given once", fields={name: "given more than once" for name in repeated})
    return {name: request.args[name] for name in request.args}


def query_date(parameters: dict[str, str], name: str) -> date | None:
    value = parameters.get(name)
    if value is None or value == "":
        return None
    message = "write the date as YYYY-MM-DD, e.g. 2026-11-26"
    if not ISO_DATE.match(value):
        raise ApiError(400, f"{name}: {message}", fields={name: message})
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, f"{name}: there is no such date", fields={name: "there is no such date"}) from None
    if not EARLIEST <= parsed <= LATEST:
        message = f"a date from {EARLIEST.year} to {LATEST.year}"
        raise ApiError(400, f"{name}: {message}", fields={name: message})
    return parsed


def date_window(parameters: dict[str, str], default_first: date, default_days: int) -> tuple[date, date]:
    """``from`` and ``to`` (inclusive local dates); either can be left out."""
    first, last = query_date(parameters, "from"), query_date(parameters, "to")
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
