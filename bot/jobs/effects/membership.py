"""JoinCommunity: the young person becomes a member, from the channel they wrote on."""
from __future__ import annotations

import logging

from bot.domain.communities import members
from bot.engine.actions import JoinCommunity
from bot.jobs.effects import Effects, handles

log = logging.getLogger(__name__)


@handles(JoinCommunity)
def join_community(action: JoinCommunity, effects: Effects) -> None:
    contact, replying_to = effects.contact, effects.replying_to
    channel = replying_to.channel if replying_to is not None else (contact.last_channel or "sms")
    members.join(effects.session, contact, action.community, source=channel, now=effects.now)
    log.info("contact %s joined %s", contact.id, action.community)
