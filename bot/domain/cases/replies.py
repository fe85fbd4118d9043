"""A message to the young person behind a case: kept with the case, sent to the sealed address."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.domain.outbox import add_message
from bot.storage.models import Case, CaseMessage, OutboundMessage


def send_to_case(
    session: Session,
    case: Case,
    body: str,
    *,
    direction: str,
    now: datetime,
    author: str | None = None,
    choices: list[str] | None = None,
    kind: str = "text",
    queue: bool = True,
) -> OutboundMessage:
    """``direction`` is "bot" (the bot's own answer) or "out" (a counsellor's); ``kind`` "received"
    marks the bot's word that their message reached the counsellors; ``queue=False``: the caller
    sends it itself once it commits."""
    kept = CaseMessage(case_id=case.id, direction=direction, kind=kind, author=author, body=body, created_at=now, processed_at=now)
    session.add(kept)
    case.last_message_at = now
    message = add_message(
        session,
        contact_id=None,
        channel=case.channel,
        to_address=None,
        sealed_to=case.sealed_address,
        recipient_key=case.sender_key,
        case_id=case.id,
        body=body,
        choices=choices,
        kind="human" if direction == "out" else "reply",
        send_after=now,
        now=now,
        queue=queue,
    )
    session.flush()
    kept.outbound_message_id = message.id
    return message
