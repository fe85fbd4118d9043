"""The RQ job that turns a contact's new messages (or a due timeout) into replies.

One contact at a time: the job holds the contact's turn (``Database.one_at_a_time``) and locks
the contact's row, so two workers never interleave the messages of one young person; it processes
every pending message in the order it arrived and sends the answers itself, in order, before the
turn passes to the job for their next message.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import engine
from bot.core import clock
from bot.engine import actions
from bot.engine.texts import system_text
from bot.jobs.effects import Effects, carry_out
from bot.jobs.effects.send import say
from bot.jobs.sending import owed_answers, send_replies
from bot.runtime import Runtime, get_runtime
from bot.storage.models import Contact, Conversation, InboundMessage, OutboundMessage

log = logging.getLogger(__name__)


def process_contact(contact_id: int) -> None:
    runtime = get_runtime()
    with runtime.db.one_at_a_time("contact", contact_id):
        send_replies(runtime, _process(runtime, contact_id))


def _process(runtime: Runtime, contact_id: int) -> list[OutboundMessage]:
    """The answers to send, committed."""
    created: list[OutboundMessage] = []
    replies: list[OutboundMessage] = []
    with runtime.db.session() as session:
        contact = session.scalars(select(Contact).where(Contact.id == contact_id).with_for_update()).one_or_none()
        if contact is None:
            return []
        now = clock.now()
        replies += owed_answers(session, OutboundMessage.contact_id == contact_id, now)
        flows = runtime.flows.current()
        conversation = _active_conversation(session, contact_id)
        pending = session.scalars(
            select(InboundMessage)
            .where(InboundMessage.contact_id == contact_id, InboundMessage.processed_at.is_(None))
            .order_by(InboundMessage.id)
        ).all()
        for message in pending:
            if _first_on_instagram(session, message):
                # Meta's rule and plain honesty: someone writing to a profile may expect a person.
                say(Effects(runtime, session, contact, now, message, created, replies), [system_text("bot_intro", contact.language)])
            outcome = engine.handle(
                flows, _view(contact), _state(conversation), engine.IncomingText(message.body), now, runtime.settings.zone
            )
            conversation = _apply(runtime, session, contact, conversation, outcome, now, message, created, replies)
            message.processed_at = now
        if conversation is not None and _is_due(conversation, now):
            outcome = engine.handle(
                flows, _view(contact), _state(conversation), engine.TimedOut(), now, runtime.settings.zone
            )
            conversation = _apply(runtime, session, contact, conversation, outcome, now, None, created, replies)
    if pending:
        log.info("contact %s: %d message(s) processed, %d to send", contact_id, len(pending), len(created))
    return replies


def _first_on_instagram(session: Session, message: InboundMessage) -> bool:
    if message.channel != "instagram":
        return False
    earlier = select(InboundMessage.id).where(
        InboundMessage.contact_id == message.contact_id, InboundMessage.channel == "instagram", InboundMessage.id < message.id
    )
    return session.scalar(earlier.limit(1)) is None


def _is_due(conversation: Conversation, now: datetime) -> bool:
    return any(moment is not None and moment <= now for moment in (conversation.timeout_at, conversation.expires_at))


def _active_conversation(session: Session, contact_id: int) -> Conversation | None:
    return session.scalars(
        select(Conversation).where(Conversation.contact_id == contact_id, Conversation.ended_at.is_(None))
    ).first()


def _view(contact: Contact) -> actions.ContactView:
    return actions.ContactView(
        name=contact.name, language=contact.language, fields=dict(contact.fields or {}), opted_out=contact.opted_out_at is not None
    )


def _state(conversation: Conversation | None) -> actions.State | None:
    if conversation is None:
        return None
    return actions.State(
        flow=conversation.flow,
        step=conversation.step,
        data=dict(conversation.data or {}),
        timeout_at=conversation.timeout_at,
        expires_at=conversation.expires_at,
    )




def _apply(
    runtime: Runtime,
    session: Session,
    contact: Contact,
    conversation: Conversation | None,
    outcome: actions.Outcome,
    now: datetime,
    replying_to: InboundMessage | None,
    created: list,
    replies: list,
) -> Conversation | None:
    """Carry out the outcome's actions and keep its state; then let waiting steps hear the facts."""
    effects = Effects(runtime, session, contact, now, replying_to, created, replies)
    for _ in range(engine.MAX_ROUNDS):
        for action in outcome.actions:
            carry_out(action, effects)
        conversation = _store_state(session, contact, conversation, outcome, now)
        if not effects.answers:
            return conversation
        facts = effects.answers.pop(0)
        outcome = engine.handle(runtime.flows.current(), _view(contact), _state(conversation), facts, now, runtime.settings.zone)
    log.error("contact %s: a step and the edge answered each other %d times; stopped", contact.id, engine.MAX_ROUNDS)
    return conversation


def _store_state(session, contact, conversation, outcome: actions.Outcome, now) -> Conversation | None:
    if conversation is not None and (outcome.started_new or outcome.state is None):
        conversation.ended_at = now
        conversation.end_reason = outcome.end_reason or "completed"
        conversation.timeout_at = None
        session.flush()
        conversation = None
    state = outcome.state
    if state is None:
        return None
    if conversation is None:
        conversation = Conversation(contact_id=contact.id, started_at=now, flow=state.flow, step=state.step)
        session.add(conversation)
    conversation.flow = state.flow
    conversation.step = state.step
    conversation.data = dict(state.data)
    conversation.timeout_at = state.timeout_at
    conversation.expires_at = state.expires_at
    conversation.updated_at = now
    session.flush()
    return conversation
