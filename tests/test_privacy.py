"""No phone number and no message text in the logs, whatever happens."""
from __future__ import annotations

import logging

import pytest

from bot import logs
from bot.web import create_app

from conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from helpers import drain
from support.signing import inbound_sms_params, twilio_signature

PHONE = "+4520987654"
SECRET_TEXT = "jeg har det virkelig svært derhjemme"


def test_a_whole_conversation_logs_no_number_and_no_text(runtime, twilio, captured_logs):
    client = create_app(runtime).test_client()

    def send(text, signature=None):
        params = inbound_sms_params(PHONE, "+4570000001", text)
        signature = signature or twilio_signature(AUTH_TOKEN, PUBLIC_BASE_URL + "/webhooks/twilio/sms", params)
        return client.post("/webhooks/twilio/sms", data=params, headers={"X-Twilio-Signature": signature})

    assert send("demo").status_code == 200
    drain(runtime)
    assert send(SECRET_TEXT).status_code == 200
    assert send(SECRET_TEXT, signature="Zm9yZ2Vk").status_code == 403
    twilio.fail_next(400, 21211)
    drain(runtime)
    assert send("skidt").status_code == 200
    twilio.fail_next(503, None)
    drain(runtime)
    text = captured_logs()
    assert "inbound message" in text, "the logs say what happened, by id"
    for leak in (PHONE, PHONE[3:], "20 98 76 54", SECRET_TEXT, "skidt"):
        assert leak not in text


@pytest.mark.parametrize(
    "line, expected",
    [
        ("sent to +4520987654", "sent to [number]"),
        ("sent to 20 98 76 54", "sent to [number]"),
        ("sent to 004520987654", "sent to [number]"),
        ("outbound message 12345 sent", "outbound message 12345 sent"),
        ("retry at 2026-11-26T11:00:00+00:00", "retry at 2026-11-26T11:00:00+00:00"),
        ("POST /2010-04-01/Accounts/AC1/Messages.json", "POST /2010-04-01/Accounts/AC1/Messages.json"),
        ("to +45 20 98 76 54 now", "to [number] now"),
        ("call 2098 7654", "call [number]"),
    ],
)
def test_the_last_line_of_defence_masks_anything_like_a_number(line, expected):
    record = logging.LogRecord("t", logging.INFO, __file__, 1, line, None, None)
    logs.RedactPhoneNumbers().filter(record)
    assert record.getMessage() == expected
