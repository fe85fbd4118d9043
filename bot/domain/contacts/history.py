"""A contact's conversation as staff read it: what the young person wrote, and what the bot and
staff sent them, in the order it happened.

An anonymous case is never part of it: what a young person writes in a case is stored with the
case and never as their contact's message, and the case's replies carry the case's id. Media are
the references the message arrived with (``bot.domain.inbound``), never their bytes. What a young
person told a mood check-in in their own words is an admin's to read, as in the API
(``/members/<id>/mood?notes=true``): for anyone else the message is there, its words withheld.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import MAX_ID, MOOD_NOTE_MAX, InboundMessage, MoodPrompt, OutboundMessage

RECENT = 50


@dataclass(frozen=True)
class Said:
    message_id: int
    direction: str  # in: from the young person; out: to them
    body: str
    at: datetime  # received, or sent (written, while it is still waiting to go)
    channel: str
    attachments: list[dict]
    status: str | None  # an outgoing message's delivery status, as the provider last reported it
    withheld: bool = False  # the young person's own words to a mood check-in, not the viewer's to read


def recent(session: Session, contact_id: int, limit: int = RECENT, *, mood_notes: bool = False) -> list[Said]:
    """The contact's last ``limit`` messages either way, newest last; ``mood_notes``: the words
    they told a mood check-in shown too (admins)."""
    received = session.scalars(
        select(InboundMessage).where(InboundMessage.contact_id == contact_id).order_by(InboundMessage.id.desc()).limit(limit)
    )
    sent = session.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.contact_id == contact_id, OutboundMessage.case_id.is_(None))
        .order_by(OutboundMessage.id.desc())
        .limit(limit)
    )
    notes = set() if mood_notes else _mood_notes(session, contact_id)
    said = [
        Said(m.id, "in", "" if withheld else m.body, m.received_at, m.channel, [] if withheld else m.attachments or [], None, withheld)
        for m in received
        for withheld in [(m.body or "").strip()[:MOOD_NOTE_MAX] in notes]
    ]
    said += [Said(m.id, "out", m.body, m.sent_at or m.created_at, m.channel, [], m.status) for m in sent]
    said.sort(key=lambda message: (message.at, message.direction == "out", message.message_id))
    return said[-limit:]


def _mood_notes(session: Session, contact_id: int) -> set[str]:
    return set(session.scalars(select(MoodPrompt.note).where(MoodPrompt.contact_id == contact_id, MoodPrompt.note.is_not(None))))


def received_from(session: Session, contact_id: int, message_id: int) -> InboundMessage | None:
    """The contact's own message ``message_id``; None when there is none, or it is someone else's."""
    if not 0 < message_id <= MAX_ID:
        return None
    message = session.get(InboundMessage, message_id)
    return message if message is not None and message.contact_id == contact_id else None
