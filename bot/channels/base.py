from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Only named here: the senders that use requests import it, and a process that sends nothing
    # (the scheduler, the web) never loads it for the errors below.
    import requests


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


class ReconnectNeeded(PermanentSendError):
    """The provider no longer accepts our credentials for this account (Meta error 190): staff
    must reconnect it; retrying would fail the same way until then."""

    def __init__(self, code: str, detail: str = "", *, account: str):
        super().__init__(code, detail)
        self.account = account


def refused_before_sending(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the request never reached the provider (safe to retry), False when the
    connection broke while the provider may have had it (resending could send twice)."""
    text = repr(exc)
    return any(marker in text for marker in ("NewConnectionError", "NameResolutionError", "Connection refused"))


def environment_read_once(session: requests.Session, url: str) -> requests.Session:
    """``session`` with the proxy and CA-bundle variables (HTTPS_PROXY, NO_PROXY,
    REQUESTS_CA_BUNDLE ...) for ``url`` read now and kept. requests would otherwise read the
    whole environment again on every request: a noticeable part of a send at hundreds a second."""
    found = session.merge_environment_settings(url, {}, None, None, None)
    session.proxies.update(found.get("proxies") or {})
    session.verify = found.get("verify", True)
    if found.get("cert"):
        session.cert = found["cert"]
    session.trust_env = False
    return session
