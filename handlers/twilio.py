"""Twilio's SMS webhooks: turn a signed request into one channel-neutral inbound message.

The signature is checked before anything is read or stored; the reply goes out later from a
worker, so the webhook only records and answers with empty TwiML. An MMS's pictures stay with
Twilio: the message keeps their references (``MediaUrl0..n``), which only our account can fetch.
"""
from __future__ import annotations

import logging
import re

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.core import clock
from bot.core.phone import InvalidPhoneNumber, normalise_phone
from bot.domain import delivery
from bot.domain.inbound import media_kind, receive
from bot.metrics import WEBHOOK_REQUESTS

blueprint = Blueprint("twilio", __name__, url_prefix="/webhooks/twilio")
log = logging.getLogger(__name__)

MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-fA-F]{32}")
MAX_BODY_CHARS = 1600
MAX_MEDIA = 10  # Twilio's own limit for one MMS
MAX_MEDIA_URL_CHARS = 500
# What every accepted message is answered with: nothing to say now (the reply comes from a worker).
EMPTY_TWIML = str(MessagingResponse())


def _signed_url() -> str:
    """The URL Twilio called: behind a proxy that is PUBLIC_BASE_URL, not what Flask sees."""
    base = current_app.extensions["ungebot"].settings.public_base_url
    if not base:
        return request.url
    query = request.query_string.decode("latin-1")
    return base + request.path + (f"?{query}" if query else "")


@blueprint.before_request
def verify_signature():
    token = current_app.extensions["ungebot"].settings.twilio_auth_token
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token:
        log.warning("Twilio webhook refused: TWILIO_AUTH_TOKEN is not configured")
        WEBHOOK_REQUESTS.labels("twilio", "not_configured").inc()
        abort(403, "Twilio is not configured")
    if not signature or not RequestValidator(token).validate(_signed_url(), request.form, signature):
        log.warning("Twilio webhook refused: missing or invalid signature on %s", request.path)
        WEBHOOK_REQUESTS.labels("twilio", "bad_signature").inc()
        abort(403, "invalid signature")


def _required(name: str) -> str:
    value = request.form.get(name)
    if value is None:
        abort(400, f"{name} is missing")
    return value


@blueprint.post("/sms")
def incoming_sms():
    sid = _required("MessageSid")
    if not MESSAGE_SID.fullmatch(sid):
        abort(400, "MessageSid is not a Twilio message sid")
    try:
        sender = normalise_phone(_required("From"))
    except InvalidPhoneNumber:
        abort(400, "From is not a phone number")
    body = request.form.get("Body", "")
    if len(body) > MAX_BODY_CHARS:
        abort(413, "Body is too long")
    received = receive(
        current_app.extensions["ungebot"],
        channel="sms",
        scheme="tel",
        address=sender,
        body=body,
        provider_id=sid,
        to_address=request.form.get("To"),
        attachments=_media() or None,
    )
    WEBHOOK_REQUESTS.labels("twilio", "duplicate" if received.duplicate else "accepted").inc()
    return Response(EMPTY_TWIML, mimetype="text/xml")


def _media() -> list[dict]:
    """An MMS's media as references: kind, Twilio's content type and URL (never the bytes)."""
    media = []
    for index in range(MAX_MEDIA):
        url = request.form.get(f"MediaUrl{index}")
        if url is None:
            break
        content_type = request.form.get(f"MediaContentType{index}", "")[:100]
        media.append({"type": media_kind(content_type), "content_type": content_type, "url": url if len(url) <= MAX_MEDIA_URL_CHARS else None})
    return media


@blueprint.post("/status")
def status_callback():
    sid = _required("MessageSid")
    status = _required("MessageStatus").strip().lower()
    if not MESSAGE_SID.fullmatch(sid):
        abort(400, "MessageSid is not a Twilio message sid")
    if status not in delivery.TWILIO_STATUSES:
        abort(400, "MessageStatus is not a Twilio message status")
    error_code = request.form.get("ErrorCode") or None
    if error_code is not None and not error_code.isdigit():
        abort(400, "ErrorCode is not a number")
    runtime = current_app.extensions["ungebot"]
    with runtime.db.session() as session:
        delivery.record_report(session, sid, status, error_code, clock.now())
    return Response(status=204)
