"""The Twilio stand-in is faithful: twilio's own client talks to it, and Twilio's spec judges every request."""
from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from conftest import ACCOUNT_SID, AUTH_TOKEN
from support import twilio_standin as standin_module
from support.signing import inbound_sms_params, status_callback_params, twilio_signature
from support.twilio_standin import find_spec_path, load_spec, sms_segments

OUR_NUMBER = "+4570000001"
YOUNG_PERSON = "+4520112233"
SERVICE_SID = "MG" + "b" * 32
CALLBACK = "https://ungebot.example.dk/webhooks/twilio/status"
MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
SID = re.compile(r"^SM[0-9a-f]{32}$")


@pytest.fixture
def twilio_api(twilio_standin):
    """The session's stand-in (conftest), reset around each test; these tests break its rules on purpose."""
    twilio_standin.reset()
    yield twilio_standin
    twilio_standin.reset()


def client_for(standin, token=AUTH_TOKEN, timeout=5) -> Client:
    client = Client(ACCOUNT_SID, token, http_client=TwilioHttpClient(timeout=timeout))
    client.edge = client.region = None  # TWILIO_EDGE/TWILIO_REGION would rewrite the host name
    client.api.base_url = standin.url
    return client


@pytest.fixture
def client(twilio_api) -> Client:
    return client_for(twilio_api)


def post(standin, data, path=MESSAGES, auth=(ACCOUNT_SID, AUTH_TOKEN), **kwargs) -> requests.Response:
    return requests.post(standin.url + path, data=data, auth=auth, timeout=5, **kwargs)


# The real client, valid requests ----------------------------------------------------------------


def test_twilio_client_sends_a_message_from_our_number(client, twilio_api):
    created = client.messages.create(to=YOUNG_PERSON, from_=OUR_NUMBER, body="Hej Sara, vi ses kl. 17 🎶", status_callback=CALLBACK)

    assert twilio_api.violations == []
    assert SID.match(created.sid) and created.status == "queued"
    assert created.to == YOUNG_PERSON and created.from_ == OUR_NUMBER and created.body == "Hej Sara, vi ses kl. 17 🎶"
    assert created.direction == "outbound-api" and created.account_sid == ACCOUNT_SID
    assert created.num_segments == "1" and created.num_media == "0" and created.price is None and created.error_code is None
    assert abs(created.date_created - datetime.now(UTC)) < timedelta(minutes=1), "RFC 2822 date, parsed by twilio"
    (stored,) = twilio_api.messages
    assert stored["sid"] == created.sid and stored["uri"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{created.sid}.json"
    (request,) = twilio_api.requests
    assert request["method"] == "POST" and request["status"] == 201 and request["auth_user"] == ACCOUNT_SID
    assert request["form"] == {"To": YOUNG_PERSON, "From": OUR_NUMBER, "Body": "Hej Sara, vi ses kl. 17 🎶", "StatusCallback": CALLBACK}
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert twilio_api.sent_bodies_to(YOUNG_PERSON) == ["Hej Sara, vi ses kl. 17 🎶"]


def test_twilio_client_sends_through_a_messaging_service(client, twilio_api):
    created = client.messages.create(to=YOUNG_PERSON, messaging_service_sid=SERVICE_SID, body="Hej")

    assert twilio_api.violations == []
    assert SID.match(created.sid) and created.status == "accepted"
    assert created.from_ is None and created.messaging_service_sid == SERVICE_SID
    (request,) = twilio_api.requests
    assert request["form"] == {"To": YOUNG_PERSON, "MessagingServiceSid": SERVICE_SID, "Body": "Hej"}


def test_fetch_and_list_with_filters_and_paging(client, twilio_api):
    sids = [client.messages.create(to=YOUNG_PERSON, from_=OUR_NUMBER, body=f"besked {n}").sid for n in range(5)]
    other = client.messages.create(to="+4531313131", from_=OUR_NUMBER, body="til en anden").sid

    assert client.messages(sids[2]).fetch().body == "besked 2"
    listed = client.messages.list(to=YOUNG_PERSON, page_size=2)  # three pages, following next_page_uri
    assert [m.sid for m in listed] == sids[::-1], "newest first, like Twilio"
    today = datetime.now(UTC)
    assert {m.sid for m in client.messages.list(date_sent_after=today - timedelta(days=1))} == {*sids, other}
    assert client.messages.list(date_sent_before=today - timedelta(days=1)) == []
    assert [m.sid for m in client.messages.list(from_=OUR_NUMBER, to="+4531313131")] == [other]
    page = requests.get(twilio_api.url + MESSAGES, params={"PageSize": 2, "Page": 1}, auth=(ACCOUNT_SID, AUTH_TOKEN)).json()
    assert (page["page"], page["page_size"], page["start"], page["end"]) == (1, 2, 2, 3)
    assert page["previous_page_uri"].startswith(MESSAGES + "?") and "Page=2" in page["next_page_uri"]
    assert twilio_api.violations == []


def test_an_unknown_message_is_twilios_404(client, twilio_api):
    with pytest.raises(TwilioRestException) as raised:
        client.messages("SM" + "f" * 32).fetch()
    assert raised.value.status == 404 and raised.value.code == 20404
    assert twilio_api.violations == [], "a valid request for a missing message is not a violation"


def test_a_long_unicode_body_counts_segments_like_twilio(client, twilio_api):
    assert client.messages.create(to=YOUNG_PERSON, from_=OUR_NUMBER, body="æøå " * 40 + "x").num_segments == "2"
    assert client.messages.create(to=YOUNG_PERSON, from_=OUR_NUMBER, body="🙏" * 35).num_segments == "1"
    assert client.messages.create(to=YOUNG_PERSON, from_=OUR_NUMBER, body="🙏" * 36).num_segments == "2"
    assert sms_segments("a" * 160) == 1 and sms_segments("a" * 161) == 2 and sms_segments("€" * 80) == 1


# Requests that break Twilio's spec: 422 and a violation -------------------------------------------


@pytest.mark.parametrize(
    "data, expected",
    [
        ({"To": YOUNG_PERSON, "From": OUR_NUMBER, "Body": "x", "ValidityPeriod": "soon"}, "form field 'ValidityPeriod': 'soon' is not a valid integer"),
        ({"To": YOUNG_PERSON, "MessagingServiceSid": "MG123", "Body": "x"}, "form field 'MessagingServiceSid': 'MG123' does not match"),
        ({"To": YOUNG_PERSON, "From": "4570000001", "Body": "x"}, "form field 'From': '4570000001' is not a 'phone-number'"),
        ({"To": YOUNG_PERSON, "From": OUR_NUMBER, "Body": "x", "StatusCallback": "not a url"}, "form field 'StatusCallback'"),
        ({"To": YOUNG_PERSON, "From": OUR_NUMBER, "Body": "x", "StatusCallBack": CALLBACK}, "form field 'StatusCallBack' is not declared"),
        ({"From": OUR_NUMBER, "Body": "x"}, "form body: 'To' is a required property"),
    ],
    ids=["integer", "pattern", "phone-number", "uri", "undeclared", "required"],
)
def test_a_request_that_breaks_the_spec_is_refused_with_422(twilio_api, data, expected):
    response = post(twilio_api, data)

    assert response.status_code == 422
    assert expected in response.json()["message"] and response.json()["details"]["violations"]
    violations = twilio_api.take_violations()
    assert all(v.startswith(f"POST {MESSAGES}: ") for v in violations) and any(expected in v for v in violations)
    assert twilio_api.messages == [] and twilio_api.requests[0]["status"] == 422


def test_a_wrong_path_json_body_or_query_is_refused_with_422(twilio_api):
    assert post(twilio_api, {"To": YOUNG_PERSON}, path=MESSAGES.replace("Messages", "Message")).status_code == 422
    assert post(twilio_api, {"To": YOUNG_PERSON}, path=f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages").status_code == 422
    as_json = requests.post(twilio_api.url + MESSAGES, json={"To": YOUNG_PERSON, "From": OUR_NUMBER, "Body": "x"}, auth=(ACCOUNT_SID, AUTH_TOKEN))
    assert as_json.status_code == 422
    assert requests.get(twilio_api.url + MESSAGES, params={"PageSize": "all"}, auth=(ACCOUNT_SID, AUTH_TOKEN)).status_code == 422
    assert requests.get(twilio_api.url + f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/123.json", auth=(ACCOUNT_SID, AUTH_TOKEN)).status_code == 422
    violations = twilio_api.take_violations()
    assert [v.split(": ", 1)[1] for v in violations] == [
        "no such path in Twilio's API spec",
        "no such path in Twilio's API spec",
        "Content-Type 'application/json' is not accepted here; the spec allows application/x-www-form-urlencoded",
        "query parameter 'PageSize': 'all' is not a valid integer",
        "path parameter 'Sid': '123' is too short",
        "path parameter 'Sid': '123' does not match '^(SM|MM)[0-9a-fA-F]{32}$'",
    ]


def test_the_client_sees_a_spec_violation_as_an_error(client, twilio_api):
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to=YOUNG_PERSON, from_=OUR_NUMBER, body="x", attempt="twice")
    assert raised.value.status == 422 and "'Attempt': 'twice' is not a valid integer" in raised.value.msg
    assert raised.value.details == {"violations": ["form field 'Attempt': 'twice' is not a valid integer"], "spec": "twilio_api_v2010.json"}
    assert len(twilio_api.take_violations()) == 1


# What Twilio enforces beyond the spec ----------------------------------------------------------


def test_wrong_credentials_are_twilios_401(twilio_api):
    with pytest.raises(TwilioRestException) as raised:
        client_for(twilio_api, token="wrong").messages.create(to=YOUNG_PERSON, from_=OUR_NUMBER, body="x")
    assert raised.value.status == 401 and raised.value.code == 20003

    response = requests.post(twilio_api.url + MESSAGES, data={"To": YOUNG_PERSON, "From": OUR_NUMBER, "Body": "x"})
    assert response.status_code == 401
    assert response.json() == {"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}
    assert [v.split(": ", 1)[1] for v in twilio_api.take_violations()] == [
        f"wrong credentials (user '{ACCOUNT_SID}')",
        "no HTTP Basic credentials",
    ]
    assert twilio_api.messages == []


def test_another_accounts_path_is_refused(twilio_api):
    other = "AC" + "9" * 32
    response = post(twilio_api, {"To": YOUNG_PERSON, "From": OUR_NUMBER, "Body": "x"}, path=MESSAGES.replace(ACCOUNT_SID, other))
    assert response.status_code == 401 and response.json()["code"] == 20003
    (violation,) = twilio_api.take_violations()
    assert f"AccountSid {other} in the path is not the authenticated account" in violation


@pytest.mark.parametrize(
    "data, code",
    [
        ({"To": YOUNG_PERSON, "Body": "x"}, 21603),
        ({"To": YOUNG_PERSON, "From": OUR_NUMBER}, 21602),
        ({"To": YOUNG_PERSON, "From": OUR_NUMBER, "Body": ""}, 21602),
        ({"To": "20112233", "From": OUR_NUMBER, "Body": "x"}, 21211),
        ({"To": YOUNG_PERSON, "From": OUR_NUMBER, "Body": "x", "StatusCallback": "http://under_score.example/cb"}, 21609),
        ({"To": YOUNG_PERSON, "From": OUR_NUMBER, "Body": "x" * 1601}, 21617),
        ({}, 21604),
    ],
    ids=["no-sender", "no-body", "empty-body", "not-e164", "callback-url", "too-long", "empty-post"],
)
def test_what_twilio_refuses_beyond_the_spec_gets_twilios_error(twilio_api, data, code):
    response = post(twilio_api, data)

    assert response.status_code == 400
    assert response.json()["code"] == code and response.json()["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    (violation,) = twilio_api.take_violations()
    assert f"Twilio would refuse this with {code}" in violation
    assert twilio_api.messages == []


def test_media_or_content_alone_is_enough(client, twilio_api):
    mms = client.messages.create(to=YOUNG_PERSON, from_=OUR_NUMBER, media_url=["https://ungebot.example.dk/a.png", "https://ungebot.example.dk/b.png"])
    assert mms.sid.startswith("MM") and mms.num_media == "2"
    client.messages.create(to=YOUNG_PERSON, messaging_service_sid=SERVICE_SID, content_sid="HX" + "c" * 32)
    assert twilio_api.violations == []
    assert twilio_api.requests[0]["form"]["MediaUrl"] == ["https://ungebot.example.dk/a.png", "https://ungebot.example.dk/b.png"]


# Scripted failures -----------------------------------------------------------------------------


def test_fail_next_429_is_a_rate_limit_the_client_raises(client, twilio_api):
    twilio_api.fail_next(429, 20429)
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to=YOUNG_PERSON, from_=OUR_NUMBER, body="x")
    assert raised.value.status == 429 and raised.value.code == 20429 and "Too Many Requests" in raised.value.msg
    assert client.messages.create(to=YOUNG_PERSON, from_=OUR_NUMBER, body="x").status == "queued", "only the next call fails"
    assert len(twilio_api.messages) == 1 and twilio_api.violations == []


@pytest.mark.parametrize(
    "code, text",
    [
        (21211, f"The 'To' number {YOUNG_PERSON} is not a valid phone number."),
        (21610, "Attempt to send to unsubscribed recipient"),
        (21614, "'To' number is not a valid mobile number"),
    ],
)
def test_fail_next_400_answers_with_twilios_error_json(twilio_api, code, text):
    twilio_api.fail_next(400, code)
    response = post(twilio_api, {"To": YOUNG_PERSON, "From": OUR_NUMBER, "Body": "x"})
    assert response.status_code == 400
    assert response.json() == {"code": code, "message": text, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": 400}

    twilio_api.fail_next(400, code)
    with pytest.raises(TwilioRestException) as raised:
        client_for(twilio_api).messages.create(to=YOUNG_PERSON, from_=OUR_NUMBER, body="x")
    assert raised.value.status == 400 and raised.value.code == code
    assert twilio_api.messages == [] and twilio_api.violations == []


def test_fail_next_server_errors_several_times(client, twilio_api):
    twilio_api.fail_next(503, times=2)
    twilio_api.fail_next(500, message="boom")
    for status in (503, 503, 500):
        with pytest.raises(TwilioRestException) as raised:
            client.messages.create(to=YOUNG_PERSON, from_=OUR_NUMBER, body="x")
        assert raised.value.status == status and raised.value.code is None
    assert "boom" in raised.value.msg
    assert client.messages.create(to=YOUNG_PERSON, from_=OUR_NUMBER, body="x").status == "queued"


def test_delay_next_makes_twilio_slow_and_a_timeout_ambiguous(twilio_api):
    twilio_api.delay_next(0.3)
    started = time.monotonic()
    client_for(twilio_api).messages.create(to=YOUNG_PERSON, from_=OUR_NUMBER, body="x")
    assert time.monotonic() - started >= 0.3

    twilio_api.delay_next(0.3)
    with pytest.raises(requests.exceptions.ReadTimeout):
        client_for(twilio_api, timeout=0.05).messages.create(to=YOUNG_PERSON, from_=OUR_NUMBER, body="y")
    deadline = time.monotonic() + 5
    while len(twilio_api.messages) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert twilio_api.sent_bodies_to(YOUNG_PERSON) == ["x", "y"], "Twilio sent it although we gave up waiting"


def test_drop_next_accepts_the_message_then_hangs_up(client, twilio_api):
    twilio_api.drop_next()
    with pytest.raises(requests.exceptions.ConnectionError):
        client.messages.create(to=YOUNG_PERSON, from_=OUR_NUMBER, body="x")
    assert twilio_api.sent_bodies_to(YOUNG_PERSON) == ["x"]
    assert client.messages.create(to=YOUNG_PERSON, from_=OUR_NUMBER, body="z").status == "queued"


def test_reset_forgets_everything(client, twilio_api):
    client.messages.create(to=YOUNG_PERSON, from_=OUR_NUMBER, body="x")
    post(twilio_api, {"To": YOUNG_PERSON})
    twilio_api.fail_next(500, times=3)
    twilio_api.delay_next(5)
    twilio_api.drop_next()
    twilio_api.reset()
    assert twilio_api.requests == [] and twilio_api.messages == [] and twilio_api.violations == []
    started = time.monotonic()
    assert client.messages.create(to=YOUNG_PERSON, from_=OUR_NUMBER, body="x").status == "queued"
    assert time.monotonic() - started < 2


def test_concurrent_senders(twilio_api):
    clients = [client_for(twilio_api) for _ in range(8)]
    errors = []

    def send(client, index):
        try:
            client.messages.create(to=YOUNG_PERSON, from_=OUR_NUMBER, body=f"besked {index}")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(clients[i % 8], i)) for i in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and twilio_api.violations == []
    assert sorted(twilio_api.sent_bodies_to(YOUNG_PERSON)) == sorted(f"besked {i}" for i in range(24))
    assert len({m["sid"] for m in twilio_api.messages}) == 24


def test_set_status_shows_in_fetch(client, twilio_api):
    sid = client.messages.create(to=YOUNG_PERSON, from_=OUR_NUMBER, body="x").sid
    twilio_api.set_status(sid, "undelivered", error_code=30003, error_message="Unreachable destination handset")
    fetched = client.messages(sid).fetch()
    assert fetched.status == "undelivered" and fetched.error_code == 30003
    assert twilio_api.violations == []


# The spec file ----------------------------------------------------------------------------------


def test_the_spec_is_the_repositorys_own_copy_and_loaded_once():
    repository = Path(__file__).resolve().parents[1]
    path = find_spec_path()
    assert path == repository / "contracts" / "twilio_api_v2010.json"
    assert (repository / "contracts" / "twilio-oai-LICENSE").is_file()
    assert load_spec() is load_spec()


def test_a_missing_spec_says_where_it_looked(monkeypatch, tmp_path):
    monkeypatch.setenv("TWILIO_OPENAPI_SPEC", str(tmp_path / "nope.json"))
    with pytest.raises(FileNotFoundError, match="TWILIO_OPENAPI_SPEC="):
        find_spec_path()
    monkeypatch.delenv("TWILIO_OPENAPI_SPEC")
    monkeypatch.setattr(standin_module, "SPEC_PATH", tmp_path / "contracts" / "nope.json")
    with pytest.raises(FileNotFoundError, match=r"looked at .*nope\.json"):
        find_spec_path()


# Webhook signing helpers -----------------------------------------------------------------------


@pytest.mark.parametrize("body", ["hej", "Hjælp 🙏 æøå ÆØÅ", "", "a&b=c+d %20 ümlaut 👍🏽"])
def test_signatures_round_trip_through_twilios_validator(body):
    url = "https://ungebot.example.dk/webhooks/twilio/sms"
    params = inbound_sms_params(YOUNG_PERSON, OUR_NUMBER, body)
    signature = twilio_signature(AUTH_TOKEN, url, params)

    validator = RequestValidator(AUTH_TOKEN)
    assert validator.validate(url, params, signature)
    assert not validator.validate(url, {**params, "Body": body + "!"}, signature)
    assert not validator.validate(url + "?x=1", params, signature)
    assert not RequestValidator("other-token").validate(url, params, signature)


def test_inbound_sms_params_look_like_twilios():
    params = inbound_sms_params(YOUNG_PERSON, OUR_NUMBER, "Hej 🙏", messaging_service_sid=SERVICE_SID)
    assert list(params) == [
        "ToCountry", "ToState", "SmsMessageSid", "NumMedia", "ToCity", "FromZip", "SmsSid", "FromState", "SmsStatus",
        "FromCity", "Body", "FromCountry", "To", "MessagingServiceSid", "ToZip", "NumSegments", "MessageSid",
        "AccountSid", "From", "ApiVersion",
    ]  # fmt: skip
    assert SID.match(params["MessageSid"]) and params["MessageSid"] == params["SmsSid"] == params["SmsMessageSid"]
    assert params["ToCountry"] == params["FromCountry"] == "DK" and params["SmsStatus"] == "received"
    assert params["NumMedia"] == "0" and params["NumSegments"] == "1" and params["ApiVersion"] == "2010-04-01"
    assert all(isinstance(value, str) for value in params.values())
    assert "MessagingServiceSid" not in inbound_sms_params(YOUNG_PERSON, OUR_NUMBER, "x")
    assert inbound_sms_params(YOUNG_PERSON, OUR_NUMBER, "x")["MessageSid"] != inbound_sms_params(YOUNG_PERSON, OUR_NUMBER, "x")["MessageSid"]
    assert inbound_sms_params(YOUNG_PERSON, OUR_NUMBER, "x", message_sid="SM" + "1" * 32)["SmsSid"] == "SM" + "1" * 32


def test_status_callback_params_look_like_twilios():
    sid = "SM" + "a" * 32
    delivered = status_callback_params(sid, "delivered", raw_dlr_done_date="2611261200")
    assert delivered == {
        "SmsSid": sid, "SmsStatus": "delivered", "MessageStatus": "delivered", "To": "+4520112233", "MessageSid": sid,
        "AccountSid": ACCOUNT_SID, "From": "+4570000001", "ApiVersion": "2010-04-01", "RawDlrDoneDate": "2611261200",
    }  # fmt: skip
    assert status_callback_params(sid, "undelivered", error_code="21610")["ErrorCode"] == "21610"
    assert status_callback_params(sid, "failed")["ErrorCode"] == "30008"
    assert "ErrorCode" not in status_callback_params(sid, "sent")
    url = "https://ungebot.example.dk/webhooks/twilio/status"
    params = status_callback_params(sid, "sent")
    assert RequestValidator(AUTH_TOKEN).validate(url, params, twilio_signature(AUTH_TOKEN, url, params))
