"""The counsellor's side of anonymous cases: the inbox, a case's thread, replies, notes, closing,
statistics and the audit log. Every function takes a session; the REST API and the transcripts
call the same ones.

Cases are known by their alias only. What a young person wrote leaves the database through
``thread`` (and the inbox's first words) alone: the routes that call them are for the
counsellor role, and every call is written to the audit log without content.
"""
from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.cases.replies import send_to_case
from bot.flows.counselling import Counselling
from bot.storage.models import Case, CaseAudit, CaseMessage, CaseStat, OutboundMessage

TOPICS = {
    "economy": "Økonomi",
    "housing": "Bolig",
    "job": "Job",
    "mitid": "MitID",
    "school": "Skole og uddannelse",
    "feelings": "Følelser",
    "substance_use": "Rusmidler",
    "other": "Andet",
}
FIRST_WORDS = 60
TEXT_MAX = 1600  # ten SMS segments
NOTE_MAX = 4000
REASON_MAX = 200


class CaseError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class InboxEntry:
    alias: str
    urgent: bool
    waiting_since: datetime | None
    waiting_minutes: int | None
    last_message_at: datetime
    first_words: str
    assigned_to: str | None
    channel: str


def audit(session: Session, actor: str, action: str, alias: str | None, now: datetime) -> None:
    session.add(CaseAudit(at=now, actor=actor, action=action, case_alias=alias))


def inbox(session: Session, now: datetime) -> list[InboxEntry]:
    """Open cases: urgent first, then the longest waiting, then the rest by last message."""
    cases = session.scalars(select(Case).where(Case.status == "open")).all()
    first = _first_words(session, [case.id for case in cases])
    entries = [
        InboxEntry(
            alias=case.alias,
            urgent=case.urgent,
            waiting_since=case.waiting_since,
            waiting_minutes=int((now - case.waiting_since).total_seconds() // 60) if case.waiting_since else None,
            last_message_at=case.last_message_at,
            first_words=first.get(case.id, ""),
            assigned_to=case.assigned_to,
            channel=case.channel,
        )
        for case in cases
    ]
    far_future = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(entries, key=lambda e: (not e.urgent, e.waiting_since or far_future, -e.last_message_at.timestamp(), e.alias))


def _first_words(session: Session, case_ids: list[int]) -> dict[int, str]:
    if not case_ids:
        return {}
    rows = session.execute(
        select(CaseMessage.case_id, CaseMessage.body)
        .where(CaseMessage.case_id.in_(case_ids), CaseMessage.direction == "in", CaseMessage.kind != "answer", CaseMessage.body != "")
        .order_by(CaseMessage.id)
    ).all()
    found: dict[int, str] = {}
    for case_id, body in rows:
        if case_id not in found:
            found[case_id] = body if len(body) <= FIRST_WORDS else body[: FIRST_WORDS - 1].rsplit(" ", 1)[0] + "…"
    return found


def find(session: Session, alias: str, *, lock: bool = False) -> Case:
    query = select(Case).where(Case.alias == alias)
    case = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if case is None:
        raise CaseError(404, f"no case {alias!r}")
    return case


def thread(session: Session, case: Case) -> list[CaseMessage]:
    """Everything in the case, oldest first; bare RÅD messages (nothing said) left out."""
    return [m for m in case.messages if m.body or m.direction != "in"]


@dataclass(frozen=True)
class ThreadEntry:
    message: CaseMessage
    status: str | None  # a reply's: pending, sent, delivered, failed ... as the provider reports it


def thread_with_status(session: Session, case: Case) -> list[ThreadEntry]:
    messages = thread(session, case)
    sent = [m.outbound_message_id for m in messages if m.outbound_message_id is not None]
    statuses = dict(session.execute(select(OutboundMessage.id, OutboundMessage.status).where(OutboundMessage.id.in_(sent))).all()) if sent else {}
    return [ThreadEntry(m, statuses.get(m.outbound_message_id) if m.direction == "out" else None) for m in messages]


def replies_since(session: Session, case: Case, message_id: int, not_by: str) -> list[CaseMessage]:
    """Counsellors' replies after ``message_id`` by someone other than ``not_by``."""
    return [m for m in case.messages if m.id > message_id and m.direction == "out" and m.author != not_by]


def assign(session: Session, case: Case, who: str | None) -> None:
    case.assigned_to = who


def reply(session: Session, service: Counselling, case: Case, who: str, text: str, now: datetime) -> OutboundMessage:
    text = _checked(text, TEXT_MAX, "text")
    if case.status != "open":
        raise CaseError(409, "the case is closed")
    message = send_to_case(session, case, service.say("counsellor_reply", case.language, text=text), direction="out", author=who, now=now)
    if case.first_reply_at is None:
        case.first_reply_at = now
        stat = session.get(CaseStat, case.stat_id) if case.stat_id else None
        if stat is not None:
            stat.first_reply_seconds = int((now - case.opened_at).total_seconds())
    case.waiting_since = case.waiting_alerted_at = None
    case.listening = True  # their answer to a counsellor belongs to the case
    case.stage = "open"
    if case.assigned_to is None:
        case.assigned_to = who
    return message


def add_note(session: Session, case: Case, who: str, text: str, now: datetime) -> CaseMessage:
    note = CaseMessage(case_id=case.id, direction="note", kind="text", author=who, body=_checked(text, NOTE_MAX, "text"), created_at=now, processed_at=now)
    session.add(note)
    session.flush()
    return note


def close(session: Session, service: Counselling, case: Case, who: str, reason: str, topic: str, now: datetime) -> OutboundMessage:
    if case.status != "open":
        raise CaseError(409, "the case is already closed")
    if topic not in TOPICS:
        raise CaseError(422, f"topic must be one of {', '.join(TOPICS)}")
    case.close_reason = _checked(reason, REASON_MAX, "reason")
    message = send_to_case(session, case, service.say("case_closed", case.language), direction="bot", now=now)
    case.status, case.closed_at, case.topic, case.listening = "closed", now, topic, False
    case.waiting_since = None
    stat = session.get(CaseStat, case.stat_id) if case.stat_id else None
    if stat is not None:
        stat.topic = topic
    return message


def _checked(text: str, limit: int, name: str) -> str:
    text = (text or "").strip()
    if not text:
        raise CaseError(422, f"{name} must not be empty")
    if len(text) > limit:
        raise CaseError(422, f"{name} is longer than {limit} characters")
    return text


@dataclass(frozen=True)
class WeekStats:
    week: str  # ISO week, 2026-W48
    cases: int
    urgent: int
    median_first_reply_minutes: float | None
    topics: dict[str, int]


def weekly_stats(session: Session, since: date, until: date) -> list[WeekStats]:
    rows = session.scalars(select(CaseStat).where(CaseStat.opened_on >= since, CaseStat.opened_on <= until)).all()
    weeks: dict[str, list[CaseStat]] = {}
    day = since - timedelta(days=since.weekday())
    while day <= until:
        year, week, _ = day.isocalendar()
        weeks[f"{year}-W{week:02d}"] = []
        day += timedelta(days=7)
    for row in rows:
        year, week, _ = row.opened_on.isocalendar()
        weeks.setdefault(f"{year}-W{week:02d}", []).append(row)
    result = []
    for week, stats in weeks.items():
        replies = [s.first_reply_seconds / 60 for s in stats if s.first_reply_seconds is not None]
        counted = Counter(s.topic for s in stats if s.topic)
        topics = {topic: counted[topic] for topic in sorted(counted, key=lambda topic: (-counted[topic], topic))}
        result.append(
            WeekStats(week, len(stats), sum(s.urgent for s in stats), round(statistics.median(replies), 1) if replies else None, topics)
        )
    return result


def audit_log(session: Session, since: datetime, limit: int = 1000) -> list[CaseAudit]:
    return session.scalars(select(CaseAudit).where(CaseAudit.at >= since).order_by(CaseAudit.id.desc()).limit(limit)).all()


def open_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Case).where(Case.status == "open")) or 0
