from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SendResult:
    provider_id: str
    status: str


class SendError(Exception):
    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail[:255]


class TransientSendError(SendError):
    """Try again later (rate limited, provider down, connection refused)."""


class PermanentSendError(SendError):
    """Trying again will not help (invalid number, unsubscribed, not configured)."""


class AmbiguousSendError(SendError):
    """The provider may or may not have taken the message: resending could send it twice."""
