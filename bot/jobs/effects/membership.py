"""JoinCommunity: the young person becomes a member, from the channel they wrote on, and their
day-of messages are planned at once (one who joins in the afternoon hears about tonight)."""
from __future__ import annotations

import logging

from bot.domain.communities import members, reminders
from bot.engine.actions import JoinCommunity
from bot.jobs.effects import Effects, handles

log = logging.getLogger(__name__)


@handles(JoinCommunity)
def join_community(action: JoinCommunity, effects: Effects) -> None:
    contact, replying_to = effects.contact, effects.replying_to
    channel = replying_to.channel if replying_to is not None else (contact.last_channel or "sms")
    member = members.join(effects.session, contact, action.community, source=channel, now=effects.now)
    reminders.plan_for_member(effects.runtime, effects.session, member, effects.now)
    log.info("contact %s joined %s", contact.id, action.community)
