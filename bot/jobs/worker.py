"""The RQ worker: runs the jobs (processing messages, sending them) from Ungebot's queues.

A worker outlives Redis: when Redis restarts or goes away, RQ's work loop ends with an error, and
``run_worker`` waits (with backoff) until Redis answers and starts a new loop on the same queues.
Nothing is lost meanwhile: what is owed is in the database, and the scheduler queues it again.
"""
from __future__ import annotations

import logging
import signal
import time

from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.job import Job
from rq.utils import import_attribute

from bot.jobs.liveness import Heartbeat
from bot.jobs.scheduler import Scheduler
from bot.runtime import Runtime, connect_redis

log = logging.getLogger(__name__)

# Waits between tries while Redis is away; short at first, so a restart costs seconds, not minutes.
RECONNECT_BACKOFF = (0.2, 0.5, 1.0, 2.0, 5.0)


# Jobs are queued by name, and Redis may still hold jobs queued by the release before bot/ had
# its layers (docs/architecture.md); they run under their new names.
RENAMED_JOBS = {
    "bot.processing.process_contact": "bot.jobs.processing.process_contact",
    "bot.cases.processing.process_case": "bot.jobs.case_processing.process_case",
    "bot.sending.send_outbound": "bot.jobs.sending.send_outbound",
    "bot.sending.send_many": "bot.jobs.sending.send_many",
    "bot.reminders.send_batch": "bot.jobs.reminders.send_batch",
}


class UngebotJob(Job):
    @property
    def func(self):
        return import_attribute(RENAMED_JOBS.get(self.func_name, self.func_name))


class UngebotWorker(SimpleWorker):
    """SimpleWorker runs jobs in-process: no fork per job (3x the throughput), and database
    connections are never shared across a fork. Every job is safe to run again if it dies."""

    job_class = UngebotJob
    stop_was_requested = False

    def request_stop(self, signum, frame):
        self.stop_was_requested = True
        super().request_stop(signum, frame)

    def teardown(self):
        try:
            super().teardown()
        except RedisError:
            # Redis is gone, so RQ could not record the death; stop the command thread anyway,
            # or each reconnect would leave one more behind.
            if self.pubsub_thread is not None:
                self.pubsub_thread.stop()


class _BurstWorker(UngebotWorker):
    """For work in this process until the queues are empty: no command channel is needed, and
    without one no pubsub thread can hold up the end of the burst."""

    def subscribe(self):
        pass

    def unsubscribe(self):
        pass


class _StopFlag:
    """SIGINT/SIGTERM noted while no RQ loop runs (RQ's handlers go with its loop)."""

    def __init__(self):
        self.is_set = False
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, self._stop)

    def _stop(self, _signum, _frame):
        self.is_set = True

    def wait(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not self.is_set and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.is_set


def run_worker(runtime: Runtime, burst: bool = False) -> bool:
    """Work until SIGTERM/SIGINT (or, with ``burst``, until the queues are empty), across Redis outages."""
    heartbeat = Heartbeat(runtime)
    heartbeat.start()
    try:
        return _work(runtime, burst)
    finally:
        heartbeat.stop()


def _work(runtime: Runtime, burst: bool) -> bool:
    worked = False
    # A connection of RQ's own: RQ lengthens its socket timeout for its long blocking wait for
    # jobs, and a wait on a short-timeout connection from a shared pool (the jobs', the
    # heartbeat's) would end in a TimeoutError, which can take a job from the queue and lose it.
    connection = connect_redis(runtime.settings, socket_connect_timeout=2)
    queue_names = [queue.name for queue in runtime.queues]
    while True:
        worker = UngebotWorker(queue_names, connection=connection)
        log.info("worker listening on %s", ", ".join(queue_names))
        try:
            worked = worker.work(burst=burst, with_scheduler=False, logging_level=runtime.settings.log_level) or worked
        except RedisError as exc:
            log.warning("worker: Redis unavailable (%s)", type(exc).__name__)
        if worker.stop_was_requested or burst:
            return worked
        # RQ's loop ended on an error (it has logged it): start a new one once Redis answers.
        if not _wait_for_redis(runtime, _StopFlag()):
            return worked


def _wait_for_redis(runtime: Runtime, stopping: _StopFlag) -> bool:
    """True once Redis answers; False if a stop came first."""
    tries = 0
    while not stopping.wait(RECONNECT_BACKOFF[min(tries, len(RECONNECT_BACKOFF) - 1)]):
        try:
            runtime.redis.ping()
        except RedisError:
            tries += 1
            continue
        log.info("worker: Redis answers; listening again")
        return True
    return False


def run_until_idle(runtime: Runtime, rounds: int = 20) -> None:
    """Scheduler passes and burst workers in this process until nothing is queued (transcripts, tests)."""
    for _ in range(rounds):
        Scheduler(runtime).run_pass()
        if all(queue.count == 0 for queue in runtime.queues):
            return
        # A burst worker takes over SIGINT and SIGTERM and leaves them so: give them back, or a
        # later Ctrl-C would land in whatever the caller does next as RQ's StopRequested.
        handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
        try:
            _BurstWorker(runtime.queues, connection=runtime.redis).work(burst=True, logging_level="WARNING")
        finally:
            for number, handler in handlers.items():
                signal.signal(number, handler)
