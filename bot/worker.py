"""The RQ worker: runs the jobs (processing messages, sending them) from Ungebot's queues."""
from __future__ import annotations

import logging
import signal

from rq import SimpleWorker

from bot.runtime import Runtime

log = logging.getLogger(__name__)


def run_worker(runtime: Runtime, burst: bool = False) -> bool:
    # SimpleWorker runs jobs in-process: no fork per job (3x the throughput), and database
    # connections are never shared across a fork. Every job is safe to run again if it dies.
    worker = SimpleWorker(runtime.queues, connection=runtime.redis)
    log.info("worker listening on %s", ", ".join(q.name for q in runtime.queues))
    return worker.work(burst=burst, with_scheduler=False, logging_level=runtime.settings.log_level)


def run_until_idle(runtime: Runtime, rounds: int = 20) -> None:
    """Scheduler passes and burst workers in this process until nothing is queued (transcripts, tests)."""
    from bot.scheduler import Scheduler

    for _ in range(rounds):
        Scheduler(runtime).run_pass()
        if all(queue.count == 0 for queue in runtime.queues):
            return
        # A burst worker takes over SIGINT and SIGTERM and leaves them so: give them back, or a
        # later Ctrl-C would land in whatever the caller does next as RQ's StopRequested.
        handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
        try:
            SimpleWorker(runtime.queues, connection=runtime.redis).work(burst=True, logging_level="WARNING")
        finally:
            for number, handler in handlers.items():
                signal.signal(number, handler)
