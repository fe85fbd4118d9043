"""Delivery reports: a message's status only ever moves forward.

Twilio's callbacks arrive out of order, once per segment, and sometimes before our worker has
even recorded the message's sid. Every report is kept; the message shows the furthest one.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import Contact, DeliveryReport, OutboundMessage

log = logging.getLogger(__name__)

STATUS_RANK = {
    "pending": 0,
    "submitting": 0,
    "queued": 1,
    "accepted": 1,
    "scheduled": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "partially_delivered": 4,
    "canceled": 4,
    "read": 5,
}
TWILIO_STATUSES = frozenset(STATUS_RANK) - {"pending", "submitting"} | {"receiving", "received"}
OPTED_OUT_CODES = frozenset({"21610"})


def is_forward(current: str, new: str) -> bool:
    return STATUS_RANK.get(new, -1) > STATUS_RANK.get(current, -1)


def record_report(session: Session, provider_id: str, status: str, error_code: str | None, now) -> None:
    session.add(DeliveryReport(provider_id=provider_id, status=status, error_code=error_code, received_at=now))
    message = session.scalars(
        select(OutboundMessage).where(OutboundMessage.provider_id == provider_id).with_for_update()
    ).first()
    if message is not None:
        apply_report(session, message, status, error_code, now)


def apply_reports(session: Session, message: OutboundMessage, now) -> None:
    """Apply reports that arrived before the message's sid was recorded."""
    reports = session.scalars(select(DeliveryReport).where(DeliveryReport.provider_id == message.provider_id).order_by(DeliveryReport.id)).all()
    for report in reports:
        apply_report(session, message, report.status, report.error_code, now)


def apply_report(session: Session, message: OutboundMessage, status: str, error_code: str | None, now) -> None:
    if error_code in OPTED_OUT_CODES and message.contact_id:
        contact = session.get(Contact, message.contact_id)
        if contact is not None and contact.opted_out_at is None:
            contact.opted_out_at = now
            log.info("contact %s opted out at the carrier (error %s)", contact.id, error_code)
    if not is_forward(message.status, status):
        return
    message.status = status
    if error_code:
        message.error_code = error_code
    message.updated_at = now
