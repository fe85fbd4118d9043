"""What the bot told staff (a flow's ``notify``, a no-show, a message Instagram would not carry),
and who may see it.

A notification belongs to a community when it came from the community (its slug) or from one of
its flows (``cafe.svar``). Staff see their communities' notifications; one that belongs to no
community (an account to reconnect, a flow of the whole service) is for admins, since it may
name a young person that staff of another community have no reason to know.
"""
from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.orm import Session

from bot.storage.models import MAX_ID, StaffNotification

PAGE = 100


def _visible(communities: Collection[str] | None) -> ColumnElement[bool]:
    """``communities`` None: everything (admin)."""
    if communities is None:
        return true()
    if not communities:
        return false()
    flow = StaffNotification.flow
    return or_(flow.in_(list(communities)), *(flow.startswith(f"{slug}.", autoescape=True) for slug in communities))


def latest(session: Session, communities: Collection[str] | None, *, unseen_only: bool = False, limit: int = PAGE) -> list[StaffNotification]:
    """Newest first."""
    query = select(StaffNotification).where(_visible(communities)).order_by(StaffNotification.id.desc()).limit(limit)
    if unseen_only:
        query = query.where(StaffNotification.seen_at.is_(None))
    return list(session.scalars(query))


def unseen_count(session: Session, communities: Collection[str] | None) -> int:
    query = select(func.count()).select_from(StaffNotification).where(_visible(communities), StaffNotification.seen_at.is_(None))
    return session.scalar(query) or 0


def mark_seen(session: Session, notification_id: int, communities: Collection[str] | None, now: datetime) -> StaffNotification | None:
    """Seen once is seen: marking it again keeps the first time. None when it is not there for them."""
    if not 0 < notification_id <= MAX_ID:
        return None
    row = session.scalars(select(StaffNotification).where(StaffNotification.id == notification_id, _visible(communities))).first()
    if row is not None:
        row.seen_at = row.seen_at or now
        session.flush()
    return row
