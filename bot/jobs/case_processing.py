"""The RQ job for an anonymous case: what the young person wrote, answered in order.

One case at a time (the case's turn held and its row locked), like ``bot.jobs.processing`` for
contacts: the bot's answers are sent by the job itself, in order, once it commits; the on-call
alerts are queued.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bot.core import clock
from bot.domain.cases import conversation
from bot.domain.cases.on_call import alert_on_call
from bot.domain.cases.replies import send_to_case
from bot.engine.choices import buttons, render
from bot.flows.counselling import Counselling
from bot.jobs.sending import owed_answers, send_replies
from bot.runtime import Runtime, get_runtime
from bot.storage.models import Case, CaseMessage, CaseStat, OutboundMessage


def process_case(case_id: int) -> None:
    runtime = get_runtime()
    with runtime.db.one_at_a_time("case", case_id):
        send_replies(runtime, _process(runtime, case_id))


def _process(runtime: Runtime, case_id: int) -> list[OutboundMessage]:
    """The bot's answers to send, committed."""
    flows = runtime.flows.current()
    service = flows.counselling
    replies: list[OutboundMessage] = []
    with runtime.db.session() as session:
        case = session.scalars(select(Case).where(Case.id == case_id).with_for_update()).one_or_none()
        if case is None:
            return []  # deleted (SLET) before its messages were handled
        now = clock.now()
        replies += owed_answers(session, OutboundMessage.case_id == case_id, now)
        pending = session.scalars(
            select(CaseMessage)
            .where(CaseMessage.case_id == case_id, CaseMessage.direction == "in", CaseMessage.processed_at.is_(None))
            .order_by(CaseMessage.id)
        ).all()
        for message in pending:
            if service is not None:
                incoming = conversation.Incoming(message.kind, message.body, keyword=message.kind == "text" and flows.is_keyword(message.body))
                state = state_of(case, acknowledged=_acknowledged(session, case, message))
                result = conversation.step(service, state, incoming, now, runtime.settings.zone, runtime.settings.case_retention_days)
                replies += _apply(session, service, case, result, message, now)
            message.processed_at = now
    return replies


def state_of(case: Case, acknowledged: bool) -> conversation.CaseState:
    return conversation.CaseState(
        case.alias, case.language, case.stage, case.urgent, case.closed_told_until, waiting=case.waiting_since is not None, acknowledged=acknowledged
    )


def _acknowledged(session: Session, case: Case, message: CaseMessage) -> bool:
    """Do they know their words reach a person, since the case last fell silent for
    ``conversation.ACKNOWLEDGE_AGAIN_AFTER``: told so by the bot (its message of kind "received"),
    or answered by a counsellor?"""
    written = session.scalars(
        select(CaseMessage.created_at)
        .where(CaseMessage.case_id == case.id, CaseMessage.direction.in_(("in", "out")), CaseMessage.id <= message.id)
        .order_by(CaseMessage.id.desc())
    ).all()
    began = written[0]
    for earlier in written[1:]:
        if began - earlier >= conversation.ACKNOWLEDGE_AGAIN_AFTER:
            break
        began = earlier
    known = select(CaseMessage.id).where(
        CaseMessage.case_id == case.id,
        CaseMessage.created_at >= began,
        or_(CaseMessage.direction == "out", and_(CaseMessage.direction == "bot", CaseMessage.kind == "received")),
    )
    return session.scalar(known.limit(1)) is not None


def _apply(
    session: Session, service: Counselling, case: Case, result: conversation.Step, message: CaseMessage, now: datetime
) -> list[OutboundMessage]:
    """Keep the step's state and alert the on-call staff; the answers to send."""
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
    replies = [
        send_to_case(
            session, case, render(case.channel, reply.text, reply.choices), direction="bot", now=now,
            choices=buttons(case.channel, reply.choices), kind=reply.kind, queue=False,
        )
        for reply in result.replies
    ]
    for alert in result.alerts:
        alert_on_call(session, service, case, alert.reason, now)
    return replies
