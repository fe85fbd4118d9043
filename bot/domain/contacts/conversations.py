"""Starting a conversation from our side: the young person's next message is read as an answer."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import Conversation


def await_answer(
    session: Session,
    contact_id: int,
    *,
    flow: str,
    step: str,
    data: dict,
    now: datetime,
    expires_at: datetime,
    open_conversations: dict[int, Conversation] | None = None,
) -> Conversation:
    """End the contact's open conversation (interrupted) and start ``flow`` at ``step``.

    ``open_conversations`` (contact id -> conversation) spares a query per message in a batch; the
    flush writes the ended conversation before the new one (updates before inserts), so the
    one-open-conversation-per-contact index holds.
    """
    if open_conversations is None:
        open_conversations = {
            c.contact_id: c
            for c in session.scalars(select(Conversation).where(Conversation.contact_id == contact_id, Conversation.ended_at.is_(None)))
        }
    current = open_conversations.get(contact_id)
    if current is not None:
        current.ended_at, current.end_reason = now, "interrupted"
    conversation = Conversation(
        contact_id=contact_id, flow=flow, step=step, data=data, started_at=now, updated_at=now, expires_at=expires_at
    )
    session.add(conversation)
    open_conversations[contact_id] = conversation
    return conversation
