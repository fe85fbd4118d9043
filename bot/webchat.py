"""The web chat's sessions, what a session sees, and the limits that keep the chat from abuse.

A session is a random token the browser keeps in ``sessionStorage``. The token is the session's
only credential and is never stored: the address of the conversation (a ``webchat`` contact URN,
or the sender of an anonymous case) is the token's SHA-256, so whoever reads the database cannot
write or read as the young person. No IP address is stored either: the per-IP limits count
a keyed hash of it (with SECRET_KEY) in Redis keys that expire a minute after the last request.

A message to the young person is "sent" on the web chat when the worker marks it delivered
(``bot.channels.webchat``); from then on the browser's next poll returns it.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bot.channels import CHANNEL_SCHEMES
from bot.domain.cases.identity import keys_for
from bot.domain.inbound import Received, receive
from bot.runtime import Runtime
from bot.storage.models import Case, CaseMessage, ContactURN, InboundMessage, OutboundMessage

log = logging.getLogger(__name__)

CHANNEL = "webchat"
SCHEME = CHANNEL_SCHEMES[CHANNEL]
MAX_TEXT_CHARS = 1000
MAX_REQUEST_BYTES = 16 * 1024  # 1000 characters even as JSON escapes (12 bytes an emoji), and the id
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
CLIENT_ID = re.compile(r"[A-Za-z0-9-]{8,64}")
# The word that opens an anonymous case, per language of the page (bot.flows.counselling.OPEN_WORDS).
ASK_ANONYMOUSLY = {"da": "RÅD", "en": "ADVICE"}
PAGE = 100
# Messages become visible out of order by as much as a commit takes and the clocks of the web
# and worker hosts differ; the cursor remembers what it returned this far back.
OVERLAP = timedelta(seconds=30)
MAX_CURSOR_ENTRIES = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_CURSOR_KEY = re.compile(r"[byc][0-9]{1,18}")
_LAST_MICROS = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // _MICROSECOND  # the last time a datetime holds


class InvalidCursor(ValueError):
    pass


def new_token() -> str:
    return secrets.token_urlsafe(32)


def address_for(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def receive_message(runtime: Runtime, address: str, client_id: str, text: str) -> Received:
    """Store and queue what the young person wrote, once per client id (a retried POST)."""
    return receive(runtime, channel=CHANNEL, scheme=SCHEME, address=address, body=text, provider_id=client_id)


# -- what a session sees --------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatMessage:
    key: str  # b<outbound id>: to the young person; y<inbound id>, c<case message id>: from them
    sender: str  # "bot" (the bot or a counsellor) or "you"
    text: str
    choices: list[str] | None
    at: datetime  # when it became visible


def messages_after(runtime: Runtime, address: str, cursor: str | None) -> tuple[list[ChatMessage], str]:
    """The session's messages the cursor has not returned yet (all of them without one), oldest
    first, at most ``PAGE``, and the cursor for the next call.

    The cursor holds the messages returned in the last ``OVERLAP`` with their times: everything
    that became visible since then is returned, even when it became visible after a newer one.
    """
    seen = _read_cursor(cursor)
    since = _time(max(seen.values())) - OVERLAP if seen else None
    excluded = {kind: [int(key[1:]) for key in seen if key[0] == kind] for kind in "byc"}
    senders = keys_for(runtime.settings).sender_keys(CHANNEL, address)
    with runtime.db.session() as session:
        contact_id = session.scalar(select(ContactURN.contact_id).where(ContactURN.scheme == SCHEME, ContactURN.path == address))
        found = [
            *_to_them(session, address, senders, contact_id, since, excluded["b"]),
            *_from_them(session, contact_id, since, excluded["y"]),
            *_from_them_in_cases(session, senders, since, excluded["c"]),
        ]
    found.sort(key=lambda message: (message.at, message.sender == "bot", int(message.key[1:])))
    found = found[:PAGE]
    return found, _write_cursor(seen, found)


def _to_them(session: Session, address: str, senders: tuple[str, ...], contact_id: int | None, since, excluded: list[int]) -> list[ChatMessage]:
    addressed = OutboundMessage.recipient_key.in_(senders)
    if contact_id is not None:
        addressed = or_(addressed, and_(OutboundMessage.contact_id == contact_id, OutboundMessage.to_address == address))
    query = select(OutboundMessage).where(OutboundMessage.channel == CHANNEL, addressed, OutboundMessage.sent_at.is_not(None))
    if since is not None:
        query = query.where(OutboundMessage.sent_at > since)
    if excluded:
        query = query.where(OutboundMessage.id.not_in(excluded))
    rows = session.scalars(query.order_by(OutboundMessage.sent_at, OutboundMessage.id).limit(PAGE))
    return [ChatMessage(f"b{row.id}", "bot", row.body, row.choices, row.sent_at) for row in rows]


def _from_them(session: Session, contact_id: int | None, since, excluded: list[int]) -> list[ChatMessage]:
    if contact_id is None:
        return []
    query = select(InboundMessage).where(InboundMessage.contact_id == contact_id, InboundMessage.channel == CHANNEL)
    if since is not None:
        query = query.where(InboundMessage.received_at > since)
    if excluded:
        query = query.where(InboundMessage.id.not_in(excluded))
    rows = session.scalars(query.order_by(InboundMessage.received_at, InboundMessage.id).limit(PAGE))
    return [ChatMessage(f"y{row.id}", "you", row.body, None, row.received_at) for row in rows]


def _from_them_in_cases(session: Session, senders: tuple[str, ...], since, excluded: list[int]) -> list[ChatMessage]:
    query = (
        select(CaseMessage, Case.language)
        .join(Case, Case.id == CaseMessage.case_id)
        .where(Case.sender_key.in_(senders), CaseMessage.direction == "in")
    )
    if since is not None:
        query = query.where(CaseMessage.created_at > since)
    if excluded:
        query = query.where(CaseMessage.id.not_in(excluded))
    rows = session.execute(query.order_by(CaseMessage.created_at, CaseMessage.id).limit(PAGE))
    return [ChatMessage(f"c{row.id}", "you", _as_written(row, language), None, row.created_at) for row, language in rows]


def _as_written(message: CaseMessage, language: str) -> str:
    """A case keeps what followed the word that opened it; the young person wrote the word too."""
    if message.kind not in ("open", "resume"):
        return message.body
    return f"{ASK_ANONYMOUSLY.get(language, ASK_ANONYMOUSLY['da'])} {message.body}".strip()


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def _time(micros: int) -> datetime:
    return _EPOCH + micros * _MICROSECOND


def _write_cursor(seen: dict[str, int], found: list[ChatMessage]) -> str:
    entries = {**seen, **{message.key: _micros(message.at) for message in found}}
    if entries:
        oldest = max(entries.values()) - OVERLAP // _MICROSECOND
        entries = {key: micros for key, micros in entries.items() if micros > oldest}
    return base64.urlsafe_b64encode(json.dumps(entries, separators=(",", ":")).encode()).decode().rstrip("=")


def _read_cursor(cursor: str | None) -> dict[str, int]:
    if not cursor:
        return {}
    try:
        entries = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, RecursionError):
        raise InvalidCursor("the cursor is not one this server gave") from None
    if (
        not isinstance(entries, dict)
        or len(entries) > MAX_CURSOR_ENTRIES
        or not all(_CURSOR_KEY.fullmatch(key) and type(micros) is int and 0 <= micros <= _LAST_MICROS for key, micros in entries.items())
    ):
        raise InvalidCursor("the cursor is not one this server gave")
    return entries
