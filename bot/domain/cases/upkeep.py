"""The scheduler's part in anonymous cases: alert about cases left waiting, queue case messages
Redis lost, and delete what is older than ``CASE_RETENTION_DAYS``.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from bot.domain.cases.on_call import alert_on_call
from bot.domain.queueing import process_case
from bot.runtime import Runtime
from bot.storage.models import Case, CaseMessage, CaseReceipt, DeliveryReport

log = logging.getLogger(__name__)

ORPHAN_AFTER = timedelta(seconds=30)


def alert_waiting(runtime: Runtime, now: datetime) -> int:
    """A case waiting longer than ``reply_within`` of opening hours alerts the on-call counsellor, once per wait."""
    service = runtime.flows.current().counselling
    if service is None:
        return 0
    opening = service.opening_at(now, runtime.settings.zone)
    if opening is None:
        return 0
    created = []
    with runtime.db.session() as session:
        waiting = session.scalars(
            select(Case)
            .where(
                Case.status == "open",
                Case.waiting_alerted_at.is_(None),
                Case.waiting_since <= now - service.reply_within,
            )
            .order_by(Case.waiting_since, Case.id)
            .with_for_update(skip_locked=True)
        ).all()
        for case in waiting:
            if now - max(case.waiting_since, opening.starts_at) < service.reply_within:
                continue  # most of the wait was while we were closed
            minutes = int((now - case.waiting_since).total_seconds() // 60)
            created += alert_on_call(session, service, case, "waiting", now, minutes=minutes)
            case.waiting_alerted_at = now
    return len(created)


def requeue_lost(runtime: Runtime, now: datetime, recently: dict[int, float], moment: float, queued_before: datetime | None = None) -> int:
    """Queue again the cases whose messages wait unprocessed since ``queued_before`` (default: ``ORPHAN_AFTER`` ago)."""
    queued_before = queued_before or now - ORPHAN_AFTER
    with runtime.db.session() as session:
        case_ids = session.scalars(
            select(CaseMessage.case_id)
            .where(CaseMessage.direction == "in", CaseMessage.processed_at.is_(None), CaseMessage.created_at <= queued_before)
            .distinct()
            .limit(1000)
        ).all()
    queued = 0
    for case_id in case_ids:
        if moment - recently.get(case_id, -1e9) < ORPHAN_AFTER.total_seconds():
            continue
        if runtime.enqueue([process_case(case_id)]):
            recently[case_id] = moment
            queued += 1
    return queued


def purge(runtime: Runtime, now: datetime) -> int:
    """Delete cases (with their messages and outbox rows) and receipts past the retention period."""
    cutoff = now - timedelta(days=runtime.settings.case_retention_days)
    with runtime.db.session() as session:
        deleted = session.execute(delete(Case).where(Case.last_message_at < cutoff)).rowcount
        session.execute(delete(CaseReceipt).where(CaseReceipt.received_at < cutoff))
        session.execute(delete(DeliveryReport).where(DeliveryReport.received_at < cutoff))
    if deleted:
        log.info("retention: %d anonymous case(s) deleted, %d days after their last message", deleted, runtime.settings.case_retention_days)
    return deleted
