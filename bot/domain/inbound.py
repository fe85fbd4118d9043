"""Recording what a young person sent: durably, once, before anything else happens."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.core import clock
from bot.domain.cases import intake
from bot.domain.contacts.contacts import contact_for
from bot.domain.queueing import process_contact, queue_after_commit
from bot.runtime import Runtime
from bot.storage.models import ContactURN, InboundMessage

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
    log.info("inbound message %s recorded for contact %s on %s", received.message_id, received.contact_id, channel)
    return received


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
