"""The live parts one process shares: settings, database, Redis, queues and flows.

Created once per process from the environment (or handed in by a test), so RQ jobs, the web app
and the CLI all see the same configuration.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from redis import ConnectionPool, Redis
from redis.exceptions import RedisError
from redis.sentinel import Sentinel
from rq import Queue
from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.config import Settings, load_settings
from bot.flows.registry import FlowRegistry
from bot.storage.db import Database

# Direct replies first, then the processing of what young people wrote, then bulk sends.
QUEUE_KINDS = ("replies", "inbound", "bulk")
REPLIES, INBOUND, BULK = QUEUE_KINDS
JOBS_AFTER_COMMIT = "jobs_after_commit"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A job by its function's dotted name (``bot.domain.queueing`` names them all)."""

    queue: str
    name: str
    args: tuple
    timeout: int = 60
    at_front: bool = False


# A job, or how to make it once the flush has given its rows their ids.
Deferred = Job | Callable[[], Job]


def connect_redis(settings: Settings, **options: Any) -> Redis:
    """Redis as configured: ``REDIS_URL`` (``redis://``, ``rediss://`` for TLS with e.g.
    ``?ssl_ca_certs=/etc/ungebot/redis-ca.pem``, ``unix://``), or the master Sentinel names
    (``REDIS_SENTINELS``), asked again after a failover."""
    if not settings.redis_sentinels:
        return Redis.from_url(settings.redis_url, **options)
    # The database, password and TLS of REDIS_URL, for the master wherever Sentinel says it is.
    from_url = ConnectionPool.from_url(settings.redis_url).connection_kwargs
    kept = {key: value for key, value in from_url.items() if key in ("db", "username", "password") or key.startswith("ssl")}
    if settings.redis_url.startswith("rediss://"):
        kept["ssl"] = True
    timeouts = {key: value for key, value in options.items() if key.startswith("socket")}
    sentinel = Sentinel(settings.sentinel_addresses, sentinel_kwargs=timeouts, **timeouts)
    master: Redis = sentinel.master_for(settings.redis_sentinel_master, **{**kept, **options})
    return master


class Runtime:
    def __init__(self, settings: Settings, queue_prefix: str | None = None):
        self.settings = settings
        self.db = Database(settings.sqlalchemy_url, prepared_statements=settings.database_prepared_statements)
        # Transcript runs use a prefix of their own, so they never take production jobs.
        self.queue_prefix = queue_prefix or settings.queue_prefix
        self._queues: dict[str, Queue] = {}
        event.listen(self.db.sessions, "after_commit", self._queue_after_commit)

    @cached_property
    def redis(self) -> Redis:
        return connect_redis(self.settings, socket_connect_timeout=2, socket_timeout=5)

    @cached_property
    def flows(self) -> FlowRegistry:
        return FlowRegistry(self.settings.flows_dir)

    def queue(self, kind: str) -> Queue:
        # One Queue per kind and connection: making one resolves RQ's serializer, and every webhook queues a job.
        queue = self._queues.get(kind)
        if queue is None or queue.connection is not self.redis:
            queue = self._queues[kind] = Queue(f"{self.queue_prefix}-{kind}", connection=self.redis)
        return queue

    @property
    def queues(self) -> list[Queue]:
        return [self.queue(kind) for kind in QUEUE_KINDS]

    def enqueue(self, jobs: Iterable[Job]) -> bool:
        """False (and a warning) when Redis would not take them: what they owe is in the
        database, and the scheduler's next pass queues it again."""
        jobs = list(jobs)
        try:
            # One round trip for all of them (RQ's own enqueue takes two per job without a pipeline).
            # RQ wraps what it adds to a pipeline in MULTI/EXEC: Redis takes all of them or none.
            with self.redis.pipeline(transaction=False) as pipeline:
                for job in jobs:
                    self.queue(job.queue).enqueue_call(job.name, job.args, timeout=job.timeout, at_front=job.at_front, pipeline=pipeline)
                pipeline.execute()
        except RedisError as exc:
            log.warning("could not queue %d job(s) (%s); the scheduler will", len(jobs), type(exc).__name__)
            return False
        return True

    def _queue_after_commit(self, session: Session) -> None:
        # Never before the commit (a job could run before its rows exist), never after a rollback.
        waiting: list[Deferred] = session.info.pop(JOBS_AFTER_COMMIT, [])
        if waiting:
            self.enqueue(job if isinstance(job, Job) else job() for job in waiting)


_lock = threading.Lock()
_current: Runtime | None = None


def get_runtime() -> Runtime:
    global _current
    with _lock:
        if _current is None:
            _current = Runtime(load_settings())
        return _current


def set_runtime(runtime: Runtime | None) -> None:
    global _current
    with _lock:
        _current = runtime


def current_runtime() -> Runtime | None:
    return _current
