"""Instagram direct messages through Meta's Send API (``META_GRAPH_URL`` lets a stand-in take Graph's place).

A message's address is ``<our Instagram account id>:<the young person's IGSID>``; the account picks
the page access token (``Settings.meta_token_for``), and the token alone tells Meta who sends, so
every message goes to ``/{version}/me/messages``.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
from typing import ClassVar

import requests

from bot.channels.base import (
    AmbiguousSendError,
    PermanentSendError,
    ReconnectNeeded,
    SendError,
    SendResult,
    TransientSendError,
    environment_read_once,
    refused_before_sending,
)
from bot.engine.choices import BUTTONS

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 15
# Meta documents the text limit both as "less than 1000 characters" and as "1000 bytes of UTF-8";
# counting bytes satisfies both (æ, ø and å are two bytes each).
MAX_TEXT_BYTES = 1000
MAX_QUICK_REPLIES = BUTTONS["instagram"]
MAX_TITLE_CHARS = 20  # Meta cuts longer titles itself, without saying where
RATE_LIMIT_CODES = {4, 17, 32, 613}
SERVER_ERROR_CODES = {1, 2}
TOKEN_EXPIRED = 190
OUTSIDE_WINDOW = (10, 2018278)
# Where a long text is best cut: a line break, then the end of a sentence, then any space.
BREAKS = (re.compile(r"\n\s*"), re.compile(r"(?<=[.!?])\s+"), re.compile(r"\s+"))


class InstagramSender:
    _sessions: ClassVar[dict[str, requests.Session]] = {}

    def __init__(self, settings, *, timeout: float = TIMEOUT_SECONDS):
        self.settings = settings
        self.timeout = timeout
        graph_url = settings.meta_graph_url
        self.url = f"{graph_url}/{settings.meta_graph_version}/me/messages"
        session = self._sessions.get(graph_url)
        if session is None:
            session = self._sessions[graph_url] = environment_read_once(requests.Session(), graph_url)
        self.session = session

    @property
    def rate_key(self) -> str:
        """Who the per-sender rate (SEND_RATE) is counted for."""
        return "instagram"

    def send(self, message) -> SendResult:
        account, _, igsid = (message.to_address or "").partition(":")
        if not (account.isdigit() and igsid.isdigit()):
            raise PermanentSendError("bad_address", "an Instagram address is '<account id>:<IGSID>'")
        token = self.settings.meta_token_for(account)
        if not token:
            raise PermanentSendError("not_configured", f"no page access token for Instagram account {account}")
        if not message.body.strip():
            raise PermanentSendError("empty_text", "Meta refuses a message without text")
        proof = hmac.new(self.settings.meta_app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        messaging = _messaging(message)
        texts = split_text(message.body)
        replies = quick_replies(message.choices)
        message_id = ""
        for number, text in enumerate(texts, 1):
            payload = {"recipient": {"id": igsid}, **messaging, "message": {"text": text}, "appsecret_proof": proof}
            if number == len(texts) and replies:
                payload["message"]["quick_replies"] = replies
            try:
                message_id = self._post(payload, token, proof, account)
            except (TransientSendError, AmbiguousSendError) as exc:
                if number == 1:
                    raise
                # The parts already sent would go out again with a retry: never resend.
                raise AmbiguousSendError(
                    "partly_sent", f"{number - 1} of {len(texts)} parts sent, then {exc.code}: {exc.detail}"
                ) from None
        return SendResult(provider_id=message_id, status="sent")

    def _post(self, payload: dict, token: str, proof: str, account: str) -> str:
        # The token travels only in the header: URLs end up in access logs and exception texts.
        headers = {"Authorization": f"Bearer {token}"}
        try:
            response = self.session.post(self.url, json=payload, headers=headers, timeout=self.timeout, allow_redirects=False)
        except requests.exceptions.ConnectTimeout:
            raise TransientSendError("connect_timeout", "could not connect to Meta") from None
        except requests.exceptions.ConnectionError as exc:
            if refused_before_sending(exc):
                raise TransientSendError("connection_refused", "could not connect to Meta") from None
            raise AmbiguousSendError("connection_lost", "connection lost while Meta had the request") from None
        except requests.exceptions.Timeout:
            raise AmbiguousSendError("read_timeout", "no answer from Meta in time") from None
        except requests.exceptions.RequestException as exc:
            raise AmbiguousSendError("bad_answer", f"Meta's answer could not be read ({type(exc).__name__})") from None
        if response.status_code >= 300:
            raise _failure(response, account, secrets=(token, proof))
        try:
            return str(response.json()["message_id"])
        except (ValueError, KeyError, TypeError):
            raise AmbiguousSendError("bad_answer", f"HTTP {response.status_code} from Meta without a message_id") from None


def split_text(text: str, limit: int = MAX_TEXT_BYTES) -> list[str]:
    """``text`` as parts of at most ``limit`` UTF-8 bytes, cut at a line break, a sentence's end or a space."""
    if len(text.encode()) <= limit:
        return [text]
    parts = []
    rest = text.strip()
    while len(rest.encode()) > limit:
        fits = len(rest.encode()[:limit].decode(errors="ignore"))
        cut = _best_break(rest, fits)
        if cut is None:
            parts.append(rest[:fits])
            rest = rest[fits:]
        else:
            parts.append(rest[: cut.start()].rstrip())
            rest = rest[cut.end() :].lstrip()
    if rest:
        parts.append(rest)
    return parts


def _best_break(text: str, fits: int) -> re.Match | None:
    """The last good place to cut ``text`` within its first ``fits`` characters (or right after them).

    A line break or a sentence's end is only chosen when the part before it is at least half
    full, so a text does not fall into many small messages.
    """
    for pattern in BREAKS:
        found = list(pattern.finditer(text, 0, fits + 1))
        if found and (pattern is BREAKS[-1] or found[-1].start() >= fits // 2):
            return found[-1]
    return None


def quick_replies(choices: list[str] | None) -> list[dict]:
    """The choices as Meta's quick replies: the title is what fits on the button, the payload the whole label."""
    if not choices:
        return []
    if len(choices) > MAX_QUICK_REPLIES:
        log.warning("%d choices for Instagram, which shows %d: the rest are left out", len(choices), MAX_QUICK_REPLIES)
    return [{"content_type": "text", "title": _title(label), "payload": label} for label in choices[:MAX_QUICK_REPLIES]]


def _title(label: str) -> str:
    if len(label) <= MAX_TITLE_CHARS:
        return label
    return label[: MAX_TITLE_CHARS - 1].rstrip() + "…"


def _messaging(message) -> dict:
    chosen = message.messaging or ("RESPONSE" if message.kind == "reply" else "UPDATE")
    if chosen == "HUMAN_AGENT":
        return {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    if chosen not in ("RESPONSE", "UPDATE"):
        raise PermanentSendError("bad_messaging", f"unknown Instagram messaging {chosen!r}")
    return {"messaging_type": chosen}


def _failure(response: requests.Response, account: str, secrets: tuple[str, ...]) -> SendError:
    """Meta's error answer (``{"error": {"code", "error_subcode", "message", "fbtrace_id"}}``) as a SendError."""
    status = response.status_code
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    error = error if isinstance(error, dict) else {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    subcode = error.get("error_subcode")
    detail = f"HTTP {status}"
    if error.get("message"):
        detail += f": {error['message']}"
    if error.get("fbtrace_id"):
        detail += f" (fbtrace_id {error['fbtrace_id']})"
    # Meta's messages do not quote the token today; the detail is stored and logged, so make sure.
    for secret in secrets:
        detail = detail.replace(secret, "[redacted]")
    name = str(code if code is not None else status)
    if code == TOKEN_EXPIRED:
        return ReconnectNeeded(name, detail, account=account)
    if status == 429 or code in RATE_LIMIT_CODES or status >= 500 or code in SERVER_ERROR_CODES:
        return TransientSendError(name, detail)
    if (code, subcode) == OUTSIDE_WINDOW:
        return PermanentSendError("outside_window", detail)
    return PermanentSendError(name, detail)
