"""Channels: how an engine message becomes text on one channel, and who sends it.

The engine says a text and, for a question, its choices. SMS and the terminal show choices as a
numbered list in the text; Instagram shows them as quick replies and the web chat as buttons, so
there the text stays as written and the choices travel beside it (``OutboundMessage.choices``).
"""
from __future__ import annotations

from bot.channels.base import AmbiguousSendError, PermanentSendError, ReconnectNeeded, SendResult, TransientSendError

# Which URN scheme addresses a contact on each channel.
CHANNEL_SCHEMES = {"sms": "tel", "terminal": "tel", "instagram": "instagram", "webchat": "webchat"}
# Channels that show choices as buttons, and how many they can show (Meta: 13 quick replies).
BUTTONS = {"instagram": 13, "webchat": 10}


def buttons(channel: str, choices: tuple[str, ...] | list[str]) -> list[str] | None:
    """The choices as buttons on ``channel``, or None when they belong in the text."""
    limit = BUTTONS.get(channel)
    if not choices or limit is None or len(choices) > limit:
        return None
    return list(choices)


def render(channel: str, text: str, choices: tuple[str, ...] | list[str]) -> str:
    """The message text on ``channel``: choices as a short numbered list, unless they are buttons."""
    if not choices or buttons(channel, choices) is not None:
        return text
    return text + "\n" + "\n".join(f"{number} {label}" for number, label in enumerate(choices, 1))


def sender_for(channel: str, settings):
    if channel == "sms":
        from bot.channels.twilio_sms import TwilioSmsSender

        return TwilioSmsSender.for_settings(settings)
    if channel == "instagram":
        from bot.channels.instagram import InstagramSender

        return InstagramSender.for_settings(settings)
    if channel == "webchat":
        from bot.channels.webchat import WebchatSender

        return WebchatSender()
    if channel == "terminal":
        from bot.channels.terminal import TerminalSender

        return TerminalSender()
    raise PermanentSendError("unknown_channel", f"no sender for channel {channel!r}")


__all__ = [
    "BUTTONS",
    "CHANNEL_SCHEMES",
    "AmbiguousSendError",
    "PermanentSendError",
    "ReconnectNeeded",
    "SendResult",
    "TransientSendError",
    "buttons",
    "render",
    "sender_for",
]
