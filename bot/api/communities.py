"""Communities for staff: who meets when and where, and their events.

Communities live in YAML next to the flows; events are rows that the planner
(``bot.domain.communities.reminders.plan``) makes for today and the next few days. Further ahead, the events are
computed from the schedule without storing them, and say so (``planned: false``).
"""
from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.api.common import FROM, TO, LocalTime, RowWith, community_or_404, date_window, plan_now, runtime, today
from bot.api.routing import route
from bot.core import clock
from bot.domain.communities import reminders
from bot.domain.communities.members import known_communities
from bot.flows.communities import Community
from bot.storage.models import Event, Member

log = logging.getLogger(__name__)

DEFAULT_DAYS = 14
NEXT_EVENTS = 5
NEXT_EVENTS_WITHIN_DAYS = 366


# Events ----------------------------------------------------------------------------------------

class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int | None = Field(description="None for an event too far ahead to be planned yet")
    community: str
    starts_at: LocalTime = Field(description="Local time with its offset")
    ends_at: LocalTime = Field(description="Local time with its offset")
    local_date: date
    kind: str = Field(description="regular (from the schedule), extra, or booking (a time young people booked)")
    note: str | None
    cancelled: bool
    cancelled_reason: str | None = Field(description="The reason in the community file, if it gives one")
    planned: bool = Field(description="Stored, with reminders planned; false for events computed from the schedule only")

    # A stored event's row says whether it is cancelled, its community file (given as
    # context={"community": ...}) why; an event computed from the schedule comes with every value.
    @model_validator(mode="before")
    @classmethod
    def _stored(cls, event: Any, info: ValidationInfo) -> Any:
        if not isinstance(event, Event):
            return event
        cancelled = event.cancelled_at is not None
        reason = _reasons(info.context["community"]).get(event.local_date) if cancelled else None
        return RowWith(event, cancelled=cancelled, cancelled_reason=reason, planned=True)


def _reasons(community: Community | None) -> dict[date, str | None]:
    return {c.date: c.reason for c in community.cancelled} if community is not None else {}


def community_events(session: Session, rt, slug: str, community: Community, first: date, last: date) -> list[EventOut]:
    """The community's events with a local date in [first, last], oldest first.

    Stored events as they are (cancelled ones flagged); beyond what the planner stores, the
    schedule's occurrences; and dates the community file cancels, flagged, so staff see why a
    regular evening is missing.
    """
    zone = rt.settings.zone
    now = clock.now()
    horizon = today(zone, now) + timedelta(days=reminders.PLAN_DAYS)
    stored = session.scalars(
        select(Event).where(Event.community == slug, Event.local_date >= first, Event.local_date <= last)
    ).all()
    found = {event.starts_at: EventOut.model_validate(event, context={"community": community}) for event in stored}

    def computed(occurrence, cancelled_reason: str | None = None, cancelled: bool = False) -> EventOut:
        return EventOut(
            id=None, community=slug, starts_at=occurrence.starts_at, ends_at=occurrence.ends_at,
            local_date=occurrence.local_date, kind=occurrence.kind, note=occurrence.note,
            cancelled=cancelled, cancelled_reason=cancelled_reason, planned=False,
        )

    ahead = max(first, horizon + timedelta(days=1))
    if ahead <= last:
        for occurrence in community.occurrences(ahead, last, zone):
            found.setdefault(occurrence.starts_at, computed(occurrence))
    reasons = _reasons(community)
    from_today = max(first, today(zone, now))
    if reasons and from_today <= last:
        for occurrence in community.model_copy(update={"cancelled": []}).occurrences(from_today, last, zone):
            if occurrence.local_date in reasons and occurrence.kind == "regular" and occurrence.starts_at not in found:
                found[occurrence.starts_at] = computed(occurrence, reasons[occurrence.local_date], cancelled=True)
    return sorted(found.values(), key=lambda event: (event.starts_at, event.ends_at))


class EventListOut(BaseModel):
    model_config = ConfigDict(validate_by_name=True, serialize_by_alias=True)

    community: str
    first: date = Field(alias="from")
    to: date
    events: list[EventOut]


@route(
    "GET", "/communities/<slug>/events", requires="staff", summary="A community's events", response=EventListOut,
    query=(FROM, TO),
)
def community_event_list(slug: str):
    """Query: `from` and `to`, local dates YYYY-MM-DD, both included (default: today and the next
    14 days; at most 366 days). Events the planner has stored have an `id`; those further ahead
    are computed from the schedule (`planned: false`, no `id`). Cancelled events are listed and
    flagged. A malformed date, `from` after `to`, or an unknown parameter is a 400."""
    community = community_or_404(slug)
    rt = runtime()
    first, last = date_window(today(rt.settings.zone), DEFAULT_DAYS)
    plan_now(rt)
    with rt.db.session() as session:
        events = community_events(session, rt, slug, community, first, last)
    return EventListOut(community=slug, first=first, to=last, events=events)


# Communities -----------------------------------------------------------------------------------

class KeywordOut(BaseModel):
    word: str
    language: Literal["da", "en"] | None = Field(description="None when the word works in any language")


class CommunityOut(BaseModel):
    slug: str
    name: str
    display_name: str = Field(description="The discreet name used in texts")
    place: str | None
    staff: list[str] = Field(description="First names of the staff who run it")
    keywords: list[KeywordOut] = Field(description="What a young person texts to join")
    schedule: str = Field(description="When it meets, in Danish, e.g. 'torsdage kl. 16:00-21:00'")
    active_members: int

    @classmethod
    def of(cls, slug: str, community: Community, active_members: int) -> CommunityOut:
        return cls(
            slug=slug,
            name=community.name,
            display_name=community.display_name,
            place=community.place,
            staff=[person.name for person in community.staff],
            keywords=[KeywordOut(word=word, language=language) for word, language in community.keywords()],
            schedule=community.describe("da"),
            active_members=active_members,
        )


class CommunityListOut(BaseModel):
    communities: list[CommunityOut]


class CommunityDetailOut(CommunityOut):
    next_events: list[EventOut] = Field(description=f"The next {NEXT_EVENTS} events that have not ended, cancelled ones flagged")


def _active_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Member.community, func.count()).where(Member.status == "active").group_by(Member.community))
    return dict(rows.all())


@route("GET", "/communities", requires="staff", summary="List the communities", response=CommunityListOut)
def community_list():
    """Every community in the community files, by slug (the file's name)."""
    communities = known_communities(runtime())
    with runtime().db.session() as session:
        counts = _active_counts(session)
    return CommunityListOut(
        communities=[CommunityOut.of(slug, communities[slug], counts.get(slug, 0)) for slug in sorted(communities)]
    )


@route("GET", "/communities/<slug>", requires="staff", summary="Get a community", response=CommunityDetailOut)
def community_detail(slug: str):
    """The community and its next events."""
    community = community_or_404(slug)
    rt = runtime()
    now = clock.now()
    first = today(rt.settings.zone, now)
    plan_now(rt)
    with rt.db.session() as session:
        count = _active_counts(session).get(slug, 0)
        events = community_events(session, rt, slug, community, first, first + timedelta(days=NEXT_EVENTS_WITHIN_DAYS))
    upcoming = [event for event in events if event.ends_at > now][:NEXT_EVENTS]
    return CommunityDetailOut(**CommunityOut.of(slug, community, count).model_dump(), next_events=upcoming)
