"""What the bot told staff, newest first, for every role (per their communities), and the count
of unseen ones in the header. One about a young person links staff to their conversation on the
member page."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for

from bot.console.access import requires, runtime, viewer
from bot.console.blueprint import blueprint
from bot.console.members import ROLES as SEE_MEMBERS
from bot.core import clock
from bot.domain import notifications
from bot.domain.staff.accounts import ROLES


@blueprint.get("/notifications")
@requires(*ROLES)
def notifications_page():
    with runtime().db.session() as db:
        rows = notifications.latest(db, viewer().sees_communities)
        unseen = notifications.unseen_count(db, viewer().sees_communities)
        member_pages = _member_pages(db, rows)
    return render_template("console/notifications.html", rows=rows, unseen=unseen, member_pages=member_pages, zone=runtime().settings.zone)


@blueprint.get("/notifications/count")
@requires(*ROLES)
def notifications_count():
    """The header's badge, polled by htmx."""
    with runtime().db.session() as db:
        unseen = notifications.unseen_count(db, viewer().sees_communities)
    return render_template("console/_unseen_badge.html", unseen=unseen)


@blueprint.post("/notifications/<int:notification_id>/seen")
@requires(*ROLES)
def mark_notification_seen(notification_id: int):
    with runtime().db.session() as db:
        row = notifications.mark_seen(db, notification_id, viewer().sees_communities, clock.now())
        if row is None:
            abort(404)
        unseen = notifications.unseen_count(db, viewer().sees_communities)
        member_pages = _member_pages(db, [row])
    if request.headers.get("HX-Request"):
        return render_template(
            "console/_notification.html", row=row, zone=runtime().settings.zone, unseen=unseen, member_pages=member_pages, swap_badge=True,
        )
    return redirect(url_for("console.notifications_page"))


def _member_pages(db, rows) -> dict[int, int]:
    """Which member page shows each notification's young person, for a viewer who may open them."""
    return notifications.member_pages(db, rows, viewer().sees_communities) if viewer().role in SEE_MEMBERS else {}
