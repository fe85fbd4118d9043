"""The RQ job for an anonymous case: what the young person wrote, answered in order.

One case at a time (the case row is locked), like ``bot.jobs.processing`` for contacts. The bot's
answers and the on-call alerts are written to the outbox and queued after the commit.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import clock
from bot.domain.cases import conversation
from bot.domain.cases.on_call import alert_on_call
from bot.domain.cases.replies import send_to_case
from bot.engine.choices import buttons, render
from bot.flows.counselling import Counselling
from bot.runtime import get_runtime
from bot.storage.models import Case, CaseMessage, CaseStat


def process_case(case_id: int) -> None:
    runtime = get_runtime()
    service = runtime.flows.current().counselling
    with runtime.db.session() as session:
        case = session.scalars(select(Case).where(Case.id == case_id).with_for_update()).one_or_none()
        if case is None:
            return  # deleted (SLET) before its messages were handled
        now = clock.now()
        pending = session.scalars(
            select(CaseMessage)
            .where(CaseMessage.case_id == case_id, CaseMessage.direction == "in", CaseMessage.processed_at.is_(None))
            .order_by(CaseMessage.id)
        ).all()
        created = []
        for message in pending:
            if service is not None:
                incoming = conversation.Incoming(message.kind, message.body)
                result = conversation.step(service, state_of(case), incoming, now, runtime.settings.zone, runtime.settings.case_retention_days)
                created += _apply(session, service, case, result, message, now)
            message.processed_at = now


def state_of(case: Case) -> conversation.CaseState:
    return conversation.CaseState(case.alias, case.language, case.stage, case.urgent, case.closed_told_until)


def _apply(session: Session, service: Counselling, case: Case, result: conversation.Step, message: CaseMessage, now: datetime) -> list:
    became_urgent = result.state.urgent and not case.urgent
    case.stage, case.urgent, case.closed_told_until = result.state.stage, result.state.urgent, result.state.closed_told_until
    if became_urgent and case.stat_id is not None:
        stat = session.get(CaseStat, case.stat_id)
        if stat is not None:
            stat.urgent = True
    if result.content and case.waiting_since is None:
        case.waiting_since, case.waiting_alerted_at = message.created_at, None
    if not result.content and message.kind == "text":
        message.kind = "answer"  # to the bot's question: not what the case is about
    created = [
        send_to_case(
            session, case, render(case.channel, reply.text, reply.choices), direction="bot", now=now,
            choices=buttons(case.channel, reply.choices),
        )
        for reply in result.replies
    ]
    for alert in result.alerts:
        created += alert_on_call(session, service, case, alert.reason, now)
    return created
