"""One event and its day's announcement: a line staff write for the evening ("I dag kommer Sara fra
jobcentret, vi laver lasagne") that every member's day-of message that day carries.

The community file may give it by date (``announcements:``); once staff write it here or in the
console it is theirs, and the file no longer counts for that event (``announcement_by`` says who).
The rules are the day's (``bot.domain.communities.day``), so API and console refuse alike.
"""
from __future__ import annotations

import logging

from pydantic import BaseModel, ConfigDict, Field

from bot.api.common import get_or_404, runtime
from bot.api.communities import EventOut
from bot.api.errors import ApiError
from bot.api.fields import plain_text
from bot.api.routing import caller, route
from bot.core import clock
from bot.domain.communities import day as days
from bot.domain.communities.members import known_communities
from bot.flows.communities import ANNOUNCEMENT_MAX
from bot.storage.models import Event

log = logging.getLogger(__name__)


class EventWithAnnouncementOut(EventOut):
    announcement: str | None = Field(description="The day's announcement every member's message carries; None for none")
    announcement_by: str | None = Field(description="Who wrote it (a token's name or a console user); None if from the community file")


class Announcement(BaseModel):
    """One line, sent as written. Empty or null: no announcement that day (not even the file's)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    announcement: plain_text(ANNOUNCEMENT_MAX) | None  # type: ignore[valid-type]


def _out(rt, event: Event) -> EventWithAnnouncementOut:
    listed = EventOut.model_validate(event, context={"community": known_communities(rt).get(event.community)})
    return EventWithAnnouncementOut(**dict(listed), announcement=event.announcement, announcement_by=event.announcement_by)


@route("GET", "/events/<int:event_id>", requires="staff", summary="An event and its day's announcement", response=EventWithAnnouncementOut)
def get_event(event_id: int):
    """A stored event (see `/communities/{slug}/events`) with its day's announcement."""
    rt = runtime()
    with rt.db.session() as session:
        return _out(rt, get_or_404(session, Event, event_id, "event"))


@route(
    "PATCH", "/events/<int:event_id>", requires="staff", summary="Write the day's announcement", body=Announcement,
    response=EventWithAnnouncementOut, errors={409: "The event is cancelled or has started"},
)
def set_announcement(event_id: int, body: Announcement):
    """One line (at most 300 characters, one line, sent as written) that every member's day-of
    message for this event carries, under the community's text and above a personal line.
    Reminders already sent keep what they said. Until the event starts (409 after)."""
    rt = runtime()
    with rt.db.session() as session:
        event = get_or_404(session, Event, event_id, "event")
        try:
            days.set_announcement(session, event, body.announcement, caller().name, clock.now())
        except days.DayChangeError as error:
            raise ApiError(error.status, error.message) from None
        answer = _out(rt, event)
    log.info("api: %s wrote the announcement of event %s", caller().name, event_id)
    return answer
