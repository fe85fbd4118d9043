"""What the bot wanted a person on the staff to know: a flow's `notify`, a message Instagram
would not carry, an account to reconnect, a young person staying away. The staff console will
list these; until then, the API does."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import select

from bot.api.common import flag_parameter, get_or_404, local, query_flag, runtime
from bot.api.routing import route
from bot.core import clock
from bot.storage.models import StaffNotification

PAGE = 100


class NotificationOut(BaseModel):
    id: int
    contact_id: int | None = Field(description="The young person it is about (a contact's id); none when it is about an account")
    flow: str | None = Field(description="The flow or community that raised it")
    text: str
    created_at: datetime = Field(description="Local time with its offset")
    seen_at: datetime | None = Field(description="When someone marked it seen; none while it is new")

    @classmethod
    def of(cls, row: StaffNotification) -> NotificationOut:
        zone = runtime().settings.zone
        return cls(id=row.id, contact_id=row.contact_id, flow=row.flow, text=row.text, created_at=local(row.created_at, zone), seen_at=local(row.seen_at, zone))


class NotificationListOut(BaseModel):
    notifications: list[NotificationOut]


UNSEEN = flag_parameter("unseen", "true: only the ones nobody has marked seen")


@route(
    "GET", "/notifications", requires="staff", summary="What staff were told", response=NotificationListOut,
    query=(UNSEEN,), errors={422: "`unseen` is neither true nor false"},
)
def list_notifications():
    """Newest first, at most 100. `?unseen=true` leaves out the ones marked seen."""
    query = select(StaffNotification).order_by(StaffNotification.id.desc()).limit(PAGE)
    if query_flag("unseen"):
        query = query.where(StaffNotification.seen_at.is_(None))
    with runtime().db.session() as session:
        return NotificationListOut(notifications=[NotificationOut.of(row) for row in session.scalars(query)])


@route("POST", "/notifications/<int:notification_id>/seen", requires="staff", summary="Mark a notification seen", response=NotificationOut)
def mark_seen(notification_id: int):
    """Seen once is seen: marking it again keeps the first time."""
    with runtime().db.session() as session:
        row = get_or_404(session, StaffNotification, notification_id, "notification")
        row.seen_at = row.seen_at or clock.now()
        session.flush()
        return NotificationOut.of(row)
