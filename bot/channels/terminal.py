"""The terminal chat (``ungebot chat``) reads its messages from the outbox; sending is recording."""
from __future__ import annotations

from bot.channels.base import SendResult


class TerminalSender:
    def send(self, message) -> SendResult:
        return SendResult(provider_id=f"terminal-{message.id}", status="delivered")
