"""Instagram's webhook (Meta's Messenger Platform): each signed batch becomes channel-neutral messages.

The signature is an HMAC of the raw request bytes, checked before anything is parsed or stored
(re-serialised JSON would not match: Meta escapes æøå). One request may hold several entries
(our accounts), each with several messaging items; each message is recorded once by its ``mid``
and processed on the queue, so Meta gets its 200 at once.

Hearts, stickers and reactions are a young person's nod, not a message: they are acknowledged by
silence, never answered as something the bot did not understand nor passed on to staff.
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
# Attachments that are a gesture (Instagram's heart, a sticker), not something to read.
GESTURES = frozenset({"like_heart", "sticker"})


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
    if "reaction" in item:
        return "gesture"  # a reaction to one of our messages (or its removal)
    message = item.get("message")
    postback = item.get("postback")
    if isinstance(postback, dict):
        message = _tapped(postback, item)
    if not isinstance(message, dict):
        # Reads, seen-receipts: nothing for a flow to answer.
        return "read" if "read" in item else "ignored"
    if message.get("is_echo"):
        return "echo"  # our own message, reported back
    if not _to_us(account, item, flows):
        return "not_ours"
    mid = message.get("mid")
    sender = _sender(item)
    if not isinstance(mid, str) or not mid or len(mid) > MAX_MID_CHARS or sender is None:
        log.warning("Instagram messaging item without a usable mid or sender skipped")
        return "malformed"
    if message.get("is_deleted"):
        return _forget(storable(mid))  # the mid as it was recorded, without NUL characters
    if _is_gesture(message):
        return "gesture"
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


def _sender(item: dict) -> str | None:
    sender = item.get("sender")
    found = sender.get("id") if isinstance(sender, dict) else None
    return found if _is_id(found) else None


def _to_us(account: str, item: dict, flows) -> bool:
    """Whether the item was written to the entry's account (Meta names the recipient too) and
    that account is one we answer from: named in a file, or with a token of its own or the shared one."""
    recipient = item.get("recipient")
    if recipient is not None and (not isinstance(recipient, dict) or recipient.get("id") != account):
        return False
    if flows.instagram_owner(account) is None and not _runtime().settings.meta_token_for(account):
        log.warning("Instagram message to account %s ignored: no file names it and no token sends for it", account)
        return False
    return True


def _tapped(postback: dict, item: dict) -> dict:
    """An ice breaker, the get-started button or a menu item ("Spørg anonymt" -> RÅD): its payload
    is what was said, else its title. Meta sends the first two without a ``mid``: the sender and
    the moment stand for one, so a redelivery is still recognised."""
    mid = postback.get("mid")
    moment = item.get("timestamp")
    if not (isinstance(mid, str) and mid) and isinstance(moment, int) and not isinstance(moment, bool):
        mid = f"postback.{_sender(item)}.{moment}"
    payload = postback.get("payload")
    return {"mid": mid, "text": payload if isinstance(payload, str) and payload.strip() else postback.get("title")}


def _is_gesture(message: dict) -> bool:
    """A heart or a sticker, without words: nothing to answer, nothing to pass on."""
    if isinstance(message.get("text"), str) and message["text"].strip():
        return False
    if message.get("sticker_id") is not None:
        return True
    listed = message.get("attachments")
    return isinstance(listed, list) and bool(listed) and all(_is_gesture_attachment(attachment) for attachment in listed)


def _is_gesture_attachment(attachment) -> bool:
    if not isinstance(attachment, dict):
        return False
    payload = attachment.get("payload")
    return attachment.get("type") in GESTURES or (isinstance(payload, dict) and payload.get("sticker_id") is not None)


def _content(message: dict) -> tuple[str | None, list[dict] | None]:
    """(what the flow reads, attachment references); None when there is neither. A quick reply
    is its payload: the choice's full label, which titles cut to 20 characters would not always
    be. Media without text reads as its plain words (``media_words``, when it is received)."""
    quick_reply = message.get("quick_reply")
    text = quick_reply.get("payload") if isinstance(quick_reply, dict) else message.get("text")
    attachments = []
    listed = message.get("attachments")
    for attachment in listed if isinstance(listed, list) else []:
        if isinstance(attachment, dict) and isinstance(attachment.get("type"), str) and not _is_gesture_attachment(attachment):
            url = (attachment.get("payload") or {}).get("url") if isinstance(attachment.get("payload"), dict) else None
            attachments.append({"type": attachment["type"][:20], "url": url if isinstance(url, str) else None})
    if isinstance(text, str) and text.strip():
        return text[:MAX_TEXT_CHARS], attachments or None
    if attachments:
        return "", attachments
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
