"""Channels: how an engine message becomes text on one channel, and who sends it."""
from __future__ import annotations

from bot.channels.base import AmbiguousSendError, PermanentSendError, SendResult, TransientSendError

# Which URN scheme addresses a contact on each channel.
CHANNEL_SCHEMES = {"sms": "tel", "terminal": "tel"}


def render(channel: str, text: str, choices: tuple[str, ...]) -> str:
    """SMS and the terminal show choices as a short numbered list the reader can answer with."""
    if not choices:
        return text
    return text + "\n" + "\n".join(f"{number} {label}" for number, label in enumerate(choices, 1))


def sender_for(channel: str, settings):
    if channel == "sms":
        from bot.channels.twilio_sms import TwilioSmsSender

        return TwilioSmsSender.for_settings(settings)
    if channel == "terminal":
        from bot.channels.terminal import TerminalSender

        return TerminalSender()
    raise PermanentSendError("unknown_channel", f"no sender for channel {channel!r}")


__all__ = [
    "AmbiguousSendError",
    "CHANNEL_SCHEMES",
    "PermanentSendError",
    "SendResult",
    "TransientSendError",
    "render",
    "sender_for",
]
