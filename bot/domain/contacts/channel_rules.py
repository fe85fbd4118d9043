"""Which channel a message may take, and what happens when Instagram's own rules say no.

Meta lets a bot write first only within 24 hours of the young person's last message on that
account; a person's own reply (a counsellor's) may go up to 7 days after it with the
``HUMAN_AGENT`` tag. Outside that, nothing is sent on Instagram: an automatic message goes by
SMS instead when the young person also has a number and said yes to messages, and otherwise
staff are told that it was held back. docs/channels.md has the whole rule.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.outbox import add_message
from bot.engine.choices import render
from bot.runtime import Runtime
from bot.storage.models import CaseMessage, ChannelAccount, Contact, ContactURN, Member, OutboundMessage, StaffNotification

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
HUMAN_WINDOW = timedelta(days=7)
HELD = "held"


def messaging_for(kind: str, last_inbound_at: datetime | None, now: datetime) -> str | None:
    """Meta's messaging type for a message of ``kind``, or None when it may not go on Instagram."""
    if last_inbound_at is None:
        return None
    waited = now - last_inbound_at
    if waited <= WINDOW:
        return "UPDATE" if kind == "automatic" else "RESPONSE"
    if kind == "human" and waited <= HUMAN_WINDOW:
        return "HUMAN_AGENT"
    return None


def last_inbound(session: Session, *, address: str | None, case_id: int | None) -> datetime | None:
    """When the young person last wrote to us this way (for a case: to the case)."""
    if case_id is not None:
        return session.scalar(select(func.max(CaseMessage.created_at)).where(CaseMessage.case_id == case_id, CaseMessage.direction == "in"))
    return session.scalar(select(ContactURN.last_inbound_at).where(ContactURN.scheme == "instagram", ContactURN.path == address))


def agreed_to_sms(session: Session, contact: Contact) -> bool:
    """A number, and a yes to messages (a community joined with consent), and no STOP."""
    if contact.opted_out_at is not None or not any(urn.scheme == "tel" for urn in contact.urns):
        return False
    return session.scalar(
        select(Member.id).where(Member.contact_id == contact.id, Member.status == "active", Member.consent_at.is_not(None)).limit(1)
    ) is not None


def hold_back(runtime: Runtime, session: Session, message: OutboundMessage, now: datetime) -> OutboundMessage | None:
    """An Instagram message outside Meta's window: held, and staff are told; it goes by SMS
    instead if the young person has a number and said yes. Returns that SMS, if any."""
    message.status, message.error_code, message.updated_at = HELD, "meta_window", now
    message.error_detail = "outside Meta's messaging window (24 hours; 7 days for a person's reply)"
    contact = session.get(Contact, message.contact_id) if message.contact_id else None
    if contact is not None and message.kind == "automatic" and agreed_to_sms(session, contact):
        number = next(urn.path for urn in contact.urns if urn.scheme == "tel")
        body = render("sms", message.body, message.choices or ())
        text = "Ungebot: En besked på Instagram blev sendt som sms i stedet: den unge har ikke skrevet på Instagram i 24 timer."
        session.add(StaffNotification(contact_id=contact.id, flow=None, text=text, created_at=now))
        log.info("outbound message %s: outside Instagram's window, sent by SMS instead", message.id)
        return add_message(session, contact_id=contact.id, channel="sms", to_address=number, body=body, kind="automatic", send_after=now, now=now)
    if message.case_id is not None:
        # The counsellor reads it where they wrote the reply: in the case, as an internal note.
        text = "Ungebot: Dette svar kunne ikke sendes på Instagram: den unge skrev for mere end 7 dage siden. Den unge kan skrive igen når som helst."
        session.add(CaseMessage(case_id=message.case_id, direction="note", kind="text", author="Ungebot", body=text, created_at=now, processed_at=now))
    else:
        text = "Ungebot: En besked på Instagram blev holdt tilbage: den unge har ikke skrevet i 24 timer, og der er intet nummer at sende sms til."
        session.add(StaffNotification(contact_id=message.contact_id, flow=None, text=text, created_at=now))
    log.warning("outbound message %s: outside Instagram's window, held back and staff told", message.id)
    return None


def needs_reconnect(session: Session, channel: str, account: str, detail: str, now: datetime) -> None:
    """The provider refused our token for ``account``: staff are told once, not per message."""
    found = select(ChannelAccount).where(ChannelAccount.channel == channel, ChannelAccount.account_id == account).with_for_update()
    row = session.scalars(found).first()
    if row is None:
        try:
            with session.begin_nested():
                row = ChannelAccount(channel=channel, account_id=account, status="connected", changed_at=now)
                session.add(row)
                session.flush()
        except IntegrityError:
            # Another worker met the same refusal at the same moment: its row, and its notice.
            row = session.scalars(found).one()
    if row.status == "reconnect":
        return
    row.status, row.detail, row.changed_at = "reconnect", detail[:255], now
    text = (
        f"Ungebot: Instagram-kontoen {account} skal forbindes igen: Meta har afvist adgangsnøglen (udløbet eller trukket tilbage). "
        "Indtil da sendes intet derfra. Lav en ny nøgle i Meta for Developers og sæt META_PAGE_ACCESS_TOKEN(S)."
    )
    session.add(StaffNotification(contact_id=None, flow=None, text=text, created_at=now))
    log.error("%s account %s needs reconnecting (%s)", channel, account, detail[:80])
