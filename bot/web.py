"""The Flask app factory: one blueprint per channel, configuration from the environment."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from redis.exceptions import RedisError
from sqlalchemy.exc import DataError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from bot import console
from bot.api.routes import blueprint as api
from bot.metrics import HTTP_RESPONSES
from bot.runtime import Runtime, get_runtime
from handlers.health import blueprint as health
from handlers.instagram import blueprint as instagram
from handlers.twilio import blueprint as twilio
from handlers.webchat import blueprint as webchat

MAX_REQUEST_BYTES = 64 * 1024
log = logging.getLogger(__name__)
csrf = CSRFProtect()


class _SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, with its signer made once per app: Flask makes it anew for
    every request, webhooks included, which cost 2 % of a webhook (the keys never change while
    the app runs)."""

    _signer = None  # each app has an instance of its own (create_app)

    def get_signing_serializer(self, app: Flask):
        if self._signer is None:
            self._signer = super().get_signing_serializer(app)
        return self._signer


def create_app(runtime: Runtime | None = None) -> Flask:
    runtime = runtime or get_runtime()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=runtime.settings.app_secret_key,
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        JSON_AS_ASCII=False,
    )
    app.extensions["ungebot"] = runtime
    app.session_interface = _SessionCookies()
    csrf.init_app(app)

    app.register_blueprint(health)
    app.register_blueprint(twilio)
    csrf.exempt(twilio)
    app.register_blueprint(webchat)
    # No cookies, no ambient credentials: only a bearer header, which a foreign page cannot make
    # a browser send; requests from other sites are refused by their Origin besides.
    csrf.exempt(webchat)
    app.register_blueprint(instagram)
    csrf.exempt(instagram)  # signed by Meta (X-Hub-Signature-256), not by a browser session

    app.register_blueprint(api)
    csrf.exempt(api)  # bearer tokens, not cookies: a browser cannot be tricked into sending one
    console.register(app)  # cookies: every form and every htmx request carries the CSRF token

    @app.errorhandler(HTTPException)
    def plain_http_error(error: HTTPException):
        if request.path.startswith("/console"):
            return console.error_page(error)
        # Only the body becomes JSON: the exception's headers (Allow on a 405, WWW-Authenticate,
        # Retry-After) tell the client what to do instead.
        headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
        return jsonify(error=error.name, detail=error.description), error.code, headers

    @app.after_request
    def no_content_sniffing(response):
        # A browser must take every answer for the type it says it is: JSON that quotes a request,
        # or a CSV export, is never run as a page or a script.
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    @app.after_request
    def count_response(response):
        # For the alert on webhook 5xx (deploy/prometheus): which part of the app, which class of status.
        HTTP_RESPONSES.labels(request.blueprint or "other", f"{response.status_code // 100}xx").inc()
        return response

    @app.errorhandler(DataError)
    def unstorable_value(error: DataError):
        # A value the database refuses (what receiving cleans should never get here): the
        # request's fault, not the database's, and a retry would be refused again.
        log.error("request refused: a value the database cannot store (%s)", type(error.orig).__name__)
        return jsonify(error="Unprocessable Content", detail="a value in the request cannot be stored"), 422

    @app.errorhandler(SQLAlchemyError)
    @app.errorhandler(RedisError)
    def backend_unavailable(error: Exception):
        # Twilio and Meta retry a 503; the message is not lost, only delayed.
        log.error("request failed, %s unavailable: %s", "database" if isinstance(error, SQLAlchemyError) else "Redis", type(error).__name__)
        return jsonify(error="Service Unavailable", detail="try again shortly"), 503

    return app
