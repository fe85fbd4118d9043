"""Twilio's webhooks with real signatures (twilio's RequestValidator on the test side too)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.storage.models import Contact, InboundMessage, OutboundMessage
from bot.web import create_app

from conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from helpers import drain, outbox
from support.signing import inbound_sms_params, status_callback_params, twilio_signature

SMS_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"
YOUNG_PERSON = "+4520112233"
OUR_NUMBER = "+4570000001"


@pytest.fixture
def client(runtime):
    return create_app(runtime).test_client()


def post_signed(client, path, params, token=AUTH_TOKEN, url=None):
    signature = twilio_signature(token, url or PUBLIC_BASE_URL + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def count(runtime, model) -> int:
    with runtime.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_signed_sms_is_recorded_queued_and_answered_with_empty_twiml(runtime, client):
    params = inbound_sms_params(YOUNG_PERSON, OUR_NUMBER, "Hjælp 🙏 æøå")
    response = post_signed(client, SMS_PATH, params)
    assert response.status_code == 200
    assert response.mimetype == "text/xml" and b"<Response" in response.data
    with runtime.db.session() as session:
        message = session.scalars(select(InboundMessage)).one()
        assert message.body == "Hjælp 🙏 æøå" and message.provider_id == params["MessageSid"]
    assert runtime.queue("inbound").count == 1


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}, {"X-Twilio-Signature": ""}],
    ids=["missing", "forged", "empty"],
)
def test_unsigned_or_forged_requests_are_refused_and_nothing_is_stored(runtime, client, headers):
    response = client.post(SMS_PATH, data=inbound_sms_params(YOUNG_PERSON, OUR_NUMBER, "hej"), headers=headers)
    assert response.status_code == 403
    assert count(runtime, InboundMessage) == 0 and count(runtime, Contact) == 0
    assert runtime.queue("inbound").count == 0


def test_a_tampered_body_breaks_the_signature(runtime, client):
    params = inbound_sms_params(YOUNG_PERSON, OUR_NUMBER, "ja")
    signature = twilio_signature(AUTH_TOKEN, PUBLIC_BASE_URL + SMS_PATH, params)
    response = client.post(SMS_PATH, data={**params, "Body": "nej"}, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403 and count(runtime, InboundMessage) == 0


def test_signed_with_another_token_is_refused(runtime, client):
    assert post_signed(client, SMS_PATH, inbound_sms_params(YOUNG_PERSON, OUR_NUMBER, "hej"), token="wrong").status_code == 403


def test_the_url_twilio_signed_is_the_public_one_not_what_the_proxy_forwards(runtime, client):
    params = inbound_sms_params(YOUNG_PERSON, OUR_NUMBER, "hej")
    assert post_signed(client, SMS_PATH, params, url="http://localhost" + SMS_PATH).status_code == 403
    assert post_signed(client, SMS_PATH, params).status_code == 200


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"MessageSid": None}, 400),
        ({"From": None}, 400),
        ({"MessageSid": "not-a-sid"}, 400),
        ({"From": "abc"}, 400),
        ({"Body": "x" * 1601}, 413),
    ],
    ids=["no-sid", "no-from", "bad-sid", "bad-from", "too-long"],
)
def test_malformed_but_signed_requests_get_4xx_never_500(runtime, client, change, expected):
    params = inbound_sms_params(YOUNG_PERSON, OUR_NUMBER, "hej")
    for key, value in change.items():
        if value is None:
            params.pop(key)
        else:
            params[key] = value
    assert post_signed(client, SMS_PATH, params).status_code == expected
    assert count(runtime, InboundMessage) == 0


def test_a_json_body_is_not_an_sms(runtime, client):
    signature = twilio_signature(AUTH_TOKEN, PUBLIC_BASE_URL + SMS_PATH, {})
    response = client.post(SMS_PATH, data='{"Body": "hej"}', content_type="application/json", headers={"X-Twilio-Signature": signature})
    assert response.status_code == 400


def test_twilio_retrying_the_same_message_is_processed_once(runtime, client):
    params = inbound_sms_params(YOUNG_PERSON, OUR_NUMBER, "hjælp")
    for _ in range(3):
        assert post_signed(client, SMS_PATH, params).status_code == 200
    assert count(runtime, InboundMessage) == 1
    drain(runtime)
    assert len(outbox(runtime)) == 1


def test_messaging_service_pool_numbers_all_arrive_as_to(runtime, client):
    for index, pool_number in enumerate(["+4570000002", "+4570000003"]):
        params = inbound_sms_params(YOUNG_PERSON, pool_number, f"besked {index}", messaging_service_sid="MG" + "a" * 32)
        assert post_signed(client, SMS_PATH, params).status_code == 200
    with runtime.db.session() as session:
        assert session.scalar(select(func.count(Contact.id))) == 1
        assert sorted(session.scalars(select(InboundMessage.to_address))) == ["+4570000002", "+4570000003"]


def test_numbers_are_stored_in_e164_whatever_form_they_arrive_in(runtime, client):
    post_signed(client, SMS_PATH, inbound_sms_params("20 11 22 33", OUR_NUMBER, "hej"))
    post_signed(client, SMS_PATH, inbound_sms_params("+45 2011 2233", OUR_NUMBER, "hej igen"))
    with runtime.db.session() as session:
        contact = session.scalars(select(Contact)).one()
        assert [urn.path for urn in contact.urns] == [YOUNG_PERSON]


def test_a_webhook_without_twilio_configured_refuses(runtime_factory):
    runtime = runtime_factory(twilio_account_sid="", twilio_auth_token="", twilio_from_number="")
    response = create_app(runtime).test_client().post(SMS_PATH, data=inbound_sms_params(YOUNG_PERSON, OUR_NUMBER, "hej"))
    assert response.status_code == 403


# Status callbacks -------------------------------------------------------------------------------

def sent_message(runtime, client, standin) -> OutboundMessage:
    post_signed(client, SMS_PATH, inbound_sms_params(YOUNG_PERSON, OUR_NUMBER, "hjælp"))
    drain(runtime)
    (message,) = outbox(runtime)
    assert message.provider_id and message.status == "queued"
    return message


def status(runtime, message_id) -> OutboundMessage:
    with runtime.db.session() as session:
        return session.get(OutboundMessage, message_id)


def test_status_only_moves_forward_when_callbacks_arrive_out_of_order(runtime, client, twilio):
    message = sent_message(runtime, client, twilio)
    for value in ["delivered", "sent", "sending", "queued"]:
        response = post_signed(client, STATUS_PATH, status_callback_params(message.provider_id, value))
        assert response.status_code == 204
    assert status(runtime, message.id).status == "delivered"


def test_a_callback_that_beats_the_worker_is_applied_when_the_sid_is_recorded(runtime, client, twilio):
    from bot.core import clock
    from bot.domain import delivery

    message = sent_message(runtime, client, twilio)
    with runtime.db.session() as session:
        session.get(OutboundMessage, message.id).provider_id = None  # as if the worker had not recorded it yet
    assert post_signed(client, STATUS_PATH, status_callback_params(message.provider_id, "delivered")).status_code == 204
    assert status(runtime, message.id).status == "queued"
    with runtime.db.session() as session:  # what the worker does when it records the sid
        row = session.get(OutboundMessage, message.id)
        row.provider_id = message.provider_id
        delivery.apply_reports(session, row, clock.now())
    assert status(runtime, message.id).status == "delivered"


def test_error_21610_marks_the_contact_opted_out(runtime, client, twilio):
    message = sent_message(runtime, client, twilio)
    params = status_callback_params(message.provider_id, "undelivered", error_code="21610")
    assert post_signed(client, STATUS_PATH, params).status_code == 204
    with runtime.db.session() as session:
        assert session.get(Contact, message.contact_id).opted_out_at is not None
        assert session.get(OutboundMessage, message.id).error_code == "21610"


@pytest.mark.parametrize("change", [{"MessageStatus": "exploded"}, {"MessageSid": "nope"}, {"ErrorCode": "abc"}, {"MessageStatus": None}])
def test_malformed_status_callbacks_get_400(runtime, client, change):
    params = status_callback_params("SM" + "1" * 32, "delivered")
    for key, value in change.items():
        if value is None:
            params.pop(key)
        else:
            params[key] = value
    assert post_signed(client, STATUS_PATH, params).status_code == 400


def test_forged_status_callbacks_are_refused(runtime, client):
    response = client.post(STATUS_PATH, data=status_callback_params("SM" + "1" * 32, "delivered"), headers={"X-Twilio-Signature": "Zm9v"})
    assert response.status_code == 403


def test_status_callbacks_for_unknown_messages_are_accepted_quietly(runtime, client):
    assert post_signed(client, STATUS_PATH, status_callback_params("SM" + "2" * 32, "sent")).status_code == 204


@pytest.mark.parametrize("body", ["hj\x00ælp", "\x00", "RÅD\x00 om min husleje"], ids=["in-a-word", "alone", "in-a-case"])
def test_a_nul_character_is_dropped_and_the_message_kept(runtime, client, twilio, body):
    params = inbound_sms_params(YOUNG_PERSON, OUR_NUMBER, body)
    response = post_signed(client, SMS_PATH, params)
    assert response.status_code == 200, response.data
    assert post_signed(client, SMS_PATH, params).status_code == 200, "Twilio's retry is a duplicate, not a 5xx"
    drain(runtime)
    assert twilio.messages, "the young person is answered"
    with runtime.db.session() as session:
        stored = [m.body for m in session.scalars(select(InboundMessage))]
    assert all("\x00" not in text for text in stored)
    if body == "hj\x00ælp":
        assert stored == ["hjælp"]
