"""A job is queued once its transaction commits: never before, never for a rollback, and a Redis
that is away at that moment loses nothing (the scheduler queues the row again)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from redis import Redis

from bot.core import clock
from bot.domain.contacts.contacts import contact_for
from bot.domain.outbox import add_message
from bot.jobs.scheduler import Scheduler
from bot.runtime import BULK, REPLIES
from bot.storage.models import OutboundMessage

YOUNG_PERSON = "+4529700001"


def write(session, *, kind="reply", send_after=None, queue=True) -> OutboundMessage:
    now = clock.now()
    contact = contact_for(session, "tel", YOUNG_PERSON, now)
    return add_message(
        session, contact_id=contact.id, channel="sms", to_address=YOUNG_PERSON, body="Hej", kind=kind,
        send_after=send_after or now, now=now, queue=queue,
    )


def queued(runtime, kind=REPLIES) -> list:
    return [(job.func_name, job.args) for job in runtime.queue(kind).get_jobs()]


def test_a_message_is_queued_when_its_transaction_commits_and_not_before(runtime):
    with runtime.db.session() as session:
        message = write(session)
        session.flush()
        assert queued(runtime) == [], "a worker could look for the row before it is there"
    assert queued(runtime) == [("bot.jobs.sending.send_outbound", (message.id,))]


def test_a_message_whose_transaction_rolls_back_is_never_queued(runtime):
    with pytest.raises(LookupError), runtime.db.session() as session:
        write(session)
        session.flush()
        raise LookupError("something after the write failed")
    with runtime.db.session() as session:
        assert session.query(OutboundMessage).count() == 0
    assert queued(runtime) == []


def test_automatic_messages_wait_behind_replies_and_later_ones_wait_for_the_scheduler(runtime):
    with runtime.db.session() as session:
        automatic = write(session, kind="automatic")
        write(session, send_after=clock.now() + timedelta(hours=1))
        write(session, queue=False)  # the caller sends it itself (a reminder batch)
    assert queued(runtime, BULK) == [("bot.jobs.sending.send_outbound", (automatic.id,))]
    assert queued(runtime) == []


def test_redis_away_at_the_commit_loses_nothing(runtime, monkeypatch, captured_logs):
    Scheduler(runtime).run_pass()
    with monkeypatch.context() as away:
        away.setitem(runtime.__dict__, "redis", Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1))
        with runtime.db.session() as session:
            message = write(session)
    assert "could not queue 1 job(s) (ConnectionError); the scheduler will" in captured_logs()
    with runtime.db.session() as session:
        assert session.get(OutboundMessage, message.id).status == "pending", "committed all the same"
    clock.set_now(clock.now() + timedelta(minutes=5))
    assert Scheduler(runtime).run_pass().sends == 1
    assert queued(runtime) == [("bot.jobs.sending.send_outbound", (message.id,))]
