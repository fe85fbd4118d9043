"""The RQ job that turns a contact's new messages (or a due timeout) into replies.

One contact at a time: the job locks the contact's row, so two workers never interleave the
messages of one young person, and processes every pending message in the order it arrived.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import attendance, channels, checkin, clock, engine, members, quiet_hours
from bot import bookings, linking
from bot.contacts import reachable_at
from bot.engine import actions
from bot.engine.texts import system_text
from bot.mood import answers as mood_answers
from bot.models import Contact, Conversation, InboundMessage, StaffNotification
from bot.outbox import add_message, add_staff_messages, enqueue_sends
from bot.runtime import Runtime, get_runtime

log = logging.getLogger(__name__)


def process_contact(contact_id: int) -> None:
    runtime = get_runtime()
    created = []
    with runtime.db.session() as session:
        contact = session.scalars(select(Contact).where(Contact.id == contact_id).with_for_update()).one_or_none()
        if contact is None:
            return
        now = clock.now()
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
                created.extend(_say(runtime, session, contact, [system_text("bot_intro", contact.language)], now, message))
            outcome = engine.handle(
                flows, _view(contact), _state(conversation), engine.IncomingText(message.body), now, runtime.settings.zone
            )
            conversation = _apply(runtime, session, contact, conversation, outcome, now, message, created)
            message.processed_at = now
        if conversation is not None and _is_due(conversation, now):
            outcome = engine.handle(
                flows, _view(contact), _state(conversation), engine.TimedOut(), now, runtime.settings.zone
            )
            conversation = _apply(runtime, session, contact, conversation, outcome, now, None, created)
        session.flush()
        to_queue = [(m.id, m.kind) for m in created if m.enqueued_at is not None]
    enqueue_sends(runtime, to_queue)
    if pending:
        log.info("contact %s: %d message(s) processed, %d to send", contact_id, len(pending), len(created))


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
) -> Conversation | None:
    answers = []  # what the edge found or did for a booking step, told to it below
    for action in outcome.actions:
        if isinstance(action, actions.SendText):
            message = _send_to_contact(runtime, session, contact, action, now, replying_to)
            if message is not None:
                created.append(message)
        elif isinstance(action, actions.SaveField):
            _save_field(contact, action)
        elif isinstance(action, actions.NotifyStaff):
            created.extend(_notify_staff(session, contact, action, now))
        elif isinstance(action, actions.OptOut):
            contact.opted_out_at = now
            log.info("contact %s opted out", contact.id)
        elif isinstance(action, actions.OptIn):
            contact.opted_out_at = None
            log.info("contact %s opted back in", contact.id)
        elif isinstance(action, actions.JoinCommunity):
            channel = replying_to.channel if replying_to is not None else (contact.last_channel or "sms")
            members.join(session, contact, action.community, source=channel, now=now)
            log.info("contact %s joined %s", contact.id, action.community)
        elif isinstance(action, actions.RecordAttendance):
            attendance.record_reply(session, contact.id, action.event_id, action.reply, now)
        elif isinstance(action, (actions.RecordMood, actions.RecordMoodNote)):
            if isinstance(action, actions.RecordMood):
                texts, staff = mood_answers.record_score(runtime, session, contact, action.prompt_id, action.score, action.said, now)
            else:
                texts, staff = mood_answers.record_note(runtime, session, contact, action.prompt_id, action.text, now)
            created.extend(staff)
            created.extend(_say(runtime, session, contact, texts, now, replying_to))
        elif isinstance(action, actions.PauseCheckins):
            mood_answers.set_pause(contact, action.until, now)
        elif isinstance(action, actions.ResumeCheckins):
            mood_answers.resume(contact)
        elif isinstance(action, actions.CheckIn):
            texts = checkin.check_in(runtime, session, contact, runtime.flows.current().communities, now)
            created.extend(_say(runtime, session, contact, texts, now, replying_to))
        elif isinstance(action, actions.BOOKING_ACTIONS):
            answers.append(bookings.answer(runtime, session, contact, action, now))
        elif isinstance(action, actions.LINK_ACTIONS):
            answers.append(linking.answer(runtime, session, contact, action, now, created))
    conversation = _store_state(session, contact, conversation, outcome, now)
    for facts in answers:
        # The booking step waits for these; it hears them in the same job, before the next message.
        told = engine.handle(runtime.flows.current(), _view(contact), _state(conversation), facts, now, runtime.settings.zone)
        conversation = _apply(runtime, session, contact, conversation, told, now, replying_to, created)
    return conversation


def _say(runtime, session, contact, texts: list[str], now, replying_to) -> list:
    """Texts the edge decided on (a check-in's answer, who will reach out), as replies."""
    messages = [_send_to_contact(runtime, session, contact, actions.SendText(text), now, replying_to) for text in texts]
    return [message for message in messages if message is not None]


def _send_to_contact(runtime, session, contact, action: actions.SendText, now, replying_to):
    channel, address = reachable_at(contact, replying_to.channel if replying_to is not None else None)
    if address is None:
        log.warning("contact %s has no address on %s; message dropped", contact.id, channel)
        return None
    if action.even_if_opted_out:
        kind, send_after = "system", now
    elif replying_to is not None:
        kind, send_after = "reply", now
    else:
        kind = "automatic"
        send_after = quiet_hours.next_allowed(now, runtime.settings.quiet_window, runtime.settings.zone)
    message = add_message(
        session,
        contact_id=contact.id,
        channel=channel,
        to_address=address,
        body=channels.render(channel, action.text, action.choices),
        choices=channels.buttons(channel, action.choices),
        kind=kind,
        send_after=send_after,
        now=now,
        in_reply_to_id=replying_to.id if replying_to is not None else None,
    )
    return message


def _save_field(contact: Contact, action: actions.SaveField) -> None:
    if action.field == "name":
        contact.name = action.value[:100]
    elif action.field == "language":
        contact.language = action.value
    else:
        # A new dict, so SQLAlchemy sees the JSON column change.
        contact.fields = {**(contact.fields or {}), action.field: action.value}


def _notify_staff(session, contact, action: actions.NotifyStaff, now) -> list:
    session.add(StaffNotification(contact_id=contact.id, flow=action.flow, text=action.text, created_at=now))
    return add_staff_messages(session, list(action.to), action.text, send_after=now, now=now)


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
