"""Pictures and files young people send, shown in the console: a case's to its counsellor, a
member's (in their conversation on the member page) to staff of their community.

Twilio keeps an MMS's media behind HTTP Basic auth with the account's SID and token, which no
browser may hold. The console fetches it for the signed-in viewer and streams it through: never
stored, never logged, fetched only for our own account and only from the configured Twilio API
host. The viewer's browser never sees Twilio's URL either: its message sid leads, in Twilio's
console, to the young person's number. Instagram's media links need no credentials and are
linked as they are.
"""
from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from flask import Response, abort, url_for

from bot.console.access import requires, runtime, viewer
from bot.console.blueprint import blueprint, language
from bot.console.texts import TEXTS, text
from bot.core import clock
from bot.domain.cases import inbox

log = logging.getLogger(__name__)

COUNSELLOR = "counsellor"
TWILIO_MEDIA_PATH = re.compile(r"/2010-04-01/Accounts/(AC[0-9a-f]{32})/Messages/(MM[0-9a-f]{32})/Media/(ME[0-9a-f]{32})")
# What a browser may show in a tab of its own; anything else (an SVG, a web page, a contact card)
# is handed over as a download, so nothing a young person sends ever runs in the console's origin.
SHOWN_INLINE = frozenset(
    {
        "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/heif", "video/mp4", "video/3gpp", "video/quicktime",
        "audio/mpeg", "audio/mp4", "audio/aac", "audio/ogg", "audio/amr", "audio/wav",
    }
)
MEDIA_POLICY = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
TIMEOUT_SECONDS = (5, 30)  # to connect, between bytes
CHUNK_BYTES = 64 * 1024


def _from_twilio(url: str) -> bool:
    parts = urlsplit(url)
    host = parts.hostname or ""
    from_twilio = parts.scheme == "https" and (host == "twilio.com" or host.endswith(".twilio.com"))
    return from_twilio or url.startswith(runtime().settings.twilio_api_url.rstrip("/") + "/")


def twilio_media_path(url: object) -> str | None:
    """The path of an MMS media resource of our own Twilio account, or None."""
    if not isinstance(url, str) or not _from_twilio(url):
        return None
    found = TWILIO_MEDIA_PATH.fullmatch(urlsplit(url).path)
    account = runtime().settings.twilio_account_sid
    return found.group(0) if found is not None and account and found.group(1) == account else None


def twilio_media_path_of(attachments: list[dict] | None, index: int) -> str | None:
    """The Twilio media path of a message's ``index``-th attachment, or None (none such, or not ours to fetch)."""
    attachments = attachments or []
    return twilio_media_path(attachments[index].get("url")) if index < len(attachments) else None


@blueprint.app_template_global()
def attachment_kind(kind: str) -> str:
    """A medium's kind in the viewer's words ("billede"), or as the provider named it."""
    key = f"attachment_{kind}"
    return text(key, language()) if key in TEXTS else kind


@blueprint.app_template_global()
def media_href(attachment: dict, endpoint: str, **values: object) -> str | None:
    """Where the viewer opens an attachment: through the console (``endpoint`` with ``values``)
    for Twilio's, Instagram's own https link, or nowhere (a reference without a usable link)."""
    url = attachment.get("url")
    if twilio_media_path(url) is not None:
        return url_for(endpoint, **values)
    return url if isinstance(url, str) and url.startswith("https://") and not _from_twilio(url) else None


@blueprint.get("/cases/<alias>/media/<int:message_id>/<int:index>")
@requires(COUNSELLOR)
def case_media(alias: str, message_id: int, index: int):
    with runtime().db.session() as db:
        try:
            case = inbox.find(db, alias)
        except inbox.CaseError:
            abort(404)
        message = next((m for m in inbox.thread(db, case) if m.id == message_id and m.direction == "in"), None)
        path = twilio_media_path_of(message.attachments, index) if message is not None else None
        if path is None:
            abort(404)
        inbox.audit(db, viewer().email, "view", alias, clock.now())
    return streamed_from_twilio(path)


def streamed_from_twilio(path: str) -> Response:
    """The media at ``path`` (``twilio_media_path``), fetched with our account's credentials and
    streamed: inline only what a browser shows without running it, and sandboxed even then."""
    import requests  # only here, where a picture is shown: the web process otherwise sends no HTTP request

    settings = runtime().settings
    try:
        upstream = requests.get(
            settings.twilio_api_url.rstrip("/") + path, auth=(settings.twilio_account_sid, settings.twilio_auth_token),
            stream=True, timeout=TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        log.warning("media could not be fetched from Twilio: %s", type(error).__name__)
        abort(502)
    if upstream.status_code != 200:
        upstream.close()
        log.warning("media could not be fetched from Twilio: HTTP %s", upstream.status_code)
        abort(404 if upstream.status_code == 404 else 502)
    content_type = upstream.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    inline = content_type in SHOWN_INLINE
    response = Response(upstream.iter_content(CHUNK_BYTES), content_type=content_type if inline else "application/octet-stream")
    response.call_on_close(upstream.close)
    response.headers["Content-Disposition"] = "inline" if inline else "attachment"
    response.headers["Content-Security-Policy"] = MEDIA_POLICY
    return response
