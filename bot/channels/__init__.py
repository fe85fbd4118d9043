"""Channels: who sends a message on each channel (how its choices look: ``bot.engine.choices``)."""
from __future__ import annotations

from collections.abc import Callable

from bot.channels.base import AmbiguousSendError, PermanentSendError, ReconnectNeeded, SendResult, TransientSendError
from bot.channels.instagram import InstagramSender
from bot.channels.terminal import TerminalSender
from bot.channels.twilio_sms import TwilioSmsSender
from bot.channels.webchat import WebchatSender

# Which URN scheme addresses a contact on each channel.
CHANNEL_SCHEMES = {"sms": "tel", "terminal": "tel", "instagram": "instagram", "webchat": "webchat"}

_SENDERS: dict[str, Callable] = {
    "sms": TwilioSmsSender.for_settings,
    "instagram": InstagramSender.for_settings,
    "webchat": lambda _settings: WebchatSender(),
    "terminal": lambda _settings: TerminalSender(),
}


def sender_for(channel: str, settings):
    make = _SENDERS.get(channel)
    if make is None:
        raise PermanentSendError("unknown_channel", f"no sender for channel {channel!r}")
    return make(settings)


__all__ = [
    "CHANNEL_SCHEMES",
    "AmbiguousSendError",
    "PermanentSendError",
    "ReconnectNeeded",
    "SendResult",
    "TransientSendError",
    "sender_for",
]
