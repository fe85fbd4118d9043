"""A stand-in for Meta's Graph API Send API (Instagram messaging): real HTTP on 127.0.0.1.

``GraphStandin`` serves ``POST /{version}/me/messages`` and checks every request the way Meta
would, in Meta's order. Anything wrong is appended to ``.violations`` (so a test can
``assert standin.violations == []``) and answered with Meta's error JSON::

    {"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}

1. The path: a Graph version such as ``v21.0`` and ``/me/messages`` -> else 400, code 2500.
2. The page access token, in ``Authorization: Bearer <token>`` only: a token in the query string
   or the body is refused (URLs end up in logs) -> 400, code 100; no token -> 400, code 2500.
   An unknown token -> 400, code 190, and one made stale with ``expire_token`` -> 400, code 190,
   subcode 463. Neither is a violation: Meta answers them to correct requests too.
3. A JSON body with ``appsecret_proof`` = hex HMAC-SHA256(app secret, token) -> else 400, code 100.
4. The message: ``recipient.id`` digits; ``messaging_type`` RESPONSE, UPDATE or MESSAGE_TAG, with
   ``tag`` (HUMAN_AGENT, the only tag Instagram takes) exactly when MESSAGE_TAG; ``message.text``
   not empty and at most 1000 bytes of UTF-8 (Meta documents both 1000 characters and 1000 bytes;
   the stricter one is checked); ``quick_replies`` 1 to 13, each ``content_type`` "text", a title
   of 1 to 20 characters (Meta would cut a longer one itself) and a payload of at most 1000
   characters; no fields Meta does not know -> else 400, code 100.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from werkzeug.wrappers import Request, Response

from .local_server import DROP, ProviderStandin

__all__ = ["GraphStandin", "appsecret_proof", "graph_error"]

VERSION = re.compile(r"^v\d+\.\d+$")
ROUTE = re.compile(r"^/(?P<version>[^/]+)/me/messages/?$")
MESSAGING_TYPES = {"RESPONSE", "UPDATE", "MESSAGE_TAG"}
TAGS = {"HUMAN_AGENT"}
MAX_TEXT_BYTES = 1000
MAX_QUICK_REPLIES = 13
MAX_TITLE_CHARS = 20
MAX_PAYLOAD_CHARS = 1000
REQUEST_FIELDS = {"recipient", "messaging_type", "tag", "message", "appsecret_proof"}
MESSAGE_FIELDS = {"text", "quick_replies"}
QUICK_REPLY_FIELDS = {"content_type", "title", "payload"}
RECORDED_HEADERS = ("Content-Type", "User-Agent")

# Meta's messages for the error codes a sender meets.
ERROR_MESSAGES = {
    1: "An unknown error has occurred.",
    2: "An unexpected error has occurred. Please retry your request later.",
    4: "(#4) Application request limit reached",
    10: "(#10) This message is sent outside of allowed window.",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    100: "(#100) Invalid parameter",
    190: "Invalid OAuth access token - Cannot parse access token",
    551: "(#551) This person isn't available right now.",
    613: "(#613) Calls to this API have exceeded the rate limit.",
    2500: "Unknown path components",
}


def appsecret_proof(app_secret: str, token: str) -> str:
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def graph_error(code: int, message: str | None = None, subcode: int | None = None) -> dict:
    """Meta's error JSON."""
    error = {
        "message": message or ERROR_MESSAGES.get(code, "An unknown error has occurred."),
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": base64.b64encode(secrets.token_bytes(8)).decode().rstrip("="),
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


@dataclass
class _Failure:
    status: int
    code: int | None
    subcode: int | None
    message: str | None


class _Refusal(Exception):
    def __init__(self, status: int, code: int, message: str, subcode: int | None = None, violation: bool = True):
        super().__init__(message)
        self.status, self.code, self.message, self.subcode, self.violation = status, code, message, subcode, violation


class GraphStandin(ProviderStandin):
    """Meta's Send API on 127.0.0.1, checking every request as Meta would.

    ``tokens`` maps each valid page access token to the Instagram account it sends from.

    Records (all snapshots, safe to keep):
      ``requests``   every request received, refused ones too: dicts with ``method``, ``path``,
                     ``url`` (path and query string, as an access log shows it), ``query``,
                     ``headers`` (a few), ``token`` (from the Authorization header), ``json``,
                     ``status`` (None when the connection was dropped) and ``violations``.
      ``messages``   the messages taken, in order: ``message_id``, ``account``, ``recipient``,
                     ``text``, ``quick_replies``, ``messaging_type``, ``tag``.
      ``violations`` readable problems with requests, across all requests.
    """

    def __init__(self, app_secret: str, tokens: dict[str, str]):
        self.app_secret = app_secret
        self.tokens = dict(tokens)
        super().__init__(name="Graph stand-in")
        self._expired: set[str] = set()
        self._reused_ids = 0

    # -- what happened --------------------------------------------------------------------------

    def sent_texts_to(self, igsid: str) -> list[str]:
        with self._lock:
            return [message["text"] for message in self._messages if message["recipient"] == igsid]

    # -- scripting ------------------------------------------------------------------------------

    def fail_next(
        self,
        code: int | None,
        http_status: int = 400,
        subcode: int | None = None,
        message: str | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Answer ``times`` correct requests with Meta's error instead of sending, once ``after``
        more have gone through (a message sent in parts can fail half way).

        ``code`` None answers with a plain-text body instead, as a proxy in front of Meta would.
        """
        self._faults.fail(_Failure(http_status, code, subcode, message), times, after)

    def reuse_message_id(self, times: int = 1) -> None:
        """Answer the next ``times`` sends with the message id of the one before (a provider bug)."""
        with self._lock:
            self._reused_ids += times

    def expire_token(self, token: str) -> None:
        """From now on (until ``reset``) ``token`` is answered with code 190, as Meta does when a token lapses."""
        with self._lock:
            self._expired.add(token)

    def reset(self) -> None:
        """Forget requests, messages, violations, expired tokens and scripted failures, delays and drops."""
        with self._lock:
            super().reset()
            self._expired.clear()
            self._reused_ids = 0

    # -- HTTP -----------------------------------------------------------------------------------

    def _crashed(self) -> Response:
        return _json(graph_error(1), 500)

    def _handle(self, request: Request):
        query = request.query_string.decode("latin-1")
        auth = request.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        record = {
            "method": request.method,
            "path": request.path,
            "url": request.path + (f"?{query}" if query else ""),
            "query": request.args.to_dict(),
            "headers": {name: request.headers[name] for name in RECORDED_HEADERS if name in request.headers},
            "token": token.strip() if scheme.lower() == "bearer" else None,
            "json": _json_body(request),
            "status": None,
            "violations": [],
        }
        with self._lock:
            self._requests.append(record)
        where = f"{request.method} {request.path}"
        try:
            response = self._respond(request, record)
        except _Refusal as refusal:
            if refusal.violation:
                self._violate(record, f"{where}: {refusal.message}")
            response = _json(graph_error(refusal.code, refusal.message, refusal.subcode), refusal.status)
            if refusal.code == 190:
                response.headers["WWW-Authenticate"] = f'OAuth "Facebook Platform" "invalid_token" "{refusal.message}"'
        with self._lock:
            record["status"] = response.status_code if isinstance(response, Response) else None
        return response

    def _respond(self, request: Request, record: dict):
        # 1. The path.
        match = ROUTE.match(request.path)
        if match is None:
            raise _Refusal(400, 2500, f"Unknown path components: {request.path} (the stand-in serves /{{version}}/me/messages)")
        if not VERSION.match(match["version"]):
            raise _Refusal(400, 2500, f"Unknown path components: {match['version']!r} is not a Graph version such as v21.0")
        if request.method != "POST":
            raise _Refusal(400, 100, f"Unsupported {request.method.lower()} request")

        # 2. The token: in the Authorization header, nowhere else.
        if "access_token" in request.args:
            raise _Refusal(400, 100, "access_token in the URL: it would end up in access logs (send it as 'Authorization: Bearer')")
        token = record["token"]
        if not token:
            raise _Refusal(400, 2500, "An active access token must be used to query information about the current user.")
        with self._lock:
            expired = token in self._expired
            account = self.tokens.get(token)
        if expired:
            raise _Refusal(400, 190, "Error validating access token: Session has expired.", subcode=463, violation=False)
        if account is None:
            raise _Refusal(400, 190, ERROR_MESSAGES[190], violation=False)

        # 3. A JSON body, signed with the app secret.
        if request.mimetype != "application/json":
            raise _Refusal(400, 100, f"Content-Type {request.mimetype or 'none'!r}: the stand-in takes application/json")
        body = record["json"]
        if not isinstance(body, dict):
            raise _Refusal(400, 100, "the body is not a JSON object")
        if "access_token" in body:
            raise _Refusal(400, 100, "access_token in the body (send it as 'Authorization: Bearer')")
        proof = body.get("appsecret_proof")
        if not proof:
            raise _Refusal(400, 100, "API calls from the server require an appsecret_proof argument")
        if not (isinstance(proof, str) and hmac.compare_digest(proof, appsecret_proof(self.app_secret, token))):
            raise _Refusal(400, 100, "Invalid appsecret_proof provided in the API argument")

        # 4. The message.
        problems = _problems(body)
        if problems:
            for problem in problems:
                self._violate(record, f"{request.method} {request.path}: {problem}")
            raise _Refusal(400, 100, f"(#100) {problems[0]}", violation=False)

        failure, drop = self._faults.take()
        if failure is not None:
            if failure.code is None:
                phrase = HTTPStatus(failure.status).phrase
                return Response(failure.message or phrase, status=failure.status, content_type="text/plain")
            return _json(graph_error(failure.code, failure.message, failure.subcode), failure.status)

        message = body["message"]
        with self._lock:
            reuse = self._reused_ids > 0 and bool(self._messages)
            self._reused_ids -= reuse
            message_id = self._messages[-1]["message_id"] if reuse else "m_" + secrets.token_urlsafe(24)
        taken = {
            "message_id": message_id,
            "account": account,
            "recipient": body["recipient"]["id"],
            "text": message["text"],
            "quick_replies": message.get("quick_replies"),
            "messaging_type": body["messaging_type"],
            "tag": body.get("tag"),
        }
        with self._lock:
            self._messages.append(taken)
        if drop:
            return DROP
        return _json({"recipient_id": taken["recipient"], "message_id": taken["message_id"]}, 200)


def _json_body(request: Request) -> Any:
    if request.mimetype != "application/json":
        return None
    try:
        return json.loads(request.get_data(as_text=True))
    except ValueError:
        return None


def _problems(body: dict) -> list[str]:
    """What Meta would refuse in a Send API request body (empty: nothing)."""
    problems = [f"unknown field {name!r}" for name in body if name not in REQUEST_FIELDS]
    recipient = body.get("recipient")
    if not isinstance(recipient, dict) or set(recipient) != {"id"}:
        problems.append("recipient must be {\"id\": <IGSID>}")
    elif not (isinstance(recipient["id"], str) and recipient["id"].isdigit()):
        problems.append(f"recipient.id {recipient['id']!r} is not an IGSID (a string of digits)")

    messaging_type = body.get("messaging_type")
    tag = body.get("tag")
    if messaging_type not in MESSAGING_TYPES:
        problems.append(f"messaging_type {messaging_type!r} is not one of {', '.join(sorted(MESSAGING_TYPES))}")
    if messaging_type == "MESSAGE_TAG" and tag not in TAGS:
        problems.append(f"tag {tag!r}: MESSAGE_TAG needs a tag Instagram takes ({', '.join(sorted(TAGS))})")
    if messaging_type != "MESSAGE_TAG" and "tag" in body:
        problems.append(f"tag {tag!r} without messaging_type MESSAGE_TAG")

    message = body.get("message")
    if not isinstance(message, dict):
        return problems + ["message must be an object with text"]
    problems += [f"unknown field message.{name!r}" for name in message if name not in MESSAGE_FIELDS]
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append("message.text is missing or empty")
    elif len(text.encode()) > MAX_TEXT_BYTES:
        problems.append(f"message.text is {len(text.encode())} bytes of UTF-8; Meta takes at most {MAX_TEXT_BYTES}")
    if "quick_replies" in message:
        problems += _quick_reply_problems(message["quick_replies"])
    return problems


def _quick_reply_problems(replies: Any) -> list[str]:
    if not isinstance(replies, list) or not replies:
        return ["message.quick_replies must be a list of 1 to 13 quick replies"]
    problems = []
    if len(replies) > MAX_QUICK_REPLIES:
        problems.append(f"{len(replies)} quick replies; Meta takes at most {MAX_QUICK_REPLIES}")
    for number, reply in enumerate(replies):
        where = f"message.quick_replies[{number}]"
        if not isinstance(reply, dict):
            problems.append(f"{where} is not an object")
            continue
        problems += [f"unknown field {where}.{name!r}" for name in reply if name not in QUICK_REPLY_FIELDS]
        if reply.get("content_type") != "text":
            problems.append(f"{where}.content_type {reply.get('content_type')!r}: only 'text' is sent")
        title = reply.get("title")
        if not isinstance(title, str) or not 1 <= len(title) <= MAX_TITLE_CHARS:
            problems.append(f"{where}.title {title!r} must be 1 to {MAX_TITLE_CHARS} characters (Meta would cut it)")
        payload = reply.get("payload")
        if not isinstance(payload, str) or not 1 <= len(payload) <= MAX_PAYLOAD_CHARS:
            problems.append(f"{where}.payload must be 1 to {MAX_PAYLOAD_CHARS} characters")
    return problems


def _json(payload: dict, status: int) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False), status=status, content_type="application/json; charset=UTF-8")
