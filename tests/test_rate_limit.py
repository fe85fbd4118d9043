"""SEND_RATE: a per-sender token bucket in Redis, shared by all workers; direct replies never wait.

And the other half of "replies ahead of bulk": a long bulk batch hands its tail back to the queue
when a reply is waiting, so one busy worker still answers within a couple of seconds.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.config import ConfigError, load_settings
from bot.core import clock
from bot.domain import inbound
from bot.domain.communities import reminders
from bot.domain.contacts.contacts import contact_for
from bot.domain.outbox import add_message
from bot.jobs import sending
from bot.jobs.rate_limit import RateLimiter, default_burst, limiter_for
from bot.runtime import BULK
from bot.storage.models import OutboundMessage, Reminder

from conftest import REDIS_URL
from helpers import drain, outbox

PROJECT = Path(__file__).resolve().parent.parent
CPH = ZoneInfo("Europe/Copenhagen")


def sender() -> str:
    return f"sms:+45{uuid.uuid4().int % 10**8:08d}"


def limiter(redis_connection, rate: float, **kwargs) -> RateLimiter:
    return RateLimiter(redis_connection, rate, prefix=f"ungebot-test-{uuid.uuid4().hex[:8]}", **kwargs)


# -- the bucket ---------------------------------------------------------------------------------


def test_the_rate_is_kept_over_two_seconds(redis_connection):
    bucket, who = limiter(redis_connection, 20), sender()
    taken = []
    started = time.monotonic()
    while time.monotonic() - started < 2.0:
        assert bucket.acquire(who, timeout=1)
        taken.append(time.monotonic() - started)
    # 20/s for 2 s, plus the one token a full bucket starts with. Never more: that is the
    # promise. Fewer only when a busy machine is slow to ask, so that bound is loose.
    assert 30 <= len(taken) <= 43, len(taken)
    in_the_first_half_second = sum(1 for at in taken if at < 0.5)
    assert in_the_first_half_second <= 12, "no early rush: the bucket starts with one token"


def test_a_bucket_never_holds_more_than_its_burst(redis_connection):
    assert default_burst(100) == 10 and default_burst(1) == 1
    bucket, who = limiter(redis_connection, 20, burst=3), sender()
    time.sleep(0.5)  # quiet for 10 tokens' worth; the bucket keeps 3
    at_once = 0
    while bucket.take(who).granted:
        at_once += 1
    assert 3 <= at_once <= 4, "the burst, and at most one more filled in while taking"


def test_senders_have_buckets_of_their_own(redis_connection):
    bucket = limiter(redis_connection, 1)
    first, second = sender(), sender()
    assert bucket.take(first).granted and not bucket.take(first).granted
    assert bucket.take(second).granted


def test_a_reply_takes_its_token_at_once_and_bulk_waits_for_it(redis_connection):
    bucket, who = limiter(redis_connection, 0.5), sender()
    assert bucket.take(who).granted  # the bucket is empty now
    started = time.monotonic()
    assert bucket.take(who, force=True).granted, "a reply never waits"
    assert bucket.take(who, force=True).granted
    assert time.monotonic() - started < 1.0, "a bulk token would take 2 s"
    waiting = bucket.take(who)
    assert not waiting.granted
    # Two replies went into debt: bulk waits for their tokens too (3 x 2 s, less what has passed).
    assert 4.0 <= waiting.wait <= 6.0


SHARER = textwrap.dedent(
    """
    import sys, time
    from redis import Redis
    from bot.jobs.rate_limit import RateLimiter
    url, prefix, who, start = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    bucket = RateLimiter(Redis.from_url(url), 25, prefix=prefix)
    while time.time() < start:
        time.sleep(0.001)
    count = 0
    while time.time() < start + 2.0:
        if bucket.acquire(who, timeout=0.5):
            count += 1
    print(count)
    """
)


def test_two_processes_share_one_bucket(redis_connection):
    prefix, who = f"ungebot-test-{uuid.uuid4().hex[:8]}", sender()
    start = time.time() + 1.5  # both are running by then
    processes = [
        subprocess.Popen([sys.executable, "-c", SHARER, REDIS_URL, prefix, who, str(start)], cwd=PROJECT, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    counts = [int(process.communicate(timeout=30)[0]) for process in processes]
    # 25/s for 2 s between them (plus the first token), not 25/s each (that would be about 100).
    # How the tokens split between the two is up to the operating system's scheduler.
    assert 35 <= sum(counts) <= 54, counts
    assert min(counts) >= 1, f"both got tokens: {counts}"


def test_send_rate_is_validated():
    assert load_settings(send_rate="").send_rate == 0
    assert load_settings(send_rate="0").send_rate == 0
    assert load_settings(send_rate="2.5").send_rate == 2.5
    for wrong in ("-1", "fast", "nan", "inf"):
        with pytest.raises(ConfigError, match=r"^SEND_RATE: "):
            load_settings(send_rate=wrong)


# -- sending with SEND_RATE -----------------------------------------------------------------------


def queue_messages(runtime, count: int, kind: str) -> list[int]:
    """Outbox rows the test sends itself, in order, as a reminder batch does (so none is queued)."""
    now = clock.now()
    with runtime.db.session() as session:
        made = []
        for index in range(count):
            phone = f"+4529{index:06d}"
            contact = contact_for(session, "tel", phone, now)
            made.append(
                add_message(
                    session, contact_id=contact.id, channel="sms", to_address=phone, body="Hej", kind=kind, send_after=now, now=now, queue=False
                )
            )
        session.flush()
        return [m.id for m in made]


def test_no_send_rate_means_no_limiter(runtime):
    assert limiter_for(runtime) is None


def test_bulk_messages_keep_the_rate_and_replies_do_not_wait(runtime_factory, twilio, monkeypatch):
    # One slice for the whole batch: on a slow machine the sends themselves may outlast the
    # default slice, and handing the tail back is tested on its own below.
    monkeypatch.setattr(sending, "SLICE_SECONDS", 30.0)
    runtime = runtime_factory(send_rate="10", quiet_hours="off")
    bulk = queue_messages(runtime, 12, "automatic")
    started = time.monotonic()
    assert sending.send_in_order(runtime, bulk) == 12
    elapsed = time.monotonic() - started
    assert elapsed >= 1.0, f"12 messages at 10/s (the first at once): {elapsed:.2f} s"
    (reply,) = queue_messages(runtime, 1, "reply")
    started = time.monotonic()
    assert sending.send_outbound(reply) == "sent"
    assert time.monotonic() - started < 2.0, "the bucket is empty, but a reply does not wait"
    assert len(twilio.messages) == 13


def test_a_batch_that_would_wait_too_long_hands_its_tail_back(runtime_factory, twilio, monkeypatch):
    monkeypatch.setattr(sending, "SLICE_SECONDS", 0.5)
    runtime = runtime_factory(send_rate="4", quiet_hours="off")
    ids = queue_messages(runtime, 8, "automatic")
    sent = sending.send_in_order(runtime, ids)
    assert 2 <= sent <= 4, "about half a second's worth at 4/s"
    (job,) = runtime.queue(BULK).jobs
    assert job.func_name == "bot.jobs.sending.send_many" and job.args == (ids[sent:],)
    waiting = outbox(runtime, status="pending")
    assert [m.id for m in waiting] == ids[sent:]
    assert all(m.enqueued_at >= m.created_at for m in waiting), "marked as held by a job, so the scheduler leaves them"
    monkeypatch.setattr(sending, "SLICE_SECONDS", 5.0)
    drain(runtime)
    assert len(twilio.messages) == 8 and len({m["to"] for m in twilio.messages}) == 8


# -- replies ahead of a long bulk batch -----------------------------------------------------------


def next_thursday() -> date:
    today = datetime.now(CPH).date() + timedelta(days=1)
    return today + timedelta(days=(3 - today.weekday()) % 7)


def test_a_reply_goes_out_while_a_long_batch_of_reminders_is_still_sending(runtime_factory, twilio, tmp_path):
    from test_concurrency import environment

    fixture = PROJECT / "tests" / "fixtures" / "communities" / "torsdag.yaml"
    (tmp_path / "torsdag.yaml").write_text(fixture.read_text())
    runtime = runtime_factory(flows_dir=tmp_path, quiet_hours="off")
    from bot.domain.communities import members

    thursday = next_thursday()
    clock.set_now(datetime.combine(thursday, datetime.min.time().replace(hour=9), tzinfo=CPH))
    with runtime.db.session() as session:
        for index in range(20):
            members.add_member(session, community="torsdag", phone=f"+4529{index:06d}", name=f"Ung{index}", source="api", now=clock.now())
    reminders.plan(runtime)
    clock.reset()
    with runtime.db.session() as session:
        session.execute(update(Reminder).values(send_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert reminders.queue_due(runtime, clock.now()) == 20  # one batch: one job for 20 reminders
    twilio.delay_next(0.3, times=100)  # a slow provider: the batch takes 6 s or more
    worker = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "worker"], env=environment(runtime), cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while len(twilio.messages) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        first = twilio.messages[0]["to"]
        inbound.receive(runtime, channel="sms", scheme="tel", address=first, body="ja", provider_id="SM" + uuid.uuid4().hex)
        posted = time.monotonic()
        answered = None
        while len(twilio.messages) < 21 and time.monotonic() < deadline:
            if answered is None and any(m["body"] == "Fedt, vi ses!" for m in twilio.messages):
                answered = time.monotonic() - posted
            time.sleep(0.02)
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    bodies = [m["body"] for m in twilio.messages]
    assert len(bodies) == 21, "every reminder and the reply"
    position = bodies.index("Fedt, vi ses!")
    assert position < 20, f"the reply went out before the batch finished (as message {position + 1} of 21)"
    assert answered is not None and answered < 5, f"answered {answered} s after it came in"
    with runtime.db.session() as session:
        assert set(session.scalars(select(Reminder.status))) == {"sent"}
        assert len(set(session.scalars(select(OutboundMessage.to_address).where(OutboundMessage.kind == "automatic")))) == 20
