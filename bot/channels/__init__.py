"""Channels: who sends a message on each channel (how its choices look: ``bot.engine.choices``)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.channels.base import AmbiguousSendError, PermanentSendError, ReconnectNeeded, SendResult, TransientSendError

# Which URN scheme addresses a contact on each channel.
CHANNEL_SCHEMES = {"sms": "tel", "terminal": "tel", "instagram": "instagram", "webchat": "webchat"}



@dataclass(frozen=True)
class _Channel:
    make: Callable
    configured: Callable = lambda _settings: True
    not_configured: str = ""


# Each sender is imported when one is first made: the Twilio SDK and requests (some 12 MiB) belong in a process that
# sends, not in every process that names a channel (the scheduler, the web).
def _twilio_sms(settings):
    from bot.channels.twilio_sms import TwilioSmsSender

    return TwilioSmsSender(settings)


def _instagram(settings):
    from bot.channels.instagram import InstagramSender

    return InstagramSender(settings)


def _webchat(_settings):
    from bot.channels.webchat import WebchatSender

    return WebchatSender()


def _terminal(_settings):
    from bot.channels.terminal import TerminalSender

    return TerminalSender()


_CHANNELS = {
    "sms": _Channel(_twilio_sms, lambda settings: settings.twilio_enabled, "TWILIO_ACCOUNT_SID is not set"),
    "instagram": _Channel(_instagram, lambda settings: settings.instagram_enabled, "META_APP_SECRET is not set"),
    "webchat": _Channel(_webchat),
    "terminal": _Channel(_terminal),
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
