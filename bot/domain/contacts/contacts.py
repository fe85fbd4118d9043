"""Finding (or creating) the contact behind an address, safely when two requests race."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.channels import CHANNEL_SCHEMES
from bot.core import clock
from bot.domain.contacts.channel_rules import messaging_for
from bot.domain.outbox import add_message
from bot.storage.models import Contact, ContactURN, OutboundMessage


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
    """The contact's address under ``scheme``; of several (Instagram accounts), the one they wrote to last."""
    urns = [urn for urn in contact.urns if urn.scheme == scheme]
    if not urns:
        return None
    return max(urns, key=lambda urn: urn.last_inbound_at or datetime.min.replace(tzinfo=UTC)).path


def reachable_at(
    contact: Contact, channel: str | None = None, now: datetime | None = None, *, account: str | None = None
) -> tuple[str, str | None]:
    """(channel, address) for a message to ``contact`` (docs/channels.md):

    a reply goes back the way the message came (``channel``). An automatic message goes the way
    the young person last wrote, if that way can carry it now (SMS and the terminal always,
    Instagram within Meta's 24 hours: from the community's own ``account`` if it can); else by
    SMS, else Instagram; the web chat only when it is their only way (it waits there until they
    open it). Failing all that, the way they last wrote, where the sender holds it back and
    tells staff.
    """
    if channel is not None:
        return channel, address_of(contact, CHANNEL_SCHEMES.get(channel, "tel"))
    now = now or clock.now()
    last = contact.last_channel or "sms"
    for candidate in dict.fromkeys([last, "sms", "instagram"]):
        address = _open_now(contact, candidate, now, account) if candidate != "webchat" else None
        if address is not None:
            return candidate, address
    if contact.urns and all(urn.scheme == "webchat" for urn in contact.urns):
        return "webchat", address_of(contact, "webchat")
    return last, address_of(contact, CHANNEL_SCHEMES.get(last, "tel"))


def write_first(
    session: Session, contact: Contact, body: str, *, send_after: datetime, now: datetime, account: str | None = None, queue: bool = True
) -> OutboundMessage | None:
    """An automatic message (the bot writes first) on the channel ``reachable_at`` picks; None for
    someone who said STOP or cannot be reached."""
    if contact.opted_out_at is not None:
        return None
    channel, address = reachable_at(contact, now=now, account=account)
    if address is None:
        return None
    return add_message(
        session, contact_id=contact.id, channel=channel, to_address=address, body=body, kind="automatic", send_after=send_after, now=now, queue=queue
    )


def _open_now(contact: Contact, channel: str, now: datetime, account: str | None) -> str | None:
    """The address on ``channel`` that can carry an automatic message now, if there is one."""
    if channel != "instagram":
        return address_of(contact, CHANNEL_SCHEMES.get(channel, "tel"))
    open_urns = [urn for urn in contact.urns if urn.scheme == "instagram" and messaging_for("automatic", urn.last_inbound_at, now)]
    own = [urn for urn in open_urns if account and urn.path.startswith(f"{account}:")]
    chosen = own or open_urns
    return max(chosen, key=lambda urn: urn.last_inbound_at).path if chosen else None
