"""SendText: a message to the young person, on the channel they wrote on (or can be reached on)."""
from __future__ import annotations

import logging

from bot.core import quiet_hours
from bot.domain.contacts.contacts import reachable_at
from bot.domain.outbox import add_message
from bot.engine.actions import SendText
from bot.engine.choices import buttons, render
from bot.jobs.effects import Effects, handles
from bot.jobs.sending import ANSWER_KINDS

log = logging.getLogger(__name__)

# Answers to what the young person just wrote: the processing job sends them itself, in order,
# once it commits (``bot.jobs.sending.send_replies``); anything else is queued as usual.
ANSWERS = frozenset(ANSWER_KINDS)


@handles(SendText)
def send_text(action: SendText, effects: Effects) -> None:
    message = message_for(effects, action)
    if message is None:
        return
    effects.created.append(message)
    if message.enqueued_at is not None and message.kind in ANSWERS:
        effects.replies.append(message)


def say(effects: Effects, texts: list[str]) -> None:
    """Texts the edge decided on (a check-in's answer, who will reach out), as replies."""
    for text in texts:
        send_text(SendText(text), effects)


def message_for(effects: Effects, action: SendText):
    contact, replying_to, now, settings = effects.contact, effects.replying_to, effects.now, effects.runtime.settings
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
        send_after = quiet_hours.next_allowed(now, settings.quiet_window, settings.zone)
    return add_message(
        effects.session,
        queue=kind not in ANSWERS,
        contact_id=contact.id,
        channel=channel,
        to_address=address,
        body=render(channel, action.text, action.choices),
        choices=buttons(channel, action.choices),
        kind=kind,
        send_after=send_after,
        now=now,
        in_reply_to_id=replying_to.id if replying_to is not None else None,
    )
