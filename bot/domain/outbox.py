"""The outbox: a message is a database row first, a queued job second.

Anything that wants to say something to someone writes here. A message due now is queued once
its transaction commits (``bot.domain.queueing``); one for later, and any that Redis lost, the
scheduler queues when it is due.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from bot.core.phone import InvalidPhoneNumber, normalise_phone
from bot.domain.queueing import queue_after_commit, send_outbound
from bot.storage.models import OutboundMessage

log = logging.getLogger(__name__)

# reply: an answer to what the young person just wrote (any hour); human: a person's own reply
# (a counsellor's; Instagram lets it go later than the bot's); automatic: the bot speaking first
# (quiet hours apply); system: opt-out confirmations; staff: notes to staff phones.
KINDS = ("reply", "human", "automatic", "system", "staff")


def add_message(
    session: Session,
    *,
    contact_id: int | None,
    channel: str,
    to_address: str | None,
    body: str,
    kind: str,
    send_after: datetime,
    now: datetime,
    in_reply_to_id: int | None = None,
    sealed_to: str | None = None,
    recipient_key: str | None = None,
    case_id: int | None = None,
    choices: list[str] | None = None,
    queue: bool = True,
) -> OutboundMessage:
    """``queue=False``: the caller sends it itself, in this process (a batch of reminders)."""
    assert kind in KINDS, kind
    assert (to_address is None) != (sealed_to is None), "an address, or a sealed one"
    message = OutboundMessage(
        contact_id=contact_id,
        channel=channel,
        to_address=to_address,
        sealed_to=sealed_to,
        recipient_key=recipient_key,
        case_id=case_id,
        body=body,
        choices=choices,
        kind=kind,
        status="pending",
        send_after=send_after,
        attempts=0,
        in_reply_to_id=in_reply_to_id,
        created_at=now,
        enqueued_at=now if send_after <= now else None,
        updated_at=now,
    )
    session.add(message)
    if queue and message.enqueued_at is not None:
        queue_after_commit(session, lambda: send_outbound(message.id, kind))
    return message


def add_staff_messages(session: Session, numbers: list[str], body: str, *, send_after: datetime, now: datetime) -> list[OutboundMessage]:
    """SMS notes to staff phones; a number that is not one is logged and skipped, never fatal."""
    messages = []
    for raw in numbers:
        try:
            number = normalise_phone(raw)
        except InvalidPhoneNumber:
            log.error("a staff phone number in the flows is not a phone number; the note is in the staff inbox only")
            continue
        messages.append(
            add_message(session, contact_id=None, channel="sms", to_address=number, body=body, kind="staff", send_after=send_after, now=now)
        )
    return messages
