"""SMS (MIT NUMMER): the bot's own flow for giving a mobile number from Instagram or the web chat
(docs/channels.md). Staff never write it; its words are the bot's, like STOP."""
from __future__ import annotations

from bot.flows.model import Flow

NUMBER_FLOW = "nummer"
NUMBER_WORDS = ["SMS", "MIT NUMMER", "MY NUMBER"]  # no language of their own: the answer keeps the contact's


def number_flow() -> dict[str, Flow]:
    flow = Flow.model_validate(
        {
            "name": "Mit nummer",
            "triggers": NUMBER_WORDS,
            "expires_after": "30m",  # the code lives 15 minutes
            "steps": {"nummer": {"link_phone": True}},
        }
    )
    return {NUMBER_FLOW: flow}
