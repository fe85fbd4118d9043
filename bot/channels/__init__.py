"""Channels: who sends a message on each channel (how its choices look: ``bot.engine.choices``)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.channels.base import AmbiguousSendError, PermanentSendError, ReconnectNeeded, SendResult, TransientSendError
from bot.channels.instagram import InstagramSender
from bot.channels.terminal import TerminalSender
from bot.channels.twilio_sms import TwilioSmsSender
from bot.channels.webchat import WebchatSender

# Which URN scheme addresses a contact on each channel.
CHANNEL_SCHEMES = {"sms": "tel", "terminal": "tel", "instagram": "instagram", "webchat": "webchat"}



@dataclass(frozen=True)
class _Channel:
    make: Callable
    configured: Callable = lambda _settings: True
    not_configured: str = ""


_CHANNELS = {
    "sms": _Channel(TwilioSmsSender, lambda settings: settings.twilio_enabled, "TWILIO_ACCOUNT_SID is not set"),
    "instagram": _Channel(InstagramSender, lambda settings: settings.instagram_enabled, "META_APP_SECRET is not set"),
    "webchat": _Channel(lambda _settings: WebchatSender()),
    "terminal": _Channel(lambda _settings: TerminalSender()),
}


def sender_for(channel: str, settings):
    known = _CHANNELS.get(channel)
    if known is None:
        raise PermanentSendError("unknown_channel", f"no sender for channel {channel!r}")
    if not known.configured(settings):
        raise PermanentSendError("not_configured", known.not_configured)
    return known.make(settings)


__all__ = [
    "CHANNEL_SCHEMES",
    "AmbiguousSendError",
    "PermanentSendError",
    "ReconnectNeeded",
    "SendResult",
    "TransientSendError",
    "sender_for",
]
