"""The scheduler's pass: each task on its own, and a lock that stays its own while it works."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import update
from test_sending import queue_message

from bot.domain.communities import reminders
from bot.jobs.scheduler import Scheduler, _renewed
from bot.storage.models import OutboundMessage


def test_a_task_that_fails_does_not_stop_the_others(runtime, monkeypatch, captured_logs):
    Scheduler(runtime).run_pass()
    queue_message(runtime)
    with runtime.db.session() as session:
        session.execute(update(OutboundMessage).values(enqueued_at=None))  # due and not yet queued

    def broken(*_args, **_kwargs):
        raise ValueError("a bad row")

    monkeypatch.setattr(reminders, "queue_due", broken)
    result = Scheduler(runtime).run_pass()
    assert result.failed == ["reminders"]
    assert result.sends == 1, "the due message was queued all the same"
    assert "scheduler: reminders failed; the other tasks go on" in captured_logs()


def test_a_pass_ends_when_the_lock_is_no_longer_ours(runtime, captured_logs):
    answers = iter([True, True, False])
    result = Scheduler(runtime).run_pass(still_ours=lambda: next(answers, False))
    assert result.failed == []
    assert "pass ended before mood" in captured_logs()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_lock_is_renewed_while_a_pass_works_and_lost_when_another_took_it(runtime):
    key = f"{runtime.queue_prefix}:scheduler"
    ours = runtime.redis.lock(key, timeout=1)
    assert ours.acquire(blocking=False)
    for _ in range(3):  # 1.5 s in all: longer than the lock would live without renewal
        time.sleep(0.5)
        assert _renewed(ours)
    assert not runtime.redis.lock(key, timeout=1).acquire(blocking=False), "still ours"
    runtime.redis.delete(key)
    theirs = runtime.redis.lock(key, timeout=5)
    assert theirs.acquire(blocking=False)
    assert not _renewed(ours), "taken by another scheduler once it had expired"
    theirs.release()
