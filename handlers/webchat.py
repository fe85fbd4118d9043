"""The web chat: a page, a widget a municipal site embeds with one script tag, and the JSON API
behind them (docs/webchat.md).

No login and no cookies: the browser asks for a session token and sends it as a bearer header.
A foreign page cannot make a browser send that header (it has no ambient credential to borrow,
and a cross-site request with it needs a CORS preflight we never grant), so the API needs no
CSRF token; a request that says it comes from a site other than ours or an embedding one is
refused all the same. The page runs under a strict content security policy: no inline script or
style, nothing loaded from anywhere else.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, jsonify, make_response, render_template, request, send_from_directory

from bot import webchat
from bot.limits import Limit, network_key, over_limit
from bot.metrics import WEBHOOK_REQUESTS

blueprint = Blueprint(
    "webchat", __name__, url_prefix="/chat", template_folder="templates", static_folder="static/webchat", static_url_path="/static"
)

POLL_SECONDS = 2
# What one young person needs, with room: a message every few seconds; a poll every two seconds,
# and a few sooner after each message.
SESSION_MESSAGES = Limit("webchat-session-messages", 20)
SESSION_POLLS = Limit("webchat-session-polls", 150)
# Sessions cost nothing to make, so new sessions and messages count per IP address as well. Polls
# have a limit of their own: a school or library shows many young people behind one address.
IP_WRITES = Limit("webchat-ip-writes", 60)
IP_POLLS = Limit("webchat-ip-polls", 600)
TEXTS = {
    "da": {
        "title": "Chat med Ungebot",
        "greeting": (
            "Hej! Jeg er Ungebot, en chatbot – ikke et menneske. Skriv HJÆLP for at se, hvad jeg kan. "
            "Vil du spørge en rådgiver om noget uden at sige, hvem du er, så tryk på »Spørg anonymt«."
        ),
        "privacy": "Du skal ikke logge ind eller give dit nummer. Chatten er væk, når du lukker fanen.",
        "exit": "Forlad siden",
        "exit_hint": "Tryk på Esc eller »Forlad siden« for at gå væk fra siden med det samme.",
        "log": "Samtalen",
        "field": "Din besked",
        "send": "Send",
        "ask_anonymously": "Spørg anonymt",
        "choices": "Svarmuligheder",
        "you": "Dig",
        "bot": "Ungebot",
        "too_long": "Beskeden er for lang. Skriv højst 1000 tegn.",
        "too_fast": "Du skriver hurtigere, end jeg kan følge med. Vent et øjeblik, og prøv igen.",
        "failed": "Beskeden blev ikke sendt. Tjek din forbindelse, og prøv igen.",
        "noscript": "Chatten virker kun med JavaScript slået til.",
    },
    "en": {
        "title": "Chat with Ungebot",
        "greeting": (
            "Hi! I'm Ungebot, a chatbot – not a human. Type HELP to see what I can do. "
            "To ask a counsellor something without saying who you are, press “Ask anonymously”."
        ),
        "privacy": "No login and no phone number. The chat is gone when you close the tab.",
        "exit": "Leave page",
        "exit_hint": "Press Esc or “Leave page” to leave this page at once.",
        "log": "The conversation",
        "field": "Your message",
        "send": "Send",
        "ask_anonymously": "Ask anonymously",
        "choices": "Answers",
        "you": "You",
        "bot": "Ungebot",
        "too_long": "The message is too long. Write at most 1000 characters.",
        "too_fast": "You are writing faster than I can keep up with. Wait a moment and try again.",
        "failed": "The message was not sent. Check your connection and try again.",
        "noscript": "The chat only works with JavaScript turned on.",
    },
}


def _runtime():
    return current_app.extensions["ungebot"]


def _refuse(status: int, detail: str, headers: dict[str, str] | None = None):
    """Stop with a JSON error that keeps its headers (the app's error handler would drop them)."""
    names = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 413: "Payload Too Large", 415: "Unsupported Media Type", 429: "Too Many Requests"}
    abort(make_response(jsonify(error=names[status], detail=detail), status, headers or {}))


def _our_origin(origin: str) -> bool:
    base = _runtime().settings.public_base_url
    if base and origin == "{0.scheme}://{0.netloc}".format(urlsplit(base)):
        return True
    # Behind a proxy that ends TLS the scheme Flask sees is not the browser's; the host is.
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False  # not a URL: "http://[" opens an IPv6 address it never closes
    return parts.scheme in ("http", "https") and parts.netloc == request.host


@blueprint.before_request
def check_origin():
    origin = request.headers.get("Origin")
    if origin is not None and not (_our_origin(origin) or origin in _runtime().settings.embedding_origins):
        _refuse(403, "this site may not use the chat")
    request.max_content_length = webchat.MAX_REQUEST_BYTES


@blueprint.after_request
def security_headers(response):
    ancestors = " ".join(("'self'", *_runtime().settings.embedding_origins))
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        f"frame-ancestors {ancestors}; base-uri 'none'; form-action 'self'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if request.endpoint != "webchat.static":
        # Nothing of a conversation in any cache; also keeps the page out of the back-forward cache.
        response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("")
def page():
    language = "en" if request.args.get("lang") == "en" else "da"
    return render_template(
        "webchat/chat.html",
        language=language,
        texts=TEXTS[language],
        embedded=request.args.get("embed") == "1",
        exit_url=_runtime().settings.webchat_exit_url,
        ask_anonymously=webchat.ASK_ANONYMOUSLY[language],
        max_chars=webchat.MAX_TEXT_CHARS,
        poll_ms=POLL_SECONDS * 1000,
    )


@blueprint.get("/widget.js")
def widget():
    return send_from_directory(blueprint.static_folder, "widget.js", mimetype="text/javascript")


def _limit(limit: Limit, who: str) -> None:
    retry_after = over_limit(_runtime(), limit, who)
    if retry_after is not None:
        WEBHOOK_REQUESTS.labels("webchat", "rate_limited").inc()
        _refuse(429, "too many requests; try again later", {"Retry-After": str(retry_after)})


def _network() -> str:
    return network_key(current_app.secret_key)


def _session_address() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not webchat.TOKEN.fullmatch(token):
        _refuse(401, "a session token is required (POST /chat/api/sessions)", {"WWW-Authenticate": "Bearer"})
    return webchat.address_for(token)


@blueprint.post("/api/sessions")
def new_session():
    _limit(IP_WRITES, _network())
    return jsonify(token=webchat.new_token()), 201


@blueprint.post("/api/messages")
def post_message():
    address = _session_address()
    _limit(IP_WRITES, _network())
    _limit(SESSION_MESSAGES, address)
    if not request.is_json:
        _refuse(415, "send JSON")
    data = _json_body()
    if not isinstance(data, dict):
        _refuse(400, "the body is not a JSON object")
    client_id, text = data.get("id"), data.get("text")
    if not isinstance(client_id, str) or not webchat.CLIENT_ID.fullmatch(client_id):
        _refuse(400, "id must be 8 to 64 letters, digits or dashes (a UUID)")
    if not isinstance(text, str) or not text.strip() or "\x00" in text:
        _refuse(400, "text must be a non-empty string")
    if len(text) > webchat.MAX_TEXT_CHARS:
        _refuse(413, f"text is longer than {webchat.MAX_TEXT_CHARS} characters")
    received = webchat.receive_message(_runtime(), address, client_id, text)
    WEBHOOK_REQUESTS.labels("webchat", "duplicate" if received.duplicate else "accepted").inc()
    return jsonify(id=client_id), 202


def _json_body():
    """The request's JSON, or None when it cannot be read; JSON nested deeper than the parser goes
    is unreadable too (Flask's ``silent`` only covers ValueError)."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


@blueprint.get("/api/messages")
def list_messages():
    address = _session_address()
    _limit(IP_POLLS, _network())
    _limit(SESSION_POLLS, address)
    try:
        found, cursor = webchat.messages_after(_runtime(), address, request.args.get("after"))
    except webchat.InvalidCursor as error:
        _refuse(400, str(error))
    zone = _runtime().settings.zone
    messages = [
        {"id": message.key, "from": message.sender, "text": message.text, "choices": message.choices, "at": message.at.astimezone(zone).isoformat()}
        for message in found
    ]
    return jsonify(messages=messages, cursor=cursor)
