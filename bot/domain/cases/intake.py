"""The edge where an anonymous case begins: a message is routed to a case before any contact is
looked up, so a case never leaves a readable number or text outside its own tables.

A message goes to a case when it opens one (RÅD, RAAD, ANONYM, ADVICE, more text may follow),
deletes one (SLET, DELETE), or comes from someone whose open case is listening. Everything else
is the ordinary flows' business, and nothing about it is stored here.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core import clock, textmatch
from bot.domain.cases.identity import CaseKeys, keys_for
from bot.domain.outbox import add_message
from bot.domain.queueing import process_case, queue_after_commit
from bot.engine.texts import ALWAYS_ON_WORDS
from bot.flows.counselling import DELETE_WORDS, OPEN_WORDS, Counselling
from bot.runtime import Runtime
from bot.storage.models import Case, CaseMessage, CaseReceipt, CaseStat

log = logging.getLogger(__name__)

# Folded and indexed once: every inbound message on every channel is asked about them.
_ALWAYS_ON = textmatch.Keywords(ALWAYS_ON_WORDS)
_DELETE = textmatch.Keywords(DELETE_WORDS)
_OPENINGS = textmatch.Keywords(OPEN_WORDS)
_OPENING_WORDS, _OPENING_LANGUAGES = tuple(OPEN_WORDS), tuple(OPEN_WORDS.values())


@dataclass(frozen=True)
class Taken:
    case_id: int | None
    duplicate: bool


def take(
    runtime: Runtime, *, channel: str, address: str, body: str, provider_id: str, anonymous: bool = False, attachments: list[dict] | None = None
) -> Taken | None:
    """Store the message with its case and queue the case, or None when it is not a case's.

    ``anonymous``: the message came to the counselling service's own account (an Instagram
    profile), where everything is a case's, without RÅD, and nothing ever makes a contact.
    """
    service = runtime.flows.current().counselling
    if service is None or (not anonymous and _stop_or_start(body)):
        return None
    keys = keys_for(runtime.settings)
    senders = keys.sender_keys(channel, address)
    now = clock.now()
    with runtime.db.session() as session:
        case = _open_case(session, senders)
        route = case_route(body, listening=case is not None and case.listening, anonymous=anonymous)
        if route is None:
            return None
        opening, deleting = route
        if not _first_receipt(session, keys.receipt_keys(channel, provider_id), now):
            return Taken(case.id if case else None, duplicate=True)
        if deleting:
            _delete_all(session, service, keys, senders, channel, address, now)
            case_id = None
        else:
            if case is None:
                opening = opening or ("da", body)
                case = _new_case(session, keys, senders, channel, address, opening[0], now, runtime.settings.zone)
                kind = "open"
            else:
                kind = "resume" if opening else "text"
            case.listening = True
            case.last_message_at = now
            session.add(
                CaseMessage(case_id=case.id, direction="in", kind=kind, body=opening[1] if opening else body, attachments=attachments, created_at=now)
            )
            case_id = case.id
            queue_after_commit(session, process_case(case_id))
    log.info("anonymous case message recorded on %s", channel)
    return Taken(case_id, duplicate=False)


def _stop_or_start(body: str) -> bool:
    """STOP is honoured for the number, also in the middle of a case."""
    return _ALWAYS_ON.exactly(body) is not None


def case_route(body: str, *, listening: bool, anonymous: bool = False) -> tuple[tuple[str, str] | None, bool] | None:
    """Whether a message is the anonymous service's: None when it is not, else (the opening words
    if it opens or resumes a case, whether it deletes every case). ``listening``: the sender has an
    open case that takes what they write; ``anonymous``: it came to the service's own account."""
    body = textmatch.folded(body)  # once, for the three questions below
    if not anonymous and _stop_or_start(body):
        return None
    opening = opening_words(body)
    deleting = _DELETE.exactly(body) is not None
    if not (opening or deleting or anonymous or listening):
        return None
    return opening, deleting


def opening_words(body: str) -> tuple[str, str] | None:
    """(language, the rest of the message) when it opens a case: "RÅD jeg har et spørgsmål".
    A typo of ADVICE opens a Danish case: only the word as written chooses English."""
    found = _OPENINGS.opening(body)
    if found is None:
        return None
    index, slips = found
    parts = body.strip().split(maxsplit=1)
    rest = parts[1] if len(parts) > 1 and textmatch.matches_keyword(parts[0], _OPENING_WORDS[index]) else ""
    return (_OPENING_LANGUAGES[index] if slips == 0 else "da"), rest.strip()


def _open_case(session: Session, senders: tuple[str, ...]) -> Case | None:
    return session.scalars(select(Case).where(Case.sender_key.in_(senders), Case.status == "open")).first()


def _first_receipt(session: Session, receipts: tuple[str, ...], now: datetime) -> bool:
    """Whether this is the first time the provider's message arrived: the current key's receipt
    is new, and during a key rotation the previous key's was not stored either."""
    current, *previous = receipts
    if previous and session.scalar(select(CaseReceipt.receipt_key).where(CaseReceipt.receipt_key.in_(previous))) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(CaseReceipt(receipt_key=current, received_at=now))
            session.flush()
        return True
    except IntegrityError:
        return False


def _new_case(session: Session, keys: CaseKeys, senders: tuple[str, ...], channel: str, address: str, language: str, now: datetime, zone) -> Case:
    stat = CaseStat(opened_on=now.astimezone(zone).date(), urgent=False)
    session.add(stat)
    session.flush()
    for attempt in range(50):
        digits = 4 if attempt < 20 else 6
        case = Case(
            alias=f"Ung-{secrets.randbelow(9 * 10 ** (digits - 1)) + 10 ** (digits - 1)}",
            sender_key=senders[0],
            sealed_address=keys.seal(channel, address),
            channel=channel,
            language=language,
            status="open",
            stage="asking",
            urgent=False,
            listening=True,
            opened_at=now,
            last_message_at=now,
            stat_id=stat.id,
        )
        try:
            with session.begin_nested():
                session.add(case)
                session.flush()
            return case
        except IntegrityError:
            existing = _open_case(session, senders)
            if existing is not None:  # the same person's first two messages, at the same instant
                return existing
    raise RuntimeError("no free case alias")


def _delete_all(session: Session, service: Counselling, keys: CaseKeys, senders: tuple[str, ...], channel: str, address: str, now: datetime) -> None:
    cases = session.scalars(select(Case).where(Case.sender_key.in_(senders)).order_by(Case.id)).all()
    language = cases[-1].language if cases else "da"  # the newest case's
    if cases:
        session.execute(delete(Case).where(Case.id.in_([case.id for case in cases])))
        session.expunge_all()
    text = service.say("deleted" if cases else "nothing_to_delete", language)
    add_message(
        session, contact_id=None, channel=channel, to_address=None, sealed_to=keys.seal(channel, address), recipient_key=senders[0],
        body=text, kind="reply", send_after=now, now=now,
    )
    log.info("anonymous case(s) deleted at the young person's request: %d", len(cases))
