"""A stand-in for Twilio's REST API: real HTTP, checked against Twilio's own OpenAPI spec.

``TwilioStandin`` serves the three Message operations the bot uses on 127.0.0.1::

    POST /2010-04-01/Accounts/{AccountSid}/Messages.json        CreateMessage
    GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json  FetchMessage
    GET  /2010-04-01/Accounts/{AccountSid}/Messages.json        ListMessage

Point twilio's own client at it with ``client.api.base_url = standin.url`` (every
``client.messages`` / ``client.api.v2010`` call goes through that Domain's base_url).

Every request is checked, in Twilio's order, and anything wrong is appended to
``.violations`` so a test can ``assert standin.violations == []``:

1. HTTP Basic auth ``account_sid:auth_token`` -> else 401 with code 20003, as Twilio answers.
2. openapi-core against ``twilio_api_v2010.json`` (path, method, path/query parameters,
   Content-Type, form fields and their types, patterns and formats) -> else 422 with a JSON
   explanation, like ``prism proxy --errors=true``. Stricter than the spec in one way: a form
   field or query parameter that the operation does not declare is a violation too (Twilio
   silently ignores it, which would hide a typo such as ``StatusCallBack``).
3. What Twilio enforces and the spec does not say (the AccountSid in the path is the
   authenticated account; ``To``; ``From`` or ``MessagingServiceSid``; ``Body``, ``MediaUrl`` or
   ``ContentSid``; ``To`` is a phone number; callback and media URLs; 1600 characters) -> Twilio's
   real error response (400 with 21604/21603/21602/21211/21609/21620/21617, 401 with 20003).

The spec is the repository's own copy, ``contracts/twilio_api_v2010.json`` (MIT, from
twilio/twilio-oai, licence beside it), or wherever ``TWILIO_OPENAPI_SPEC`` points; it is parsed
once per process.
"""
from __future__ import annotations

import copy
import functools
import hmac
import json
import math
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from .local_server import DROP, ProviderStandin

__all__ = [
    "SPEC_ENV",
    "TwilioSpec",
    "TwilioStandin",
    "find_spec_path",
    "load_spec",
    "new_sid",
    "sms_segments",
    "twilio_error",
]

SPEC_ENV = "TWILIO_OPENAPI_SPEC"
SPEC_PATH = Path(__file__).resolve().parents[2] / "contracts" / "twilio_api_v2010.json"
SPEC_SERVER = "https://api.twilio.com"  # the spec's (path-level) server; requests are validated as if sent there
API_VERSION = "2010-04-01"

MESSAGES_LIST = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
MESSAGE_INSTANCE = "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json"
_ROUTES = [
    ("POST", re.compile(r"^/2010-04-01/Accounts/(?P<AccountSid>[^/]+)/Messages\.json$"), MESSAGES_LIST, "create"),
    ("GET", re.compile(r"^/2010-04-01/Accounts/(?P<AccountSid>[^/]+)/Messages\.json$"), MESSAGES_LIST, "list"),
    ("GET", re.compile(r"^/2010-04-01/Accounts/(?P<AccountSid>[^/]+)/Messages/(?P<Sid>[^/]+)\.json$"), MESSAGE_INSTANCE, "fetch"),
]
RECORDED_HEADERS = ("Content-Type", "Accept", "Accept-Charset", "User-Agent", "X-Twilio-Client", "Idempotency-Key")
DEFAULT_PAGE_SIZE = 50
MAX_BODY_CHARS = 1600

# Twilio's messages for the error codes a sender meets; ``{to}``/``{path}``/``{url}`` are filled in.
ERROR_MESSAGES = {
    20003: "Authenticate",
    20404: "The requested resource {path} was not found",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
    21211: "The 'To' number {to} is not a valid phone number.",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {to}.",
    21602: "Message body is required.",
    21603: "A 'From' or 'MessagingServiceSid' parameter is required to send a message.",
    21604: "A 'To' phone number is required.",
    21609: "The StatusCallback URL {url} is not a valid URL.",
    21610: "Attempt to send to unsubscribed recipient",
    21612: "The 'To' phone number: {to}, is not currently reachable using the 'From' phone number via SMS.",
    21614: "'To' number is not a valid mobile number",
    21617: "The concatenated message body exceeds the 1600 character limit.",
    21620: "Invalid media URL(s).",
}

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
CHANNEL_ADDRESS = re.compile(r"^[a-z][a-z0-9-]*:\S+$")  # whatsapp:+45..., messenger:..., rcs:...
SHORT_CODE = re.compile(r"^\d{3,8}$")
ALPHANUMERIC_SENDER_ID = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")


def new_sid(prefix: str = "SM") -> str:
    """A Twilio SID: two letters and 32 hex digits."""
    return prefix + uuid.uuid4().hex


def sms_segments(body: str) -> int:
    """How many SMS segments Twilio bills for ``body`` (GSM-7 160/153, else UCS-2 70/67)."""
    if all(char in GSM7_BASIC or char in GSM7_EXTENDED for char in body):
        units = sum(2 if char in GSM7_EXTENDED else 1 for char in body)
        single, multi = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2  # an emoji is two UTF-16 code units
        single, multi = 70, 67
    return 1 if units <= single else math.ceil(units / multi)


def twilio_error(status: int, code: int | None, message: str | None = None, **fill: str) -> dict:
    """Twilio's error JSON: ``{"code", "message", "more_info", "status"}``."""
    if message is None:
        template = ERROR_MESSAGES.get(code) if code is not None else None
        message = template.format_map(_Blank(fill)) if template else HTTPStatus(status).phrase
    more_info = f"https://www.twilio.com/docs/errors/{code}" if code is not None else "https://www.twilio.com/docs/errors"
    return {"code": code, "message": message, "more_info": more_info, "status": status}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


# ---------------------------------------------------------------------------------------------
# The spec, loaded once per process


def find_spec_path() -> Path:
    """``$TWILIO_OPENAPI_SPEC``, else the repository's ``contracts/twilio_api_v2010.json``."""
    override = os.environ.get(SPEC_ENV)
    if override:
        path = Path(override).expanduser()
        if path.is_file():
            return path.resolve()
        raise FileNotFoundError(f"{SPEC_ENV}={override!r}, but there is no file there")
    if SPEC_PATH.is_file():
        return SPEC_PATH
    raise FileNotFoundError(
        f"Twilio's OpenAPI spec is missing from the repository: looked at {SPEC_PATH}. "
        f"Restore it from git, or set {SPEC_ENV} to its path."
    )


def _is_phone_number(value: Any) -> bool:
    """Twilio's ``phone-number`` format: E.164, a short code, an alphanumeric sender ID or a channel address."""
    if not isinstance(value, str):
        return True
    return bool(
        E164.match(value) or CHANNEL_ADDRESS.match(value) or SHORT_CODE.match(value) or ALPHANUMERIC_SENDER_ID.match(value)
    )


def _is_uri(value: Any) -> bool:
    """An absolute URI, or (as Twilio's own responses use for ``format: uri``) an absolute path."""
    if not isinstance(value, str):
        return True
    if not value or any(char.isspace() for char in value):
        return False
    if value.startswith("/"):
        return True
    try:
        parts = urlsplit(value)
        hostname = parts.hostname
    except ValueError:
        return False
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*$", parts.scheme):
        return False
    return parts.scheme.lower() not in ("http", "https") or bool(hostname)


def _is_public_url(value: str) -> bool:
    """What Twilio accepts for StatusCallback and MediaUrl: http(s), a hostname, no underscores in it."""
    try:
        parts = urlsplit(value)
        hostname = parts.hostname
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(hostname) and "_" not in hostname and not any(c.isspace() for c in value)


FORMAT_VALIDATORS = {"phone-number": _is_phone_number, "uri": _is_uri}


@dataclass
class TwilioSpec:
    """Twilio's API spec: the raw document and an openapi-core ``OpenAPI`` built from it."""

    path: Path
    raw: dict
    openapi: Any
    load_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def operation(self, template: str, method: str) -> dict:
        return self._resolve(self.raw["paths"][template][method.lower()])

    def query_parameters(self, template: str, method: str) -> set[str]:
        declared = self.raw["paths"][template].get("parameters", []) + self.operation(template, method).get("parameters", [])
        return {self._resolve(p)["name"] for p in declared if self._resolve(p)["in"] == "query"}

    def form_fields(self, template: str, method: str) -> set[str]:
        body = self._resolve(self.operation(template, method).get("requestBody", {}))
        content = body.get("content", {}).get("application/x-www-form-urlencoded")
        if not content:
            return set()
        return set(self._resolve(content["schema"]).get("properties", {}))

    def _resolve(self, node: dict) -> dict:
        while isinstance(node, dict) and "$ref" in node:
            target: Any = self.raw
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def request_errors(self, request: Request) -> list[str]:
        """Readable problems openapi-core finds in ``request`` (empty: it matches the spec)."""
        spec_request = _spec_request(request)
        with self._lock:  # openapi-core fills caches lazily; one request at a time keeps that safe
            errors = list(self.openapi.iter_request_errors(spec_request))
        form = request.form if request.mimetype == "application/x-www-form-urlencoded" else MultiDict()
        problems: list[str] = []
        for error in errors:
            problems.extend(_describe(error, form))
        return problems

    def response_errors(self, request: Request, response: Response) -> list[str]:
        from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse

        with self._lock:
            errors = list(self.openapi.iter_response_errors(_spec_request(request), WerkzeugOpenAPIResponse(response)))
        problems: list[str] = []
        for error in errors:
            problems.extend(_describe(error, MultiDict()))
        return problems


_specs: dict[Path, TwilioSpec] = {}
_specs_lock = threading.Lock()


def load_spec(path: str | Path | None = None) -> TwilioSpec:
    """Twilio's spec, parsed on first use and cached for the rest of the process."""
    path = Path(path).resolve() if path is not None else find_spec_path()
    with _specs_lock:
        cached = _specs.get(path)
        if cached is not None:
            return cached
        started = time.perf_counter()
        from openapi_core import Config, OpenAPI

        with path.open("rb") as handle:
            raw = json.load(handle)
        # Checking the whole document with openapi-spec-validator costs 1-1.5 s and tells us nothing
        # per test: the file is Twilio's published spec. Request/response validation is unaffected.
        openapi = OpenAPI.from_dict(
            raw,
            config=Config(spec_validator_cls=None, extra_format_validators=FORMAT_VALIDATORS),
        )
        spec = TwilioSpec(path=path, raw=raw, openapi=openapi)
        # Warm openapi-core's lazily built validators and reference caches on the operations we serve.
        _warm_up(spec)
        spec.load_seconds = time.perf_counter() - started
        _specs[path] = spec
        return spec


def _warm_up(spec: TwilioSpec) -> None:
    from werkzeug.test import EnvironBuilder

    account = "AC" + "0" * 32
    for method, path, data in [
        ("POST", f"/2010-04-01/Accounts/{account}/Messages.json", {"To": "+4500000000", "From": "+4500000001", "Body": "x"}),
        ("GET", f"/2010-04-01/Accounts/{account}/Messages/SM{'0' * 32}.json", None),
        ("GET", f"/2010-04-01/Accounts/{account}/Messages.json", None),
    ]:
        environ = EnvironBuilder(path=path, method=method, data=data, headers={"Authorization": "Basic eDp5"}).get_environ()
        spec.request_errors(Request(environ))


@functools.cache
def _spec_request_class() -> type:
    from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest

    class SpecRequest(WerkzeugOpenAPIRequest):
        @property
        def host_url(self) -> str:
            # The spec's only server is https://api.twilio.com and openapi-core finds the path by
            # matching the full URL against servers: validate as if the request had been sent there.
            return SPEC_SERVER

    return SpecRequest


def _spec_request(request: Request):
    return _spec_request_class()(request)


def _describe(error: BaseException, form: MultiDict) -> list[str]:
    """Turn an openapi-core error into readable sentences."""
    from openapi_core.casting.schemas.exceptions import CastError
    from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
    from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound, ServerNotFound
    from openapi_core.validation.request.exceptions import (
        MissingRequiredParameter,
        ParameterValidationError,
        RequestBodyValidationError,
        SecurityValidationError,
    )
    from openapi_core.validation.schemas.exceptions import InvalidSchemaValue

    cause = error.__cause__
    if isinstance(error, OperationNotFound):
        return [f"Twilio's spec has no {error.method.upper()} operation on this path"]
    if isinstance(error, (PathNotFound, ServerNotFound)):
        return ["no such path in Twilio's API spec"]
    if isinstance(error, SecurityValidationError):
        return ["no HTTP Basic credentials (the spec requires accountSid_authToken)"]
    if isinstance(error, MissingRequiredParameter):
        return [f"{error.location} parameter {error.name!r} is required but missing"]
    if isinstance(error, ParameterValidationError):
        where = f"{error.location} parameter {error.name!r}"
        if isinstance(cause, InvalidSchemaValue):
            return [f"{where}: {_schema_message(e)}" for e in cause.schema_errors]
        if isinstance(cause, CastError):
            return [f"{where}: {cause.value!r} is not a valid {cause.type}"]
        return [f"{where}: {cause or error}"]
    if isinstance(error, RequestBodyValidationError):
        if isinstance(cause, InvalidSchemaValue):
            out = []
            for schema_error in cause.schema_errors:
                names = [str(part) for part in schema_error.absolute_path]
                where = f"form field {names[0]!r}" if names else "form body"
                out.append(f"{where}: {_schema_message(schema_error)}")
            return out
        if isinstance(cause, CastError):
            fields = [name for name, values in form.lists() if cause.value in values or cause.value == values]
            where = f"form field {fields[0]!r}" if fields else "form body"
            return [f"{where}: {cause.value!r} is not a valid {cause.type}"]
        if isinstance(cause, MediaTypeNotFound):
            return [
                f"Content-Type {cause.mimetype!r} is not accepted here; the spec allows {', '.join(cause.availableMimetypes)}"
            ]
        return [f"request body: {cause or error}"]
    return [f"{type(error).__name__}: {error}" + (f" ({cause})" if cause else "")]


def _schema_message(schema_error: Any) -> str:
    message = schema_error.message
    if getattr(schema_error, "validator", None) == "format" and schema_error.validator_value == "phone-number":
        message += " (E.164 such as +4512345678, a short code, an alphanumeric sender ID or a channel address)"
    return message


# ---------------------------------------------------------------------------------------------
# The server


@dataclass
class _Failure:
    status: int
    code: int | None
    message: str | None


class TwilioStandin(ProviderStandin):
    """Twilio's Messages API on 127.0.0.1, validating every request against Twilio's OpenAPI spec.

    Records (all snapshots, safe to keep):
      ``requests``   every request received, rejected ones too: dicts with ``method``, ``path``,
                     ``query``, ``form`` (a value is a ``str``, or a ``list`` when the field repeats),
                     ``headers`` (a few), ``auth_user``, ``status`` (what was answered; None when the
                     connection was dropped),
                     ``violations`` and ``validation_ms``.
      ``messages``   the Message resources created, in order (the JSON Twilio answered with).
      ``violations`` readable problems with requests, across all requests.
    """

    def __init__(self, account_sid: str, auth_token: str, *, spec_path: str | Path | None = None):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._spec_path = spec_path
        self.spec: TwilioSpec | None = None
        super().__init__(name="Twilio stand-in")

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> TwilioStandin:
        if self._server is None:
            self.spec = load_spec(self._spec_path)
        return super().start()

    # -- what happened --------------------------------------------------------------------------

    def sent_bodies_to(self, number: str) -> list[str]:
        with self._lock:
            return [message["body"] for message in self._messages if message["to"] == number]

    def message(self, sid: str) -> dict | None:
        with self._lock:
            found = self._find(sid)
            return copy.deepcopy(found) if found else None

    def set_status(self, sid: str, status: str, error_code: int | None = None, error_message: str | None = None) -> dict:
        """Move a created message on (``sent``, ``delivered``, ``undelivered`` ...) as fetch/list will show it."""
        with self._lock:
            found = self._find(sid)
            if found is None:
                raise KeyError(f"no message {sid} was created")
            found["status"] = status
            found["error_code"] = error_code
            found["error_message"] = error_message
            found["date_updated"] = format_datetime(_now())
            return copy.deepcopy(found)

    # -- scripting ------------------------------------------------------------------------------

    def fail_next(self, status: int, code: int | None = None, message: str | None = None, times: int = 1) -> None:
        """Answer the next ``times`` valid create calls with Twilio's error JSON instead of sending.

        ``message`` defaults to Twilio's text for ``code`` (or the HTTP reason when ``code`` is None).
        """
        self._faults.fail(_Failure(status, code, message), times)

    # -- HTTP -----------------------------------------------------------------------------------

    def _crashed(self) -> Response:
        return _json(twilio_error(500, 20500), 500)

    def _handle(self, request: Request):
        request.get_data(cache=True)  # keep the raw body for openapi-core after form parsing
        is_form = request.mimetype == "application/x-www-form-urlencoded"
        auth = request.authorization
        record = {
            "method": request.method,
            "path": request.path,
            "query": _flat(request.args),
            "form": _flat(request.form) if is_form else {},
            "headers": {name: request.headers[name] for name in RECORDED_HEADERS if name in request.headers},
            "auth_user": auth.username if auth is not None and auth.type == "basic" else None,
            "status": None,
            "violations": [],
            "validation_ms": None,
        }
        with self._lock:
            self._requests.append(record)
        response = self._respond(request, record, is_form)
        with self._lock:
            record["status"] = response.status_code if isinstance(response, Response) else None
        return response

    def _respond(self, request: Request, record: dict, is_form: bool):
        where = f"{request.method} {request.path}"

        # 1. Twilio authenticates before anything else.
        auth = request.authorization
        if auth is None or auth.type != "basic":
            self._violate(record, f"{where}: no HTTP Basic credentials")
            return _unauthorised()
        if not (_same(auth.username, self.account_sid) and _same(auth.password or "", self.auth_token)):
            self._violate(record, f"{where}: wrong credentials (user {auth.username!r})")
            return _unauthorised()

        # 2. Twilio's OpenAPI spec, plus: no parameters the operation does not declare.
        assert self.spec is not None
        started = time.perf_counter()
        problems = self.spec.request_errors(request)
        with self._lock:
            record["validation_ms"] = round((time.perf_counter() - started) * 1000, 2)
        for method, pattern, route_template, route_operation in _ROUTES:
            match = pattern.match(request.path)
            if method == request.method and match:
                template, operation = route_template, route_operation  # the route found, used below
                break
        else:
            match = None
        if match is not None:
            declared = self.spec.query_parameters(template, request.method)
            problems += [_undeclared(f"query parameter {name!r}") for name in request.args if name not in declared]
            if is_form:
                declared = self.spec.form_fields(template, request.method)
                problems += [_undeclared(f"form field {name!r}") for name in request.form if name not in declared]
        if problems:
            return self._spec_violation(record, where, problems)
        if match is None:
            self._violate(record, f"{where}: valid per Twilio's spec, but the Twilio stand-in does not implement it")
            return _json(twilio_error(501, None, "Not implemented by the Twilio stand-in"), 501)

        # 3. What Twilio enforces beyond the spec.
        if match["AccountSid"] != self.account_sid:
            self._violate(record, f"{where}: AccountSid {match['AccountSid']} in the path is not the authenticated account {self.account_sid}")
            return _unauthorised()

        if operation == "create":
            return self._create(request, record, where)
        if operation == "fetch":
            return self._fetch(request, record, match["Sid"])
        return self._list(request, record)

    def _create(self, request: Request, record: dict, where: str):
        form = request.form
        to = form.get("To", "")
        media = form.getlist("MediaUrl")
        refusal = None
        if not to:
            refusal = (21604, {})
        elif not (form.get("From") or form.get("MessagingServiceSid")):
            refusal = (21603, {})
        elif not (form.get("Body") or media or form.get("ContentSid")):
            refusal = (21602, {})
        elif not (E164.match(to) or CHANNEL_ADDRESS.match(to)):
            refusal = (21211, {"to": to})
        elif form.get("StatusCallback") and not _is_public_url(form["StatusCallback"]):
            refusal = (21609, {"url": form["StatusCallback"]})
        elif any(not _is_public_url(url) for url in media):
            refusal = (21620, {})
        elif len(form.get("Body", "")) > MAX_BODY_CHARS:
            refusal = (21617, {})
        if refusal is not None:
            code, fill = refusal
            error = twilio_error(400, code, **fill)
            self._violate(record, f"{where}: Twilio would refuse this with {code}: {error['message']}")
            return _json(error, 400)

        failure, drop = self._faults.take()
        if failure is not None:
            error = twilio_error(failure.status, failure.code, failure.message, to=to, path=request.path)
            return _json(error, failure.status)

        message = self._new_message(form)
        with self._lock:
            self._messages.append(message)
        if drop:
            return DROP
        return self._checked(request, record, _json(message, 201))

    def _new_message(self, form: MultiDict) -> dict:
        now = format_datetime(_now())
        media = form.getlist("MediaUrl")
        sid = new_sid("MM" if media else "SM")
        body = form.get("Body", "")
        sender = form.get("From") or None
        service = form.get("MessagingServiceSid") or None
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": now,
            "date_sent": now,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender,
            "messaging_service_sid": service,
            "num_media": str(len(media)),
            "num_segments": str(sms_segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if service and not sender else "queued",
            "subresource_uris": {"media": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}/Media.json"},
            "to": form["To"],
            "uri": uri,
        }

    def _fetch(self, request: Request, record: dict, sid: str):
        with self._lock:
            found = copy.deepcopy(self._find(sid))
        if found is None:
            return _json(twilio_error(404, 20404, path=request.path), 404)
        return self._checked(request, record, _json(found, 200))

    def _list(self, request: Request, record: dict):
        query = request.args
        page_size = int(query.get("PageSize", DEFAULT_PAGE_SIZE))
        page = int(query.get("Page", 0))
        with self._lock:
            newest_first = copy.deepcopy(self._messages[::-1])
        chosen = [m for m in newest_first if _matches(m, query)]
        start = page * page_size
        chunk = chosen[start : start + page_size]
        filters = [(name, query[name]) for name in ("To", "From", "DateSent", "DateSent<", "DateSent>") if name in query]

        def page_uri(number: int) -> str:
            params = [*filters, ("PageSize", page_size), ("Page", number)]
            if number > 0:
                params.append(("PageToken", "PA" + chosen[number * page_size - 1]["sid"]))
            return f"{request.path}?{urlencode(params)}"

        payload = {
            "end": start + max(len(chunk) - 1, 0),
            "first_page_uri": page_uri(0),
            "messages": chunk,
            "next_page_uri": page_uri(page + 1) if start + page_size < len(chosen) else None,
            "page": page,
            "page_size": page_size,
            "previous_page_uri": page_uri(page - 1) if page > 0 and (page - 1) * page_size < len(chosen) else None,
            "start": start,
            "uri": page_uri(page),
        }
        return self._checked(request, record, _json(payload, 200))

    # -- helpers --------------------------------------------------------------------------------

    def _checked(self, request: Request, record: dict, response: Response) -> Response:
        """The stand-in's own answers must match the spec too: a mismatch is a bug here."""
        assert self.spec is not None
        for problem in self.spec.response_errors(request, response):
            self._violate(record, f"{request.method} {request.path}: the Twilio stand-in's response breaks the spec: {problem}")
        return response

    def _spec_violation(self, record: dict, where: str, problems: list[str]) -> Response:
        for problem in problems:
            self._violate(record, f"{where}: {problem}")
        payload = {
            "code": None,
            "message": "The request does not match Twilio's OpenAPI spec: " + "; ".join(problems),
            "more_info": "https://github.com/twilio/twilio-oai",
            "status": 422,
            "details": {"violations": problems, "spec": self.spec.path.name if self.spec else None},
        }
        return _json(payload, 422)

    def _find(self, sid: str) -> dict | None:
        return next((message for message in self._messages if message["sid"] == sid), None)


def _undeclared(what: str) -> str:
    return f"{what} is not declared for this operation in Twilio's spec (Twilio would silently ignore it)"


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _flat(values: MultiDict) -> dict:
    return {name: items[0] if len(items) == 1 else list(items) for name, items in values.lists()}


def _json(payload: dict, status: int) -> Response:
    response = Response(json.dumps(payload, ensure_ascii=False), status=status, content_type="application/json; charset=utf-8")
    response.headers["Twilio-Request-Id"] = new_sid("RQ")
    return response


def _unauthorised() -> Response:
    response = _json(twilio_error(401, 20003), 401)
    response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
    return response


def _day(value: str) -> date:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return date.fromisoformat(value[:10])
    return (moment.astimezone(UTC) if moment.tzinfo else moment).date()


def _matches(message: dict, query: MultiDict) -> bool:
    if "To" in query and message["to"] != query["To"]:
        return False
    if "From" in query and message["from"] != query["From"]:
        return False
    date_filters = [name for name in ("DateSent", "DateSent<", "DateSent>") if name in query]
    if date_filters:
        if not message["date_sent"]:
            return False
        sent = parsedate_to_datetime(message["date_sent"]).astimezone(UTC).date()
        for name in date_filters:
            day = _day(query[name])
            # Twilio compares whole days: DateSent<=day and DateSent>=day, inclusive.
            if (name == "DateSent" and sent != day) or (name == "DateSent<" and sent > day) or (name == "DateSent>" and sent < day):
                return False
    return True
