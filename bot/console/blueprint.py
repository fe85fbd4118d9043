"""The console's blueprint: who is signed in, which language, and the headers every page gets."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from babel.dates import format_date, format_datetime
from flask import Blueprint, current_app, g, request

from bot.console.access import load_viewer
from bot.console.texts import LANGUAGES, text
from bot.domain import notifications

LANGUAGE_COOKIE = "console_language"
# Everything from this origin, nothing inline, nothing from elsewhere; no framing (clickjacking).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)

@dataclass(frozen=True)
class MenuItem:
    order: int
    endpoint: str
    label: str  # a key in bot.console.texts
    current: tuple[str, ...]  # the endpoints that are this menu item's pages


MENU: list[MenuItem] = []


def menu(order: int, endpoint: str, label: str, *, current: tuple[str, ...] = ()) -> None:
    """Put a page in the menu; who sees the item is who its view ``@requires``."""
    MENU.append(MenuItem(order, f"console.{endpoint}", label, (f"console.{endpoint}", *(f"console.{name}" for name in current))))
    MENU.sort(key=lambda item: item.order)


blueprint = Blueprint(
    "console", __name__, url_prefix="/console", template_folder="templates", static_folder="static/console", static_url_path="/static"
)


def language() -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    return chosen if chosen in LANGUAGES else "da"


@blueprint.before_request
def _who_is_it() -> None:
    # The stylesheet and htmx are the same for everyone: no database look-up for each of them.
    if request.endpoint == "console.static":
        g.viewer, g.session_ended = None, False
        return
    load_viewer()


def _in_console() -> bool:
    # By path, not by blueprint: a page under /console that matched no route is the console's too.
    return request.path == blueprint.url_prefix or request.path.startswith(f"{blueprint.url_prefix}/")


@blueprint.app_context_processor
def _words() -> dict:
    if not _in_console():
        return {}
    chosen = language()
    return {
        "lang": chosen,
        "t": lambda key, **values: text(key, chosen, **values),
        "viewer": g.get("viewer"),
        "unseen_notifications": _unseen_notifications,
        "menu_items": _menu_items,
    }


def _menu_items() -> list[MenuItem]:
    signed = g.get("viewer")
    if signed is None or not signed.signed_in:
        return []
    views = current_app.view_functions
    return [item for item in MENU if signed.role in getattr(views[item.endpoint], "console_roles", ())]


def _unseen_notifications() -> int:
    signed = g.get("viewer")
    if signed is None or not signed.signed_in:
        return 0
    with current_app.extensions["ungebot"].db.session() as db:
        return notifications.unseen_count(db, signed.sees_communities)


@blueprint.after_app_request
def _console_headers(response):
    if not _in_console():
        return response
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)  # a chart sets its own
    response.headers["Referrer-Policy"] = "same-origin"
    if not request.path.startswith("/console/static/"):
        # Pages hold what young people wrote: never kept by a shared or back-button cache.
        response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.app_template_filter("local_time")
def _local_time(moment: datetime | None) -> str:
    """A time as staff read it: in the service's zone, in their language ("6. dec. 14:05")."""
    if moment is None:
        return ""
    zone = current_app.extensions["ungebot"].settings.zone
    return format_datetime(moment.astimezone(zone), "d. MMM HH:mm", locale=language())


@blueprint.app_template_filter("clock_time")
def _clock_time(moment: datetime | None) -> str:
    """The time of day in the service's zone: "16:00"."""
    if moment is None:
        return ""
    return f"{moment.astimezone(current_app.extensions['ungebot'].settings.zone):%H:%M}"


@blueprint.app_template_filter("long_date")
def _long_date(day: date) -> str:
    """A day as staff say it, in their language: "torsdag 26. november"."""
    return format_date(day, "EEEE d. MMMM", locale=language())
