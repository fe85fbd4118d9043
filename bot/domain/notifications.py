"""What the bot told staff (a flow's ``notify``, a no-show, a message Instagram would not carry),
and who may see it.

A notification belongs to a community when it came from the community (its slug) or from one of
its flows (``cafe.svar``). Staff see their communities' notifications; one that belongs to no
community (an account to reconnect, a flow of the whole service) is for admins, since it may
name a young person that staff of another community have no reason to know. One about a young
person leads to their conversation on a member page the viewer may open (``member_pages``).
"""
from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.orm import Session

from bot.storage.models import MAX_ID, Member, StaffNotification

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


def member_pages(session: Session, rows: Collection[StaffNotification], communities: Collection[str] | None) -> dict[int, int]:
    """By notification id, the member (id) whose page shows the young person it is about: their
    membership of the notification's own community, else of another of ``communities`` (None:
    any). A notification about nobody, or about someone in none of them, has none."""
    contact_ids = {row.contact_id for row in rows if row.contact_id is not None}
    if not contact_ids or (communities is not None and not communities):
        return {}
    query = select(Member.id, Member.contact_id, Member.community).where(Member.contact_id.in_(contact_ids)).order_by(Member.id)
    if communities is not None:
        query = query.where(Member.community.in_(list(communities)))
    memberships: dict[int, dict[str, int]] = {}
    for member_id, contact_id, community in session.execute(query):
        memberships.setdefault(contact_id, {})[community] = member_id
    pages = {}
    for row in rows:
        theirs = memberships.get(row.contact_id) if row.contact_id is not None else None
        if theirs:
            own = (row.flow or "").split(".", 1)[0]
            pages[row.id] = theirs.get(own, next(iter(theirs.values())))
    return pages
