"""The RQ worker: runs the jobs (processing messages, sending them) from Ungebot's queues."""
from __future__ import annotations

import logging

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
        SimpleWorker(runtime.queues, connection=runtime.redis).work(burst=True, logging_level="WARNING")
