"""A community as staff look it up: its events, near and far, and how many members it has.

Events are rows that the planner (``bot.domain.communities.reminders.plan``) makes for today and
the next few days; whoever lists them plans first (``reminders.plan_now``). Further ahead, the
events are computed from the schedule without being stored, and say so (``planned`` is False).
The REST API and the console both list events from here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core.schedule import Occurrence
from bot.domain.communities.reminders import PLAN_DAYS
from bot.flows.communities import Community
from bot.storage.models import Event, Member

# How far ahead "the next events" are looked for: a community that meets at all meets within a year.
NEXT_EVENTS_WITHIN_DAYS = 366


@dataclass(frozen=True)
class CommunityEvent:
    """One event as staff see it: a stored row, or a date of the schedule with no row yet."""

    id: int | None  # None: not stored yet
    community: str
    starts_at: datetime
    ends_at: datetime
    local_date: date
    kind: str  # regular (from the schedule), extra, or booking (a time young people booked)
    note: str | None
    cancelled: bool
    cancelled_reason: str | None  # from the community file, if it gives one
    planned: bool  # stored, with reminders planned


def cancellation_reasons(community: Community | None) -> dict[date, str | None]:
    """The dates the community file cancels, each with its reason (None if it gives none)."""
    return {cancelled.date: cancelled.reason for cancelled in community.cancelled} if community is not None else {}


def stored_event(event: Event, community: Community | None) -> CommunityEvent:
    """A stored event; a cancelled one with the reason its community file gives."""
    cancelled = event.cancelled_at is not None
    return CommunityEvent(
        id=event.id, community=event.community, starts_at=event.starts_at, ends_at=event.ends_at, local_date=event.local_date,
        kind=event.kind, note=event.note, cancelled=cancelled,
        cancelled_reason=cancellation_reasons(community).get(event.local_date) if cancelled else None, planned=True,
    )


def _computed(slug: str, occurrence: Occurrence, cancelled_reason: str | None = None, cancelled: bool = False) -> CommunityEvent:
    return CommunityEvent(
        id=None, community=slug, starts_at=occurrence.starts_at, ends_at=occurrence.ends_at, local_date=occurrence.local_date,
        kind=occurrence.kind, note=occurrence.note, cancelled=cancelled, cancelled_reason=cancelled_reason, planned=False,
    )


def community_events(
    session: Session, zone: ZoneInfo, slug: str, community: Community, first: date, last: date, now: datetime
) -> list[CommunityEvent]:
    """The community's events with a local date in [first, last], oldest first.

    Stored events as they are (cancelled ones flagged); beyond what the planner stores, the
    schedule's occurrences; and dates the community file cancels, flagged, so staff see why a
    regular evening is missing.
    """
    today = now.astimezone(zone).date()
    stored = session.scalars(select(Event).where(Event.community == slug, Event.local_date >= first, Event.local_date <= last)).all()
    found = {event.starts_at: stored_event(event, community) for event in stored}
    ahead = max(first, today + timedelta(days=PLAN_DAYS + 1))
    if ahead <= last:
        for occurrence in community.occurrences(ahead, last, zone):
            found.setdefault(occurrence.starts_at, _computed(slug, occurrence))
    reasons = cancellation_reasons(community)
    from_today = max(first, today)
    if reasons and from_today <= last:
        for occurrence in community.model_copy(update={"cancelled": []}).occurrences(from_today, last, zone):
            if occurrence.local_date in reasons and occurrence.kind == "regular" and occurrence.starts_at not in found:
                found[occurrence.starts_at] = _computed(slug, occurrence, reasons[occurrence.local_date], cancelled=True)
    return sorted(found.values(), key=_in_time)


def _in_time(event: CommunityEvent) -> tuple[datetime, datetime]:
    return event.starts_at, event.ends_at


def next_events(session: Session, zone: ZoneInfo, slug: str, community: Community, now: datetime, count: int) -> list[CommunityEvent]:
    """The next ``count`` events that have not ended, cancelled ones among them and flagged."""
    first = now.astimezone(zone).date()
    events = community_events(session, zone, slug, community, first, first + timedelta(days=NEXT_EVENTS_WITHIN_DAYS), now)
    return [event for event in events if event.ends_at > now][:count]


def member_counts(session: Session) -> dict[str, dict[str, int]]:
    """Community slug -> member status (active, joining, left, declined) -> how many."""
    counts: dict[str, dict[str, int]] = {}
    for community, status, count in session.execute(select(Member.community, Member.status, func.count()).group_by(Member.community, Member.status)):
        counts.setdefault(community, {})[status] = count
    return counts
