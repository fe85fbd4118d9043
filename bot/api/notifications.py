"""What the bot wanted a person on the staff to know: a flow's `notify`, a message Instagram
would not carry, an account to reconnect, a young person staying away. The staff console lists
them per community (``bot.domain.notifications``); an API token sees them all."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bot.api.common import LocalTime, flag_parameter, query_flag, runtime
from bot.api.errors import ApiError
from bot.api.routing import route
from bot.core import clock
from bot.domain import notifications

EVERY_COMMUNITY = None


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    contact_id: int | None = Field(description="The young person it is about (a contact's id); none when it is about an account")
    flow: str | None = Field(description="The flow or community that raised it")
    text: str
    created_at: LocalTime = Field(description="Local time with its offset")
    seen_at: LocalTime | None = Field(description="When someone marked it seen; none while it is new")


class NotificationListOut(BaseModel):
    notifications: list[NotificationOut]


UNSEEN = flag_parameter("unseen", "true: only the ones nobody has marked seen")


@route(
    "GET", "/notifications", requires="staff", summary="What staff were told", response=NotificationListOut,
    query=(UNSEEN,), errors={422: "`unseen` is neither true nor false"},
)
def list_notifications():
    """Newest first, at most 100. `?unseen=true` leaves out the ones marked seen."""
    with runtime().db.session() as session:
        return NotificationListOut(notifications=notifications.latest(session, EVERY_COMMUNITY, unseen_only=query_flag("unseen")))


@route("POST", "/notifications/<int:notification_id>/seen", requires="staff", summary="Mark a notification seen", response=NotificationOut)
def mark_seen(notification_id: int):
    """Seen once is seen: marking it again keeps the first time."""
    with runtime().db.session() as session:
        row = notifications.mark_seen(session, notification_id, EVERY_COMMUNITY, clock.now())
        if row is None:
            raise ApiError(404, f"no notification {notification_id}")
        return NotificationOut.model_validate(row)
