"""Communities for staff: who meets when and where, and their events.

Communities live in YAML next to the flows; events are rows that the planner
(``bot.domain.communities.reminders.plan``) makes for today and the next few days. Further ahead, the events are
computed from the schedule without storing them, and say so (``planned: false``): see
``bot.domain.communities.overview``, which the console lists them with too.
"""
from __future__ import annotations

import logging
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from bot.api.common import FROM, TO, LocalTime, community_or_404, date_window, plan_now, runtime, today
from bot.api.routing import route
from bot.core import clock
from bot.domain.communities.members import known_communities
from bot.domain.communities.overview import community_events, member_counts, next_events, stored_event
from bot.flows.communities import Community
from bot.storage.models import Event

log = logging.getLogger(__name__)

DEFAULT_DAYS = 14
NEXT_EVENTS = 5


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
        return stored_event(event, info.context["community"]) if isinstance(event, Event) else event


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
        events = community_events(session, rt.settings.zone, slug, community, first, last, clock.now())
    return EventListOut(community=slug, first=first, to=last, events=[EventOut.model_validate(event) for event in events])


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


@route("GET", "/communities", requires="staff", summary="List the communities", response=CommunityListOut)
def community_list():
    """Every community in the community files, by slug (the file's name)."""
    communities = known_communities(runtime())
    with runtime().db.session() as session:
        counts = member_counts(session)
    return CommunityListOut(
        communities=[CommunityOut.of(slug, communities[slug], counts.get(slug, {}).get("active", 0)) for slug in sorted(communities)]
    )


@route("GET", "/communities/<slug>", requires="staff", summary="Get a community", response=CommunityDetailOut)
def community_detail(slug: str):
    """The community and its next events."""
    community = community_or_404(slug)
    rt = runtime()
    plan_now(rt)
    with rt.db.session() as session:
        count = member_counts(session).get(slug, {}).get("active", 0)
        upcoming = next_events(session, rt.settings.zone, slug, community, clock.now(), NEXT_EVENTS)
    return CommunityDetailOut(
        **CommunityOut.of(slug, community, count).model_dump(), next_events=[EventOut.model_validate(event) for event in upcoming]
    )
