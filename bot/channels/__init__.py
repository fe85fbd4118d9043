"""Channels: who sends a message on each channel (how its choices look: ``bot.engine.choices``)."""
from __future__ import annotations

from bot.channels.base import AmbiguousSendError, PermanentSendError, ReconnectNeeded, SendResult, TransientSendError

# Which URN scheme addresses a contact on each channel.
CHANNEL_SCHEMES = {"sms": "tel", "terminal": "tel", "instagram": "instagram", "webchat": "webchat"}
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
