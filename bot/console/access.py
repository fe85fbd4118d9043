"""Who is signed in to the console, and what their role lets them see.

The browser holds only a signed cookie with the session's random token; the session itself is a
database row (``bot.domain.staff``), so signing out, disabling a user and the 30-minute idle limit
take effect on the server, whatever the browser keeps. Every view states the roles it serves with
``@requires``; a test walks every console route as every role.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, g, redirect, request, session, url_for
from sqlalchemy.orm import Session

from bot.core import clock
from bot.domain.communities.members import known_communities
from bot.domain.staff import accounts
from bot.flows.communities import Community
from bot.storage.models import MAX_ID

SESSION_KEY = "console"
Row = TypeVar("Row")


@dataclass(frozen=True)
class Viewer:
    email: str
    role: str
    communities: tuple[str, ...]
    needs_second_factor: bool
    second_factor_done: bool

    @property
    def signed_in(self) -> bool:
        return self.second_factor_done or not self.needs_second_factor

    @property
    def sees_communities(self) -> tuple[str, ...] | None:
        """None: every community (admin)."""
        return None if self.role == "admin" else self.communities

    def works_in(self, slug: str) -> bool:
        return self.role == "admin" or slug in self.communities


def runtime():
    return current_app.extensions["ungebot"]


def load_viewer() -> None:
    g.viewer, g.session_ended = None, False
    token = session.get(SESSION_KEY)
    if not token:
        return
    with runtime().db.session() as db:
        found = accounts.current_session(db, token, clock.now())
        if found is None:
            session.pop(SESSION_KEY, None)
            g.session_ended = True
            return
        user, staff_session = found
        g.viewer = Viewer(
            email=user.email,
            role=user.role,
            communities=tuple(user.communities or ()),
            needs_second_factor=user.role in accounts.SECOND_FACTOR_ROLES,
            second_factor_done=staff_session.second_factor_at is not None,
        )


def viewer() -> Viewer:
    """The signed-in viewer, in a view that ``@requires`` guards."""
    signed_in: Viewer = g.viewer
    return signed_in


def go_to(endpoint: str, **values: Any):
    """A redirect that htmx follows as a whole page (a swapped-in login form would be nonsense)."""
    url = url_for(endpoint, **values)
    if request.headers.get("HX-Request"):
        return "", 204, {"HX-Redirect": url}
    return redirect(url)


def requires(*roles: str) -> Callable:
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def checked(**kwargs: Any):
            signed = g.viewer
            if signed is None:
                ended = 1 if g.session_ended else None
                return go_to("console.login", next=request.path if request.method == "GET" else None, ended=ended)
            if not signed.signed_in:
                return go_to("console.second_factor")
            if signed.role not in roles:
                abort(403)
            return view(**kwargs)

        checked.console_roles = roles  # type: ignore[attr-defined]
        return checked

    return decorate


def my_communities() -> dict[str, Community]:
    """The communities in the community files that the viewer works in (every one for an admin), by slug."""
    signed = viewer()
    return {slug: community for slug, community in known_communities(runtime()).items() if signed.works_in(slug)}


def community_or_abort(slug: str) -> Community:
    """The community ``slug`` if the viewer works in it: 404 if no community file has it, 403 if it is not theirs."""
    community = known_communities(runtime()).get(slug)
    if community is None:
        abort(404)
    must_work_in(slug)
    return community


def stored(db: Session, model: type[Row], row_id: int) -> Row | None:
    """The row ``row_id`` of ``model``, or None (an id past what the database can hold is none)."""
    return db.get(model, row_id) if 0 < row_id <= MAX_ID else None


def theirs(db: Session, model: type[Row], row_id: int) -> Row:
    """A row of a community (a member, an event, a booking) that the viewer works in: 404 if there
    is none, 403 if it is another community's."""
    row = stored(db, model, row_id)
    if row is None:
        abort(404)
    must_work_in(row.community)  # type: ignore[attr-defined]
    return row


def must_work_in(slug: str) -> None:
    """403 unless the viewer works in the community ``slug`` (of a member, an event or a booking)."""
    if not viewer().works_in(slug):
        abort(403)
