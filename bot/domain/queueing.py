"""Jobs, queued by name once the transaction that made their work has committed.

A job queued before its rows commit could run before they exist, and one queued for a
transaction that then rolls back would find nothing to do. So the domain never queues by hand
after a ``with`` block: it hands the job to ``queue_after_commit``, and SQLAlchemy's
``after_commit`` event of that session queues it. Redis being away loses nothing: the rows say
what is owed, and the scheduler queues it again. This is the one module that names the jobs.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.runtime import BULK, INBOUND, REPLIES, Runtime

log = logging.getLogger(__name__)

SEND_REMINDERS = "bot.jobs.reminders.send_batch"
_WAITING = "jobs_after_commit"


@dataclass(frozen=True)
class Job:
    queue: str
    name: str
    args: tuple
    timeout: int = 60
    at_front: bool = False


def process_contact(contact_id: int) -> Job:
    return Job(INBOUND, "bot.jobs.processing.process_contact", (contact_id,))


def process_case(case_id: int) -> Job:
    return Job(INBOUND, "bot.jobs.case_processing.process_case", (case_id,))


def send_outbound(message_id: int, kind: str) -> Job:
    """Replies go before everything automatic (a day-of reminder waits behind an answer)."""
    return Job(BULK if kind == "automatic" else REPLIES, "bot.jobs.sending.send_outbound", (message_id,))


def send_many(message_ids: list[int]) -> Job:
    """The rest of a bulk batch, at the front of the bulk queue: it goes on once replies are out."""
    return Job(BULK, "bot.jobs.sending.send_many", (message_ids,), timeout=600, at_front=True)


def queue_now(runtime: Runtime, jobs: Iterable[Job]) -> bool:
    """False (and a warning) when Redis would not take them; the scheduler's next pass will."""
    jobs = list(jobs)
    try:
        for job in jobs:
            runtime.queue(job.queue).enqueue(job.name, *job.args, job_timeout=job.timeout, at_front=job.at_front)
    except RedisError as exc:
        log.warning("could not queue %d job(s) (%s); the scheduler will", len(jobs), type(exc).__name__)
        return False
    return True


def queue_after_commit(runtime: Runtime, session: Session, *jobs: Job) -> None:
    waiting = session.info.get(_WAITING)
    if waiting is None:
        waiting = session.info[_WAITING] = []
        event.listen(session, "after_commit", lambda committed: queue_now(runtime, committed.info.pop(_WAITING)), once=True)
    waiting.extend(jobs)
