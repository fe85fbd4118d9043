"""The live parts one process shares: settings, database, Redis, queues and flows.

Created once per process from the environment (or handed in by a test), so RQ jobs, the web app
and the CLI all see the same configuration.
"""
from __future__ import annotations

import threading
from functools import cached_property

from redis import Redis
from rq import Queue

from bot.config import Settings, load_settings
from bot.flows.registry import FlowRegistry
from bot.storage.db import Database

# Direct replies first, then the processing of what young people wrote, then bulk sends.
QUEUE_KINDS = ("replies", "inbound", "bulk")
REPLIES, INBOUND, BULK = QUEUE_KINDS


class Runtime:
    def __init__(self, settings: Settings, queue_prefix: str | None = None):
        self.settings = settings
        self.db = Database(settings.sqlalchemy_url)
        # Transcript runs use a prefix of their own, so they never take production jobs.
        self.queue_prefix = queue_prefix or settings.queue_prefix

    @cached_property
    def redis(self) -> Redis:
        return Redis.from_url(self.settings.redis_url, socket_connect_timeout=2, socket_timeout=5)

    @cached_property
    def flows(self) -> FlowRegistry:
        return FlowRegistry(self.settings.flows_dir)

    def queue(self, kind: str) -> Queue:
        return Queue(f"{self.queue_prefix}-{kind}", connection=self.redis)

    @property
    def queues(self) -> list[Queue]:
        return [self.queue(kind) for kind in QUEUE_KINDS]


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
