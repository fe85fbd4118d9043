"""Instagram's webhook (Meta's Messenger Platform): each signed batch becomes channel-neutral messages.

The signature is an HMAC of the raw request bytes, checked before anything is parsed or stored
(re-serialised JSON would not match: Meta escapes æøå). One request may hold several entries
(our accounts), each with several messaging items; each message is recorded once by its ``mid``
and processed on the queue, so Meta gets its 200 at once.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy import select

from bot.domain.inbound import receive, storable
from bot.metrics import WEBHOOK_REQUESTS
from bot.storage.models import InboundMessage

blueprint = Blueprint("instagram", __name__, url_prefix="/webhooks/instagram")
log = logging.getLogger(__name__)

SCOPED_ID = re.compile(r"[0-9]{1,25}")
MAX_TEXT_CHARS = 1000  # Meta's own limit for a direct message
MAX_MID_CHARS = 255
# What a flow sees for a message without text: staff get the reference, the flow a plain word.
ATTACHMENT_WORDS = {"image": "[billede]", "video": "[video]", "audio": "[lydbesked]", "file": "[fil]", "story_mention": "[story]", "share": "[delt opslag]"}


def _runtime():
    return current_app.extensions["ungebot"]


@blueprint.get("")
def verify_subscription():
    """Meta's handshake when the webhook is set up: echo the challenge if the token is ours."""
    expected = _runtime().settings.meta_verify_token
    token = request.args.get("hub.verify_token", "")
    if not expected or request.args.get("hub.mode") != "subscribe" or not hmac.compare_digest(token.encode(), expected.encode()):
        WEBHOOK_REQUESTS.labels("instagram", "bad_verify_token").inc()
        abort(403, "verification failed")
    challenge = request.args.get("hub.challenge", "")
    if not challenge or len(challenge) > 200:
        abort(400, "hub.challenge is missing")
    return Response(challenge, mimetype="text/plain")


@blueprint.post("")
def incoming():
    raw = request.get_data(cache=False)
    _verify_signature(raw)
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError):
        # RecursionError: nested deeper than the parser goes, which no event of Meta's is.
        abort(400, "the body is not JSON")
    if not isinstance(payload, dict) or payload.get("object") != "instagram" or not isinstance(payload.get("entry"), list):
        abort(400, "not an Instagram webhook event (object 'instagram' with a list of entries)")
    flows = _runtime().flows.current()
    for entry in payload["entry"]:
        if not isinstance(entry, dict) or not _is_id(entry.get("id")) or not isinstance(entry.get("messaging", []), list):
            abort(400, "an entry needs our account's id and a list of messaging items")
    outcomes = [_handle(entry["id"], item, flows) for entry in payload["entry"] for item in entry.get("messaging", [])]
    for outcome in outcomes:
        WEBHOOK_REQUESTS.labels("instagram", outcome).inc()
    return Response("EVENT_RECEIVED", mimetype="text/plain")


def _verify_signature(raw: bytes) -> None:
    secret = _runtime().settings.meta_app_secret
    if not secret:
        log.warning("Instagram webhook refused: META_APP_SECRET is not configured")
        WEBHOOK_REQUESTS.labels("instagram", "not_configured").inc()
        abort(403, "Instagram is not configured")
    given = request.headers.get("X-Hub-Signature-256", "")
    expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        log.warning("Instagram webhook refused: missing or invalid signature")
        WEBHOOK_REQUESTS.labels("instagram", "bad_signature").inc()
        abort(403, "invalid signature")


def _is_id(value) -> bool:
    return isinstance(value, str) and bool(SCOPED_ID.fullmatch(value))


def _handle(account: str, item, flows) -> str:
    """Record one messaging item; what happened, for the metrics."""
    if not isinstance(item, dict):
        return "malformed"
    message = item.get("message")
    postback = item.get("postback")
    if isinstance(postback, dict):
        # An ice breaker or menu item tapped ("Spørg anonymt" -> RÅD): its payload is what was said.
        message = {"mid": postback.get("mid"), "text": postback.get("payload")}
    if not isinstance(message, dict):
        # Reads, reactions, seen-receipts: nothing for a flow to answer.
        return "read" if "read" in item else "ignored"
    if message.get("is_echo"):
        return "echo"  # our own message, reported back
    mid = message.get("mid")
    sender = (item.get("sender") or {}).get("id") if isinstance(item.get("sender"), dict) else None
    if not isinstance(mid, str) or not mid or len(mid) > MAX_MID_CHARS or not _is_id(sender):
        log.warning("Instagram messaging item without a usable mid or sender skipped")
        return "malformed"
    if message.get("is_deleted"):
        return _forget(storable(mid))  # the mid as it was recorded, without NUL characters
    body, attachments = _content(message)
    if body is None:
        return "malformed"
    owner = flows.instagram_owner(account)
    received = receive(
        _runtime(),
        channel="instagram",
        scheme="instagram",
        address=f"{account}:{sender}",
        body=body,
        provider_id=mid,
        to_address=account,
        attachments=attachments,
        anonymous=owner == "counselling",
    )
    return "duplicate" if received.duplicate else "accepted"


def _content(message: dict) -> tuple[str | None, list[dict] | None]:
    """(what the flow reads, attachment references). A quick reply is its payload: the choice's
    full label, which titles cut to 20 characters would not always be."""
    quick_reply = message.get("quick_reply")
    text = quick_reply.get("payload") if isinstance(quick_reply, dict) else message.get("text")
    attachments = []
    listed = message.get("attachments")
    for attachment in listed if isinstance(listed, list) else []:
        if isinstance(attachment, dict) and isinstance(attachment.get("type"), str):
            url = (attachment.get("payload") or {}).get("url") if isinstance(attachment.get("payload"), dict) else None
            attachments.append({"type": attachment["type"][:20], "url": url if isinstance(url, str) else None})
    if isinstance(text, str) and text.strip():
        return text[:MAX_TEXT_CHARS], attachments or None
    if attachments:
        return " ".join(ATTACHMENT_WORDS.get(a["type"], "[vedhæftet]") for a in attachments), attachments
    return None, None


def _forget(mid: str) -> str:
    """The young person unsent a message: its words leave our database too (the record stays,
    so a late redelivery of the same mid is still recognised)."""
    runtime = _runtime()
    with runtime.db.session() as session:
        stored = session.scalars(
            select(InboundMessage).where(InboundMessage.channel == "instagram", InboundMessage.provider_id == mid)
        ).one_or_none()
        if stored is None:
            return "deleted"
        stored.body, stored.attachments = "", None
    return "deleted"
