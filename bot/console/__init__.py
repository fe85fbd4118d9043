"""The staff console (``/console``): server-rendered pages with htmx, for youth workers and
counsellors on a phone or a desktop. No build step, no CDN, no inline script.

The console calls the same domain code as the REST API (``bot.domain``), never the API over HTTP.
"""
from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from bot.console import attendance, auth, bookings, checkins, communities, flows, inbox, media, members, notifications, today
from bot.console.blueprint import blueprint

__all__ = [
    "attendance", "auth", "bookings", "checkins", "communities", "error_page", "flows", "inbox", "media", "members", "notifications", "register", "today",
]


def register(app: Flask) -> None:
    app.register_blueprint(blueprint)
    app.config.update(
        SESSION_COOKIE_NAME="ungebot_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.extensions["ungebot"].settings.public_base_url.startswith("https://"),
        WTF_CSRF_TIME_LIMIT=None,  # a token lives as long as the console session that holds it
    )


def error_page(error: HTTPException):
    """HTML for every error under /console (the rest of the app answers JSON)."""
    key = "form_expired" if isinstance(error, CSRFError) else {403: "not_allowed", 404: "not_found"}.get(error.code or 500)
    page = render_template("console/error.html", message_key=key, description=None if key else error.description)
    return page, error.code or 500
