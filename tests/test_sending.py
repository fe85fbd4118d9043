"""Sending through Twilio's API (a stand-in that validates against Twilio's OpenAPI spec)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.core import clock
from bot.domain.contacts.contacts import contact_for
from bot.domain.outbox import add_message
from bot.jobs import sending
from bot.jobs.scheduler import Scheduler
from bot.storage.models import Contact, OutboundMessage

from conftest import FROM_NUMBER, PUBLIC_BASE_URL
from helpers import drain, lose_redis_data

YOUNG_PERSON = "+4520112233"
# A Thursday in November: 12:00 and 23:00 in Copenhagen (UTC+1).
NOON = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
LATE_EVENING = datetime(2026, 11, 26, 22, 0, tzinfo=UTC)


def queue_message(runtime, body="Hej fra Ungebot", kind="reply", channel="sms") -> int:
    now = clock.now()
    with runtime.db.session() as session:
        contact = contact_for(session, "tel", YOUNG_PERSON, now)
        message = add_message(
            session, contact_id=contact.id, channel=channel, to_address=YOUNG_PERSON, body=body, kind=kind, send_after=now, now=now
        )
        session.flush()
        return message.id


def row(runtime, message_id) -> OutboundMessage:
    with runtime.db.session() as session:
        return session.get(OutboundMessage, message_id)


def test_a_message_goes_to_twilio_with_from_and_status_callback(runtime, twilio):
    message_id = queue_message(runtime, body="Hej Sara, vi ses i aften kl. 17 🎶")
    assert sending.send_outbound(message_id) == "sent"
    (request,) = twilio.messages
    assert request["to"] == YOUNG_PERSON and request["from"] == FROM_NUMBER
    assert request["body"] == "Hej Sara, vi ses i aften kl. 17 🎶"
    (created,) = [r for r in twilio.requests if r["method"] == "POST"]
    assert created["form"]["StatusCallback"] == PUBLIC_BASE_URL + "/webhooks/twilio/status"
    stored = row(runtime, message_id)
    assert stored.status == "queued" and stored.provider_id == request["sid"] and stored.attempts == 1


def test_a_messaging_service_sends_without_from(runtime_factory, twilio):
    runtime = runtime_factory(twilio_from_number="", twilio_messaging_service_sid="MG" + "b" * 32)
    assert sending.send_outbound(queue_message(runtime)) == "sent"
    (created,) = [r for r in twilio.requests if r["method"] == "POST"]
    assert created["form"]["MessagingServiceSid"] == "MG" + "b" * 32 and "From" not in created["form"]


def test_running_the_job_twice_sends_once(runtime, twilio):
    message_id = queue_message(runtime)
    assert sending.send_outbound(message_id) == "sent"
    assert sending.send_outbound(message_id) == "skipped"
    assert len(twilio.messages) == 1


@pytest.mark.parametrize("status, code", [(429, 20429), (500, None), (503, None)])
def test_rate_limits_and_server_errors_are_retried_with_backoff(runtime, twilio, status, code):
    message_id = queue_message(runtime)
    twilio.fail_next(status, code, times=2)
    before = clock.now()
    assert sending.send_outbound(message_id) == "retry"
    first = row(runtime, message_id)
    assert first.status == "pending" and first.attempts == 1
    assert timedelta(seconds=7) <= first.send_after - before <= timedelta(seconds=13)
    assert sending.send_outbound(message_id) == "not_due", "not before the backoff has passed"
    clock.travel(timedelta(seconds=15))
    assert sending.send_outbound(message_id) == "retry"
    second = row(runtime, message_id)
    assert timedelta(seconds=15) <= second.send_after - clock.now() <= timedelta(seconds=25), "the wait doubles"
    clock.travel(timedelta(seconds=30))
    drain(runtime)
    final = row(runtime, message_id)
    assert final.status == "queued" and final.attempts == 3 and len(twilio.messages) == 1


def test_retries_stop_after_the_last_attempt(runtime, twilio):
    message_id = queue_message(runtime)
    twilio.fail_next(503, None, times=sending.MAX_ATTEMPTS)
    for _ in range(sending.MAX_ATTEMPTS):
        sending.send_outbound(message_id)
        clock.travel(timedelta(minutes=20))
    final = row(runtime, message_id)
    assert final.status == "failed" and final.attempts == sending.MAX_ATTEMPTS and final.error_code == "503"


@pytest.mark.parametrize("code", [21211, 21614])
def test_an_invalid_number_is_not_retried(runtime, twilio, code):
    message_id = queue_message(runtime)
    twilio.fail_next(400, code)
    assert sending.send_outbound(message_id) == "failed"
    assert row(runtime, message_id).error_code == str(code)
    assert sending.send_outbound(message_id) == "skipped"


def test_unsubscribed_at_twilio_opts_the_contact_out(runtime, twilio):
    message_id = queue_message(runtime)
    twilio.fail_next(400, 21610)
    assert sending.send_outbound(message_id) == "failed"
    with runtime.db.session() as session:
        assert session.scalars(select(Contact)).one().opted_out_at is not None
    assert sending.send_outbound(queue_message(runtime, body="Næste besked")) == "suppressed"
    assert len(twilio.messages) == 0


def test_nothing_is_sent_to_an_opted_out_contact_except_the_confirmation(runtime, twilio):
    message_id = queue_message(runtime)
    with runtime.db.session() as session:
        session.scalars(select(Contact)).one().opted_out_at = clock.now()
    assert sending.send_outbound(message_id) == "suppressed"
    assert sending.send_outbound(queue_message(runtime, kind="system")) == "sent"
    assert len(twilio.messages) == 1


def test_automatic_messages_wait_for_quiet_hours_to_end(runtime, twilio):
    clock.set_now(LATE_EVENING)
    message_id = queue_message(runtime, kind="automatic")
    assert sending.send_outbound(message_id) == "held"
    held = row(runtime, message_id)
    assert held.send_after == datetime(2026, 11, 27, 7, 0, tzinfo=UTC), "08:00 in Copenhagen"
    assert sending.send_outbound(queue_message(runtime, kind="reply")) == "sent", "a direct reply goes at any hour"
    clock.set_now(datetime(2026, 11, 27, 7, 0, 1, tzinfo=UTC))
    drain(runtime)
    assert row(runtime, message_id).status == "queued"


def test_quiet_hours_off_sends_at_night(runtime_factory, twilio):
    runtime = runtime_factory(quiet_hours="off")
    clock.set_now(LATE_EVENING)
    assert sending.send_outbound(queue_message(runtime, kind="automatic")) == "sent"


def test_a_worker_that_died_mid_send_leaves_the_message_unknown_not_resent(runtime, twilio):
    message_id = queue_message(runtime)
    with runtime.db.session() as session:
        message = session.get(OutboundMessage, message_id)
        message.status, message.sending_started_at, message.attempts = "submitting", clock.now(), 1
    assert sending.send_outbound(message_id) == "skipped"
    clock.travel(timedelta(minutes=11))
    assert Scheduler(runtime).run_pass().unknown == 1
    assert row(runtime, message_id).status == "unknown"
    assert twilio.messages == []


def test_a_job_lost_while_redis_kept_its_data_is_queued_again_after_a_while(runtime, twilio):
    Scheduler(runtime).run_pass()
    message_id = queue_message(runtime)
    for queue in runtime.queues:
        queue.empty()  # as if a worker took the job and died with it
    assert Scheduler(runtime).run_pass().sends == 0, "queued a moment ago: give the worker time"
    clock.travel(timedelta(minutes=3))
    drain(runtime)
    assert row(runtime, message_id).status == "queued" and len(twilio.messages) == 1


def test_after_redis_lost_its_data_what_was_queued_is_queued_again_at_once(runtime, twilio):
    from bot.domain.inbound import receive

    Scheduler(runtime).run_pass()
    message_id = queue_message(runtime, body="Svar på det du skrev")
    receive(runtime, channel="sms", scheme="tel", address="+4520998877", body="hjælp", provider_id="SM" + "4" * 32)
    lose_redis_data(runtime)
    result = Scheduler(runtime).run_pass()
    assert (result.sends, result.contacts) == (1, 1), "no waiting: Redis said it lost them"
    drain(runtime)
    assert row(runtime, message_id).status == "queued"
    assert {m["to"] for m in twilio.messages} == {YOUNG_PERSON, "+4520998877"}, "the reply owed went out too"


def test_sms_without_twilio_configured_fails_clearly(runtime_factory, twilio):
    runtime = runtime_factory(twilio_account_sid="", twilio_auth_token="", twilio_from_number="")
    message_id = queue_message(runtime)
    assert sending.send_outbound(message_id) == "failed"
    assert row(runtime, message_id).error_code == "not_configured"


def test_answers_a_dead_worker_left_unsent_go_before_the_answer_to_the_next_message(runtime, twilio):
    from bot.domain.inbound import receive
    from bot.jobs import processing

    phone = "+4520555901"
    first = receive(runtime, channel="sms", scheme="tel", address=phone, body="demo", provider_id="SM" + "a" * 32)
    processing._process(runtime, first.contact_id)  # committed, and then the worker died before sending
    receive(runtime, channel="sms", scheme="tel", address=phone, body="Sara", provider_id="SM" + "b" * 32)
    processing.process_contact(first.contact_id)  # the job for "Sara", before the scheduler rescues anything
    assert [m["body"] for m in twilio.messages if m["to"] == phone] == [
        "Hej! Det her er en prøve. Hvad skal jeg kalde dig?",
        "Tak, Sara. Hvordan går din dag?\n1 Godt\n2 Sådan midt imellem\n3 Skidt",
    ]


def test_a_batch_sends_each_message_once_and_records_each(runtime, twilio):
    ids = [queue_message(runtime, body=f"Hej {n}", kind="automatic") for n in range(4)]
    assert sending.send_many(ids) == 4
    rows = [row(runtime, message_id) for message_id in ids]
    assert [(r.status, r.attempts) for r in rows] == [("queued", 1)] * 4
    assert [r.provider_id for r in rows] == [m["sid"] for m in twilio.messages]
    assert [m["body"] for m in twilio.messages] == ["Hej 0", "Hej 1", "Hej 2", "Hej 3"]


def test_in_a_batch_a_callback_that_beats_the_worker_is_applied(runtime, twilio, monkeypatch):
    # Twilio's "delivered" for the second message reaches the web before the worker has written
    # its sid (it is written with the next message's claim): it waits, and is applied then.
    from bot.channels.twilio_sms import TwilioSmsSender
    from bot.web import create_app

    from conftest import AUTH_TOKEN
    from support.signing import status_callback_params, twilio_signature

    client = create_app(runtime).test_client()
    ids = [queue_message(runtime, body=f"Hej {n}", kind="automatic") for n in range(3)]
    send = TwilioSmsSender.send

    def send_then_callback(self, message):
        result = send(self, message)
        if message.id == ids[1]:
            params = status_callback_params(result.provider_id, "delivered")
            path = "/webhooks/twilio/status"
            signature = twilio_signature(AUTH_TOKEN, PUBLIC_BASE_URL + path, params)
            assert client.post(path, data=params, headers={"X-Twilio-Signature": signature}).status_code == 204
            assert row(runtime, ids[1]).provider_id is None, "not written yet: the report waits"
        return result

    monkeypatch.setattr(TwilioSmsSender, "send", send_then_callback)
    assert sending.send_many(ids) == 3
    assert [row(runtime, message_id).status for message_id in ids] == ["queued", "delivered", "queued"]


def test_in_a_batch_a_provider_id_given_twice_marks_that_message_unknown_and_the_batch_goes_on(runtime, twilio, monkeypatch):
    from bot.channels.base import SendResult
    from bot.channels.twilio_sms import TwilioSmsSender

    ids = [queue_message(runtime, body=f"Hej {n}", kind="automatic") for n in range(3)]
    send, given = TwilioSmsSender.send, []

    def send_with_a_reused_id(self, message):
        result = send(self, message)
        given.append(result.provider_id)
        return SendResult(provider_id=given[0], status=result.status) if message.id == ids[1] else result

    monkeypatch.setattr(TwilioSmsSender, "send", send_with_a_reused_id)
    sending.send_many(ids)
    first, second, third = (row(runtime, message_id) for message_id in ids)
    assert (first.status, first.provider_id) == ("queued", given[0])
    assert (second.status, second.error_code, second.provider_id) == ("unknown", "duplicate_provider_id", None)
    assert (third.status, third.provider_id) == ("queued", given[2])
    assert len(twilio.messages) == 3, "nothing sent twice"
