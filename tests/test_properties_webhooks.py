"""Property tests for what comes in from outside: Twilio's SMS webhooks, Instagram's webhook and
the web chat's API, fed arbitrary (hypothesis) fields and JSON.

The rule they check: a signed request is answered 200 or 4xx, never 5xx; a message that is
answered 200 is stored exactly once, whatever is in it (NUL characters are the one thing the app
drops), and a replay stores nothing more; an unsigned or forged request is refused (403) and
stores nothing. Each property runs on a bounded, derandomised set of examples so CI stays
deterministic and fast.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.core import textmatch
from bot.domain.cases.intake import opening_words
from bot.flows.counselling import DELETE_WORDS
from bot.storage.models import DeliveryReport, InboundMessage
from bot.web import create_app

from conftest import AUTH_TOKEN, META_ACCOUNT, META_APP_SECRET, PUBLIC_BASE_URL, SERVER_DATABASE, SHIPPED_FLOWS
from support.signing import inbound_sms_params, status_callback_params, twilio_signature

SMS_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"
INSTAGRAM_PATH = "/webhooks/instagram"
YOUNG_PERSON = "+4520112233"
OUR_NUMBER = "+4570000001"
INSTAGRAM_SENDER = "6543210987654321"

# Function-scoped fixtures (the runtime, its database) are shared by a test's examples on
# purpose: each example uses message ids of its own, so rows never need cleaning in between.
bounded = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
# The properties run on production's database, the stricter one (it refuses NUL in text, and
# text longer than its column); the plain tests below run on each.
on_the_server_database = pytest.mark.parametrize("database_url", [SERVER_DATABASE], indirect=True)


def goes_to_a_case(text: str) -> bool:
    """RÅD, SLET and their typos make a message an anonymous case's, stored apart from the inbox."""
    return opening_words(text) is not None or any(textmatch.is_exactly(text, word) for word in DELETE_WORDS)


# -- what people and providers send ---------------------------------------------------------------


def mostly(right, wrong):
    """``right`` three times in four: the properties need accepted requests as much as refused ones."""
    return st.sampled_from([right, right, right, wrong]).flatmap(lambda picked: picked)


# Everything a phone can put in a text: control characters, NUL, zero-width and bidi marks, æøå, emoji.
TRICKY_CHARACTERS = st.sampled_from("aæøåÆØÅ ?!\x00\x01\x07\x1b\x7f\t\r\n\u00a0\u200b\u200d\u202e\ufeff😀🙏👍🏽🏳️‍🌈")
TEXTS = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=TRICKY_CHARACTERS | st.characters(codec="utf-8"), max_size=200),
    # Long texts around and past the 1600 characters an SMS webhook takes.
    st.builds(
        lambda unit, times: unit * times,
        st.text(alphabet=TRICKY_CHARACTERS | st.characters(codec="utf-8"), min_size=1, max_size=8),
        st.integers(150, 450),
    ),
)
FIELD_NAMES = st.from_regex(r"[A-Z][A-Za-z0-9]{0,20}", fullmatch=True)
PHONE_NUMBERS = mostly(
    st.sampled_from([YOUNG_PERSON, "20 11 22 33", "004520112233", "+46701234567", "+1 415 555 0100", "+4520112233\x00"])
    | st.from_regex(r"\+452[0-9]{7}", fullmatch=True),
    st.sampled_from(["", "+", "abc", "+45"]) | st.from_regex(r"\+?[0-9 ]{0,20}", fullmatch=True) | st.text(max_size=30),
)


class Fresh:
    """Stands for "an id no earlier request used": drawn as a marker, made by a counter, so a
    stored row always belongs to one example."""


FRESH = Fresh()
_ids = itertools.count(1)


def fresh_sid() -> str:
    return f"SM{next(_ids):032x}"


def fresh_instagram_id() -> str:
    return f"{next(_ids) + 10**15}"


MESSAGE_SIDS = mostly(st.just(FRESH), st.sampled_from(["SM" + "0" * 32 + "\n", "SM" + "0" * 31, "sm" + "0" * 32]) | st.text(max_size=40))


@st.composite
def sms_requests(draw):
    """Form fields Twilio might POST: a FRESH marker stands for a new MessageSid, None for a field left out."""
    body = draw(mostly(TEXTS, st.none()))
    params = inbound_sms_params(YOUNG_PERSON, OUR_NUMBER, body or "")
    params.update(draw(st.dictionaries(FIELD_NAMES, st.text(max_size=50), max_size=4)))
    params["Body"] = body
    params["MessageSid"] = draw(mostly(MESSAGE_SIDS, st.none()))
    params["From"] = draw(mostly(PHONE_NUMBERS, st.none()))
    params["To"] = draw(mostly(st.sampled_from([OUR_NUMBER, "+4570000002"]), st.none() | st.text(max_size=20)))
    return params


FORGERIES = st.sampled_from(["missing", "empty", "garbage", "another token", "another url", "tampered", "field added"])


def forged_headers_and_fields(forgery: str, params: dict) -> tuple[dict, dict]:
    signature = twilio_signature(AUTH_TOKEN, PUBLIC_BASE_URL + SMS_PATH, params)
    if forgery == "missing":
        return {}, params
    if forgery == "empty":
        return {"X-Twilio-Signature": ""}, params
    if forgery == "garbage":
        return {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}, params
    if forgery == "another token":
        return {"X-Twilio-Signature": twilio_signature("someone-elses-token", PUBLIC_BASE_URL + SMS_PATH, params)}, params
    if forgery == "another url":
        return {"X-Twilio-Signature": twilio_signature(AUTH_TOKEN, "http://localhost" + SMS_PATH, params)}, params
    if forgery == "tampered":
        return {"X-Twilio-Signature": signature}, {**params, "Body": params.get("Body", "") + "!"}
    return {"X-Twilio-Signature": signature}, {**params, "Forged": "yes"}


def post_signed(client, path: str, params: dict):
    signature = twilio_signature(AUTH_TOKEN, PUBLIC_BASE_URL + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def inbound_bodies(runtime, channel: str, provider_id: str) -> list[str]:
    with runtime.db.session() as session:
        return list(session.scalars(select(InboundMessage.body).where(InboundMessage.channel == channel, InboundMessage.provider_id == provider_id)))


# -- Twilio ---------------------------------------------------------------------------------------


@on_the_server_database
@bounded
@given(drawn=sms_requests(), forgery=FORGERIES)
def test_a_signed_sms_is_stored_once_or_refused_with_4xx_and_a_forged_one_is_refused(runtime, drawn, forgery):
    assume(not goes_to_a_case(drawn["Body"] or ""))
    client = create_app(runtime).test_client()
    params = {name: fresh_sid() if value is FRESH else value for name, value in drawn.items() if value is not None}
    sid = params.get("MessageSid", "")

    headers, sent = forged_headers_and_fields(forgery, params)
    forged = client.post(SMS_PATH, data=sent, headers=headers)
    assert forged.status_code == 403, forged.get_data(as_text=True)
    assert inbound_bodies(runtime, "sms", sid) == []

    response = post_signed(client, SMS_PATH, params)
    event(f"answered {response.status_code}")
    assert response.status_code == 200 or 400 <= response.status_code < 500, response.get_data(as_text=True)
    replay = post_signed(client, SMS_PATH, params)
    assert replay.status_code == response.status_code, "Twilio's retry is answered as the first delivery was"
    stored = inbound_bodies(runtime, "sms", sid)
    if response.status_code == 200:
        assert stored == [params.get("Body", "").replace("\x00", "")]
    else:
        assert stored == []


@on_the_server_database
@bounded
@given(
    sid=mostly(st.sampled_from(["SM" + "1" * 32, "MM" + "a" * 32]), st.sampled_from(["SM" + "1" * 32 + "\n"]) | st.text(max_size=40)),
    status=mostly(st.sampled_from(["sent", "delivered", "undelivered", "failed", "queued", "DELIVERED "]), st.text(max_size=20)),
    error_code=mostly(st.sampled_from([None, "30008", "21610", ""]), st.sampled_from(["٣", "²", "1" * 40, "-1"]) | st.text(max_size=40)),
    extra=st.dictionaries(FIELD_NAMES, st.text(max_size=50), max_size=4),
    leave_out=mostly(st.just(set()), st.sets(st.sampled_from(["MessageSid", "MessageStatus", "ErrorCode"]))),
)
def test_status_callbacks_never_get_a_5xx(runtime, sid, status, error_code, extra, leave_out):
    client = create_app(runtime).test_client()
    params = {**status_callback_params(sid, status, error_code), **extra}
    for name in leave_out:
        params.pop(name, None)
    reports = delivery_reports(runtime)
    assert client.post(STATUS_PATH, data=params).status_code == 403
    assert delivery_reports(runtime) == reports, "an unsigned callback records nothing"
    response = post_signed(client, STATUS_PATH, params)
    event(f"answered {response.status_code}")
    assert response.status_code in (204, *range(400, 500)), response.get_data(as_text=True)


def delivery_reports(runtime) -> int:
    with runtime.db.session() as session:
        return session.scalar(select(func.count()).select_from(DeliveryReport))


# -- Instagram ------------------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
# Any JSON in any field: the right value mostly, so that the fields after it are read too.
IDS = mostly(st.sampled_from([META_ACCOUNT, INSTAGRAM_SENDER]), st.sampled_from(["9" * 26, INSTAGRAM_SENDER + "\n", int(INSTAGRAM_SENDER)]) | JSON)


def anything_or(*right):
    return mostly(st.sampled_from(right), JSON)


MESSAGES = st.fixed_dictionaries(
    {
        "mid": anything_or("mid.1", "m" * 300, "mid.\x00"),
        "text": anything_or("hej æøå 💜", " ", "x" * 1200, "RÅD hjælp\x00", 42),
    },
    optional={
        "attachments": anything_or([{"type": "image", "payload": {"url": "https://x.example/p.jpg"}}], {"type": "image"}, [1, "a"], [{"type": 5}]),
        "quick_reply": anything_or({"payload": "ja"}, {"payload": 1}, "ja"),
        "is_echo": anything_or(True, "yes"),
        "is_deleted": anything_or(True),
    },
)
MESSAGING_ITEMS = st.fixed_dictionaries(
    {
        "sender": anything_or({"id": INSTAGRAM_SENDER}, {"id": 6543210987654321}, {"id": INSTAGRAM_SENDER + "\n"}, {"id": "9" * 400}, {}),
        "message": mostly(MESSAGES, MESSAGES.map(lambda message: {key: value for key, value in message.items() if key != "mid"}) | JSON),
    },
    optional={
        "recipient": anything_or({"id": META_ACCOUNT}),
        "timestamp": anything_or(1764500000000, "yesterday"),
        "postback": anything_or({"mid": "mid.p", "payload": "RÅD"}, {"payload": {"x": 1}}),
        "read": anything_or({"mid": "mid.1"}),
    },
)
ENTRIES = st.fixed_dictionaries(
    {"id": IDS, "messaging": mostly(st.lists(mostly(MESSAGING_ITEMS, JSON), max_size=3), JSON)},
    optional={"time": anything_or(1764500000000)},
)
INSTAGRAM_EVENTS = st.fixed_dictionaries({"object": mostly(st.just("instagram"), st.just("page") | JSON), "entry": mostly(st.lists(ENTRIES, max_size=3), JSON)})


def meta_signed(raw: bytes, secret: str = META_APP_SECRET) -> dict:
    return {"X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest(), "Content-Type": "application/json"}


def as_meta_sends(payload) -> bytes:
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode()


@pytest.fixture
def instagram_runtime(runtime_factory, tmp_path):
    """The shipped flows with one of the accounts an Instagram profile of the Wednesday group."""
    directory = tmp_path / "flows"
    shutil.copytree(SHIPPED_FLOWS, directory, ignore=shutil.ignore_patterns("tests"))
    with (directory / "onsdag.yaml").open("a", encoding="utf-8") as file:
        file.write(f'  instagram: "{META_ACCOUNT}"\n')
    return runtime_factory(flows_dir=directory, quiet_hours="off")


def assert_never_5xx_and_refused_unsigned(client, raw: bytes):
    assert client.post(INSTAGRAM_PATH, data=raw, headers={"Content-Type": "application/json"}).status_code == 403
    assert client.post(INSTAGRAM_PATH, data=raw, headers=meta_signed(raw, "someone-else")).status_code == 403
    response = client.post(INSTAGRAM_PATH, data=raw, headers=meta_signed(raw))
    assert response.status_code == 200 or 400 <= response.status_code < 500, response.get_data(as_text=True)
    return response


@on_the_server_database
@bounded
@given(payload=mostly(INSTAGRAM_EVENTS, JSON))
def test_any_signed_instagram_json_is_answered_without_a_5xx(instagram_runtime, payload):
    client = create_app(instagram_runtime).test_client()
    event(f"answered {assert_never_5xx_and_refused_unsigned(client, as_meta_sends(payload)).status_code}")


@pytest.mark.parametrize(
    "raw",
    [b"[" * 20_000, b'{"object":"instagram","entry":' + b"[" * 20_000 + b"]" * 20_000 + b"}", b'{"a":1e999999}', b"\xff\xfe", b""],
    ids=["deeply-nested", "deeply-nested-entry", "huge-float", "not-utf8", "empty"],
)
def test_instagram_json_that_cannot_be_read_gets_400(instagram_runtime, raw):
    client = create_app(instagram_runtime).test_client()
    assert assert_never_5xx_and_refused_unsigned(client, raw).status_code == 400


@st.composite
def well_formed_texts(draw):
    """(a text message Meta could send, what must be stored of it), from a sender of its own."""
    body = draw(TEXTS.filter(lambda text: text.strip() and not goes_to_a_case(text[:1000])))
    mid = f"mid.ok.{fresh_instagram_id()}"
    item = {"sender": {"id": fresh_instagram_id()}, "recipient": {"id": META_ACCOUNT}, "timestamp": 1764500000000, "message": {"mid": mid, "text": body}}
    return item, (mid, body[:1000].replace("\x00", ""))


@on_the_server_database
@bounded
@given(drawn=st.lists(well_formed_texts() | MESSAGING_ITEMS.map(lambda item: (item, None)), min_size=1, max_size=4))
def test_each_well_formed_instagram_message_is_stored_once_beside_malformed_ones(instagram_runtime, drawn):
    client = create_app(instagram_runtime).test_client()
    items = [item for item, _ in drawn]
    raw = as_meta_sends({"object": "instagram", "entry": [{"id": META_ACCOUNT, "time": 1764500000000, "messaging": items}]})
    for _ in range(2):  # Meta redelivers what it is not sure we got
        response = assert_never_5xx_and_refused_unsigned(client, raw)
        assert response.status_code == 200, response.get_data(as_text=True)
    for mid, body in filter(None, (expected for _, expected in drawn)):
        assert inbound_bodies(instagram_runtime, "instagram", mid) == [body]


# -- the web chat ---------------------------------------------------------------------------------

_addresses = itertools.count(1)


def chat_client(runtime):
    """A client at an address of its own: the per-address limits count each example apart."""
    number = next(_addresses)
    client = create_app(runtime).test_client()
    client.environ_base["REMOTE_ADDR"] = f"203.0.{number // 250 % 250}.{number % 250 + 1}"
    response = client.post("/chat/api/sessions")
    assert response.status_code == 201, response.get_data(as_text=True)
    return client, {"Authorization": "Bearer " + response.json["token"]}


CHAT_BODIES = mostly(
    st.fixed_dictionaries(
        {"id": mostly(st.just("0f8fc2a4-1b7e-4d1c-9a53-5d1f0c3b7e21"), st.sampled_from(["short", "x" * 65, "0f8fc2a4-1b7e\n"]) | JSON)},
        optional={"text": mostly(TEXTS, JSON), "extra": JSON},
    ),
    JSON,
)


@on_the_server_database
@bounded
@given(body=CHAT_BODIES)
def test_any_json_posted_to_the_web_chat_is_answered_without_a_5xx(runtime, body):
    client, session = chat_client(runtime)
    response = client.post("/chat/api/messages", data=json.dumps(body), content_type="application/json", headers=session)
    event(f"answered {response.status_code}")
    assert response.status_code in (202, *range(400, 500)), response.get_data(as_text=True)


@on_the_server_database
@bounded
@given(text=TEXTS.filter(lambda text: not goes_to_a_case(text)))
def test_a_web_chat_message_is_stored_once_or_refused_with_4xx(runtime, text):
    client, session = chat_client(runtime)
    message_id = f"msg-{next(_ids):08d}"
    responses = [client.post("/chat/api/messages", json={"id": message_id, "text": text}, headers=session) for _ in range(2)]
    event(f"answered {responses[0].status_code}")
    assert [r.status_code for r in responses] in ([202, 202], [400, 400], [413, 413]), responses[0].get_data(as_text=True)
    assert inbound_bodies(runtime, "webchat", message_id) == ([text] if responses[0].status_code == 202 else [])


def as_cursor(raw: bytes) -> str:
    """Bytes in the form of the listing's cursor (URL-safe base64 without padding)."""
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


LAST_MICROS = (datetime.max.replace(tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
CURSOR_ENTRIES = st.dictionaries(
    mostly(st.from_regex(r"[byc][0-9]{1,18}", fullmatch=True), st.text(max_size=5)),
    mostly(st.integers(min_value=0) | st.sampled_from([LAST_MICROS, 10**20]), st.integers(max_value=-1) | JSON),
    max_size=4,
)
CURSORS = st.one_of(
    mostly(CURSOR_ENTRIES, JSON).map(lambda entries: as_cursor(json.dumps(entries).encode())),
    st.text(max_size=60),
    st.just(as_cursor(b"[" * 2_000)),
)
# Header values are Latin-1 text on one line; what a browser puts there is ASCII.
ORIGINS = st.sampled_from([PUBLIC_BASE_URL, "https://evil.example", "null", "", "http://[", "http://[::1", "https://x:99999"]) | st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30
)


@on_the_server_database
@bounded
@given(after=CURSORS, origin=mostly(st.sampled_from([None, PUBLIC_BASE_URL]), ORIGINS))
def test_any_cursor_or_origin_on_the_web_chat_listing_is_answered_without_a_5xx(runtime, after, origin):
    client, session = chat_client(runtime)
    headers = {**session, **({"Origin": origin} if origin is not None else {})}
    response = client.get("/chat/api/messages", query_string={"after": after}, headers=headers)
    event(f"answered {response.status_code}")
    assert response.status_code in (200, *range(400, 500)), response.get_data(as_text=True)


@pytest.mark.parametrize(
    "raw",
    [b"[" * 10_000, b'{"id": "0f8fc2a4-1b7e", "text": ' + b"[" * 5_000 + b"}", b"\xff\xfe", b""],
    ids=["deeply-nested", "deeply-nested-text", "not-utf8", "empty"],
)
def test_web_chat_json_that_cannot_be_read_gets_400(runtime, raw):
    client, session = chat_client(runtime)
    response = client.post("/chat/api/messages", data=raw, content_type="application/json", headers=session)
    assert response.status_code == 400, response.get_data(as_text=True)


# -- what these properties found, pinned as plain tests --------------------------------------------


@pytest.mark.parametrize("path", [SMS_PATH, STATUS_PATH])
def test_a_message_sid_with_a_trailing_newline_is_not_a_sid(runtime, path):
    # "$" would also match before a final newline and make "SM…\n" a sid of its own.
    client = create_app(runtime).test_client()
    sid = "SM" + "0" * 32 + "\n"
    params = inbound_sms_params(YOUNG_PERSON, OUR_NUMBER, "hej", message_sid=sid) if path == SMS_PATH else status_callback_params(sid, "delivered")
    assert post_signed(client, path, params).status_code == 400
    assert inbound_bodies(runtime, "sms", sid) == []


def test_instagram_ids_with_a_trailing_newline_are_not_ids(instagram_runtime):
    client = create_app(instagram_runtime).test_client()
    item = {"sender": {"id": INSTAGRAM_SENDER}, "message": {"mid": "mid.nl.1", "text": "hej"}}
    raw = as_meta_sends({"object": "instagram", "entry": [{"id": META_ACCOUNT + "\n", "messaging": [item]}]})
    assert client.post(INSTAGRAM_PATH, data=raw, headers=meta_signed(raw)).status_code == 400
    from_odd_sender = {**item, "sender": {"id": INSTAGRAM_SENDER + "\n"}}
    raw = as_meta_sends({"object": "instagram", "entry": [{"id": META_ACCOUNT, "messaging": [from_odd_sender]}]})
    assert client.post(INSTAGRAM_PATH, data=raw, headers=meta_signed(raw)).status_code == 200
    assert inbound_bodies(instagram_runtime, "instagram", "mid.nl.1") == [], "skipped as malformed, not stored for a made-up sender"


@pytest.mark.parametrize(
    "after",
    [as_cursor(b"[" * 2_000), as_cursor(b'{"b1": 100000000000000000000}'), as_cursor(f'{{"b1": {LAST_MICROS}}}'.encode())],
    ids=["deeply-nested", "past-the-last-datetime", "the-last-datetime"],
)
def test_a_cursor_the_server_could_not_have_given_gets_400_or_an_empty_page(runtime, after):
    client, session = chat_client(runtime)
    response = client.get("/chat/api/messages", query_string={"after": after}, headers=session)
    assert (response.status_code, response.json.get("messages")) in ((400, None), (200, [])), response.get_data(as_text=True)


def test_an_origin_that_is_not_a_url_is_refused(runtime):
    client, session = chat_client(runtime)
    response = client.get("/chat/api/messages", headers={**session, "Origin": "http://["})
    assert response.status_code == 403, response.get_data(as_text=True)


def test_an_unsent_message_whose_mid_has_a_nul_is_forgotten_and_its_batch_kept(instagram_runtime):
    # The mid is recorded without its NUL. Looked up with it, PostgreSQL refuses the query and
    # with it the whole batch (422): the messages after it would never be stored.
    client = create_app(instagram_runtime).test_client()
    sender = {"id": INSTAGRAM_SENDER}
    written = {"sender": sender, "message": {"mid": "mid.\x00nul", "text": "fortryd mig"}}
    unsent = {"sender": sender, "message": {"mid": "mid.\x00nul", "is_deleted": True}}
    after = {"sender": sender, "message": {"mid": "mid.after", "text": "hej igen"}}
    for items in ([written], [unsent, after]):
        raw = as_meta_sends({"object": "instagram", "entry": [{"id": META_ACCOUNT, "messaging": items}]})
        response = client.post(INSTAGRAM_PATH, data=raw, headers=meta_signed(raw))
        assert response.status_code == 200, response.get_data(as_text=True)
    assert inbound_bodies(instagram_runtime, "instagram", "mid.nul") == [""]
    assert inbound_bodies(instagram_runtime, "instagram", "mid.after") == ["hej igen"]
