"""The scheduler: the database says what is due, this process hands it to RQ.

Nothing waits in Redis for long, so a Redis restart or flush loses no message: every pass looks
again at what the database says is due and queues it. A job queued but not yet run is taken as
lost after a while (``REQUEUE_AFTER``), or at once when Redis shows it has lost its data: a marker
key that every pass sets is gone after a restart without persistence or a flush. Each pass costs
in proportion to what is due now, not to what is stored (indexes on the due times).
"""
from __future__ import annotations

import contextlib
import functools
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from redis.exceptions import LockError, RedisError
from sqlalchemy import or_, select, update

from bot.core import clock
from bot.domain import liveness
from bot.domain.attendance import attendance
from bot.domain.cases import upkeep as cases
from bot.domain.communities import reminders
from bot.domain.mood import planning as mood
from bot.domain.queueing import process_contact, send_outbound
from bot.runtime import Runtime
from bot.storage.models import Conversation, InboundMessage, OutboundMessage

log = logging.getLogger(__name__)

BATCH = 1000
# A queued job that has not run by then was lost (Redis flushed, worker gone): queue it again.
REQUEUE_AFTER = timedelta(minutes=2)
# Inbound messages are queued at once by the webhook; this only catches the ones Redis lost.
ORPHAN_AFTER = timedelta(seconds=30)
# Longer than any provider call can take: the worker died while it was sending.
STALE_SENDING_AFTER = timedelta(minutes=10)


# Events and reminders are planned again this often, and at once when a flow file changes.
PLAN_EVERY_SECONDS = 300
# Anonymous cases past their retention period are deleted this often.
PURGE_EVERY_SECONDS = 600
# The schedulers' lock lives this long unless renewed (between the tasks of a pass).
LOCK_SECONDS = 10


@dataclass
class PassResult:
    sends: int = 0
    contacts: int = 0
    unknown: int = 0
    reminders: int = 0
    mood: int = 0
    cases: int = 0
    case_alerts: int = 0
    failed: list[str] = field(default_factory=list)


def redis_lost_its_data(runtime: Runtime) -> bool:
    """True once after Redis came back empty (restarted without persistence, or flushed), and on
    the very first pass of an installation: whatever was queued before is not there any more."""
    return bool(runtime.redis.set(f"{runtime.queue_prefix}:queues-kept", "1", nx=True))


class Scheduler:
    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self._recently_queued: dict[int, float] = {}
        self._planned_for = None
        self._planned_at = 0.0
        self._recently_queued_cases: dict[int, float] = {}
        self._purged_at = -PURGE_EVERY_SECONDS

    def run_pass(self, still_ours: Callable[[], bool] = lambda: True) -> PassResult:
        """One pass: each task on its own, so one that fails (a bug, a bad row) does not stop the
        others; ``still_ours`` is asked between tasks (the lock renewed) and ends the pass if not."""
        now = clock.now()
        result = PassResult()
        queued_before = self._lost_since(now)
        tasks = [
            ("planning", lambda: self._plan_if_due(now)),
            ("reminders", lambda: reminders.queue_due(self.runtime, now, queued_before=queued_before)),
            ("mood", lambda: mood.send_due(self.runtime, now)),
            ("sends", lambda: self._queue_due_sends(now, queued_before or now - REQUEUE_AFTER)),
            ("contacts", lambda: self._queue_due_contacts(now, queued_before or now - ORPHAN_AFTER)),
            ("unknown", lambda: self._give_up_on_stale_sends(now)),
            ("cases", lambda: cases.requeue_lost(self.runtime, now, self._recently_queued_cases, time.monotonic(), queued_before=queued_before)),
            ("case_alerts", lambda: cases.alert_waiting(self.runtime, now)),
            ("purge", lambda: self._purge_if_due(now)),
        ]
        for name, task in tasks:
            if not still_ours():
                log.warning("scheduler: another scheduler holds the lock now; pass ended before %s", name)
                break
            try:
                done = task()
            except RedisError:
                raise  # nothing can be queued without Redis: the pass waits for it as a whole
            except Exception:
                result.failed.append(name)
                log.exception("scheduler: %s failed; the other tasks go on", name)
                continue
            if isinstance(done, int):
                setattr(result, name, done)
        return result

    def _lost_since(self, now) -> datetime | None:
        """``now`` when what is queued in Redis may be gone (Redis lost its data, a worker died)."""
        lost = "Redis holds none of our queues (the first pass here, or Redis restarted empty or was flushed)" if redis_lost_its_data(self.runtime) else None
        dead = None if lost else liveness.workers_died(self.runtime)
        if not (lost or dead):
            return None
        # Queue it all again now. Every job checks the database first, so a copy of a job that is
        # still there does nothing twice.
        log.warning("%s: queueing again what was queued", lost or f"{len(dead)} worker process(es) died")
        self._recently_queued.clear()
        self._recently_queued_cases.clear()
        return now

    def _purge_if_due(self, now) -> None:
        if time.monotonic() - self._purged_at >= PURGE_EVERY_SECONDS:
            cases.purge(self.runtime, now)
            self._purged_at = time.monotonic()

    def _plan_if_due(self, now) -> None:
        flows = self.runtime.flows.current()
        if flows is self._planned_for and time.monotonic() - self._planned_at < PLAN_EVERY_SECONDS:
            return
        reminders.plan(self.runtime, now)
        mood.plan(self.runtime, now)
        attendance.follow_up(self.runtime, flows.communities, now)
        self._planned_for, self._planned_at = flows, time.monotonic()

    def _queue_due_sends(self, now, lost_if_queued_before) -> int:
        with self.runtime.db.session() as session:
            rows = session.execute(
                select(OutboundMessage.id, OutboundMessage.kind)
                .where(
                    OutboundMessage.status == "pending",
                    OutboundMessage.send_after <= now,
                    or_(OutboundMessage.enqueued_at.is_(None), OutboundMessage.enqueued_at <= lost_if_queued_before),
                )
                # Messages held for the morning share a time: then the order they were written in.
                .order_by(OutboundMessage.send_after, OutboundMessage.id)
                .limit(BATCH)
            ).all()
            if rows:
                session.execute(
                    update(OutboundMessage).where(OutboundMessage.id.in_([r.id for r in rows])).values(enqueued_at=now)
                )
        self.runtime.enqueue(send_outbound(r.id, r.kind) for r in rows)
        return len(rows)

    def _queue_due_contacts(self, now, orphaned_if_received_before) -> int:
        with self.runtime.db.session() as session:
            due_conversations = session.scalars(
                select(Conversation.contact_id)
                .where(Conversation.ended_at.is_(None), Conversation.timeout_at <= now)
                .union(
                    select(Conversation.contact_id).where(Conversation.ended_at.is_(None), Conversation.expires_at <= now),
                    select(InboundMessage.contact_id).where(
                        InboundMessage.processed_at.is_(None), InboundMessage.received_at <= orphaned_if_received_before
                    ),
                )
                .limit(BATCH)
            ).all()
        moment = time.monotonic()
        self._recently_queued = {c: t for c, t in self._recently_queued.items() if moment - t < ORPHAN_AFTER.total_seconds()}
        queued = 0
        for contact_id in due_conversations:
            if contact_id in self._recently_queued:
                continue
            if self.runtime.enqueue([process_contact(contact_id)]):
                self._recently_queued[contact_id] = moment
                queued += 1
        return queued

    def _give_up_on_stale_sends(self, now) -> int:
        with self.runtime.db.session() as session:
            stale = session.scalars(
                select(OutboundMessage.id)
                .where(OutboundMessage.status == "submitting", OutboundMessage.sending_started_at <= now - STALE_SENDING_AFTER)
                .limit(BATCH)
            ).all()
            if stale:
                session.execute(
                    update(OutboundMessage)
                    .where(OutboundMessage.id.in_(stale))
                    .values(status="unknown", error_code="worker_lost", updated_at=now)
                )
        for message_id in stale:
            log.error("outbound message %s: the worker died while sending; marked unknown, not resent", message_id)
        return len(stale)


def _renewed(lock) -> bool:
    try:
        lock.reacquire()
        return True
    except LockError:
        return False


def _release(lock) -> None:
    # LockError: it expired and another scheduler may hold it now, theirs to release.
    with contextlib.suppress(LockError):
        lock.release()


def run_forever(runtime: Runtime, interval: float = 1.0) -> None:
    """Run passes until SIGTERM/SIGINT. Several schedulers may run; one holds the lock at a time."""
    stopping = False

    def stop(_signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler = Scheduler(runtime)
    log.info("scheduler started (one pass every %.1f s)", interval)
    while not stopping:
        started = time.monotonic()
        try:
            # Several schedulers may run for safety; one pass at a time is enough. The lock is
            # renewed between the pass's tasks, so a long pass keeps it and a dead one frees it soon.
            lock = runtime.redis.lock(f"{runtime.queue_prefix}:scheduler", timeout=max(LOCK_SECONDS, interval * 5))
            if lock.acquire(blocking=False):
                try:
                    result = scheduler.run_pass(still_ours=functools.partial(_renewed, lock))
                finally:
                    _release(lock)
                liveness.record_pass(runtime)
                if result.sends or result.contacts or result.unknown:
                    log.info("scheduler pass: %d sends, %d contacts queued, %d marked unknown", result.sends, result.contacts, result.unknown)
        except RedisError as exc:
            log.warning("scheduler: Redis unavailable (%s); trying again", type(exc).__name__)
        except Exception:
            log.exception("scheduler pass failed; trying again")
        time.sleep(max(0.0, interval - (time.monotonic() - started)))
    log.info("scheduler stopped")
