"""Finding (or creating) the contact behind an address, safely when two requests race."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.channels import CHANNEL_SCHEMES
from bot.models import Contact, ContactURN


def contact_for(session: Session, scheme: str, path: str, now: datetime) -> Contact:
    urn = session.scalars(select(ContactURN).where(ContactURN.scheme == scheme, ContactURN.path == path)).first()
    if urn is not None:
        return urn.contact
    try:
        with session.begin_nested():
            contact = Contact(created_at=now, language="da", fields={})
            session.add(contact)
            session.flush()
            session.add(ContactURN(contact_id=contact.id, scheme=scheme, path=path))
            session.flush()
            return contact
    except IntegrityError:
        # Another process created the same contact between our select and insert.
        urn = session.scalars(select(ContactURN).where(ContactURN.scheme == scheme, ContactURN.path == path)).one()
        return urn.contact


def address_of(contact: Contact, scheme: str) -> str | None:
    return next((urn.path for urn in contact.urns if urn.scheme == scheme), None)


def reachable_at(contact: Contact, channel: str | None = None) -> tuple[str, str | None]:
    """(channel, address) for a message to ``contact``: the given channel (a reply goes back the
    way the message came), else the channel they last wrote on, else SMS."""
    channel = channel or contact.last_channel or "sms"
    return channel, address_of(contact, CHANNEL_SCHEMES.get(channel, "tel"))
