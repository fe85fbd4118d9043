"""Recording what a young person sent: durably, once, before anything else happens."""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

from sqlalchemy import String, Text, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError

from bot.core import clock
from bot.domain.cases import intake
from bot.domain.cases.identity import keys_for
from bot.domain.contacts.contacts import contact_for
from bot.domain.queueing import process_contact, queue_after_commit
from bot.runtime import Runtime
from bot.storage.db import DriverStatement
from bot.storage.models import Case, Contact, ContactURN, InboundMessage, UTCDateTime

log = logging.getLogger(__name__)

# What a flow reads for a message that is only media: staff and counsellors see the media itself.
MEDIA_WORDS = {"image": "[billede]", "video": "[video]", "audio": "[lydbesked]", "file": "[fil]", "story_mention": "[story]", "share": "[delt opslag]"}


@dataclass(frozen=True)
class Received:
    message_id: int | None
    contact_id: int | None  # None: the message belongs to an anonymous case
    duplicate: bool


def receive(
    runtime: Runtime,
    *,
    channel: str,
    scheme: str,
    address: str,
    body: str,
    provider_id: str,
    to_address: str | None = None,
    attachments: list[dict] | None = None,
    anonymous: bool = False,
) -> Received:
    """Store the message (once per provider id) and queue its processing.

    An anonymous case's message is stored with its case instead, and no contact is made for it;
    with ``anonymous`` (the counselling service's own account) every message is a case's.
    ``attachments`` are references (``{"type": "image", "url": ...}``), never the bytes; a
    message that is only media reads as its plain words (``media_words``).
    """
    body, address, provider_id = storable(body), storable(address), storable(provider_id)
    to_address, attachments = storable(to_address), storable(attachments)
    if attachments and not body.strip():
        body = media_words(attachments)
    if not anonymous and intake.case_route(body, listening=False) is None:
        stored = _store_from_known_sender(runtime, channel, scheme, address, body, provider_id, to_address, attachments)
        if stored is not None:
            runtime.enqueue([process_contact(stored.contact_id)])
            # DEBUG: at hundreds a second this line would cost more than storing; the worker logs each contact's turn.
            log.debug("inbound message %s recorded for contact %s on %s", stored.message_id, stored.contact_id, channel)
            return stored
    taken = intake.take(runtime, channel=channel, address=address, body=body, provider_id=provider_id, anonymous=anonymous, attachments=attachments)
    if taken is not None:
        return Received(None, None, taken.duplicate)
    now = clock.now()
    with runtime.db.session() as session:
        existing = session.scalars(
            select(InboundMessage).where(InboundMessage.channel == channel, InboundMessage.provider_id == provider_id)
        ).first()
        if existing is not None:
            return Received(existing.id, existing.contact_id, duplicate=True)
        contact = contact_for(session, scheme, address, now)
        message = InboundMessage(
            contact_id=contact.id,
            channel=channel,
            provider_id=provider_id,
            to_address=to_address,
            body=body,
            attachments=attachments or None,
            received_at=now,
        )
        try:
            with session.begin_nested():
                session.add(message)
                session.flush()
        except IntegrityError:
            # The same delivery arrived at another web process at the same instant.
            return Received(None, contact.id, duplicate=True)
        contact.last_inbound_at = now
        contact.last_channel = channel
        session.execute(update(ContactURN).where(ContactURN.scheme == scheme, ContactURN.path == address).values(last_inbound_at=now))
        received = Received(message.id, contact.id, duplicate=False)
        queue_after_commit(session, process_contact(contact.id))
    log.debug("inbound message %s recorded for contact %s on %s", received.message_id, received.contact_id, channel)
    return received


def _store_from_known_sender(
    runtime: Runtime, channel: str, scheme: str, address: str, body: str, provider_id: str, to_address: str | None, attachments: list | None
) -> Received | None:
    """The everyday message in one statement: from someone who has written before, not to an
    anonymous case, not stored yet. None when it is not that (a first message, a retry, a case's):
    the careful way below finds out which. On PostgreSQL a single round trip, outside a
    transaction: the row is committed when the statement returns."""
    service = runtime.flows.current().counselling
    # Named unlike any column: SQLAlchemy would take a key named like a column for a value to set.
    values = {
        "channel": channel, "urn_scheme": scheme, "urn_path": address, "provider_id": provider_id, "to_address": to_address,
        "body": body, "attachments": attachments or None, "received_at": clock.now(),
    }
    if service is not None:
        senders = keys_for(runtime.settings).sender_keys(channel, address)
        values["sender"], values["previous_sender"] = senders[0], senders[-1]
    if runtime.db.is_sqlite:
        with runtime.db.engine.begin() as connection:
            row = connection.execute(_statement_for_known_sender("sqlite", service is not None), values).first()
            if row is not None:
                connection.execute(_TOUCH_CONTACT, {**values, "contact": row.contact_id})
                connection.execute(_TOUCH_URN, values)
    else:
        engine = runtime.db.autocommit_engine
        with engine.connect() as connection:
            row = _driver_statement_for_known_sender(engine.dialect, service is not None).first(connection, values)
    return Received(row.id, row.contact_id, duplicate=False) if row is not None else None


_messages, _urns, _contacts = InboundMessage.__table__, ContactURN.__table__, Contact.__table__
_TOUCH_CONTACT = (
    update(_contacts)
    .where(_contacts.c.id == bindparam("contact"))
    .values(last_inbound_at=bindparam("received_at", type_=UTCDateTime()), last_channel=bindparam("channel"))
)
_TOUCH_URN = (
    update(_urns)
    .where(_urns.c.scheme == bindparam("urn_scheme"), _urns.c.path == bindparam("urn_path"))
    .values(last_inbound_at=bindparam("received_at", type_=UTCDateTime()))
)


@functools.cache
def _driver_statement_for_known_sender(dialect: Dialect, with_cases: bool) -> DriverStatement:
    return DriverStatement(_statement_for_known_sender(dialect.name, with_cases), dialect)


@functools.cache
def _statement_for_known_sender(dialect: str, with_cases: bool):
    """Built once per database and service: at hundreds of webhooks a second, building it is a cost."""
    sender = select(
        _urns.c.contact_id,
        bindparam("channel", type_=String()),
        bindparam("provider_id", type_=String()),
        bindparam("to_address", type_=String()),
        bindparam("body", type_=Text()),
        bindparam("attachments", type_=_messages.c.attachments.type),
        bindparam("received_at", type_=UTCDateTime()),
    ).where(_urns.c.scheme == bindparam("urn_scheme"), _urns.c.path == bindparam("urn_path"))
    if with_cases:
        listening = select(Case.id).where(
            Case.sender_key.in_([bindparam("sender"), bindparam("previous_sender")]), Case.status == "open", Case.listening.is_(True)
        )
        sender = sender.where(~listening.exists())
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_messages)
    stored = (
        insert.from_select(["contact_id", "channel", "provider_id", "to_address", "body", "attachments", "received_at"], sender)
        .on_conflict_do_nothing(index_elements=["channel", "provider_id"])
        .returning(_messages.c.id, _messages.c.contact_id)
    )
    if dialect != "postgresql":
        return stored  # SQLite cannot change rows in a WITH: the caller touches contact and address after it
    stored_cte = stored.cte("stored")
    touched_contact = (
        update(_contacts)
        .where(_contacts.c.id == stored_cte.c.contact_id)
        .values(last_inbound_at=bindparam("received_at", type_=UTCDateTime()), last_channel=bindparam("channel"))
        .returning(_contacts.c.id)
        .cte("touched_contact")
    )
    touched_urn = (
        update(_urns)
        .where(_urns.c.contact_id == stored_cte.c.contact_id, _urns.c.scheme == bindparam("urn_scheme"), _urns.c.path == bindparam("urn_path"))
        .values(last_inbound_at=bindparam("received_at", type_=UTCDateTime()))
        .returning(_urns.c.id)
        .cte("touched_urn")
    )
    return select(stored_cte.c.id, stored_cte.c.contact_id).add_cte(touched_contact, touched_urn)


def media_kind(content_type: str) -> str:
    """image, video, audio or file, from a MIME type such as Twilio's ``image/jpeg``."""
    kind = content_type.split("/", 1)[0].strip().lower()
    return kind if kind in ("image", "video", "audio") else "file"


def media_words(attachments: list[dict]) -> str:
    """What a flow reads for media without text: "[billede] [video]"."""
    return " ".join(MEDIA_WORDS.get(attachment.get("type"), "[vedhæftet]") for attachment in attachments)


def storable(value):
    """``value`` without NUL characters, which PostgreSQL cannot store in text or JSON.

    A phone can send one (a broken keyboard app, a copied string); dropping it changes nothing a
    person can see, and refusing the message would lose it.
    """
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [storable(item) for item in value]
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    return value
