"""A worker process's heartbeat: a key that expires unless renewed (read in bot.domain.liveness).

A worker that is killed (SIGKILL, out of memory) says no goodbye; the scheduler notices its key is
gone within ``ALIVE_FOR`` seconds and queues again what it may have held, instead of waiting
minutes for what was queued to count as lost.
"""
from __future__ import annotations

import os
import socket
import threading

from redis.exceptions import RedisError

from bot.domain.liveness import alive_key, workers_key
from bot.runtime import Runtime

HEARTBEAT_SECONDS = 2
ALIVE_FOR = 10


class Heartbeat(threading.Thread):
    """Keeps ``<prefix>:worker-alive:<host:pid>`` (expiring) set while this process lives."""

    def __init__(self, runtime: Runtime):
        super().__init__(name="heartbeat", daemon=True)
        self.runtime = runtime
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.is_set():
            try:
                with self.runtime.redis.pipeline() as pipe:
                    pipe.sadd(workers_key(self.runtime), self.worker)
                    pipe.set(alive_key(self.runtime, self.worker), "1", ex=ALIVE_FOR)
                    pipe.execute()
            except RedisError:
                pass  # Redis is away; the worker's own loop waits for it
            self._stopped.wait(HEARTBEAT_SECONDS)

    def stop(self) -> None:
        self._stopped.set()
        try:
            with self.runtime.redis.pipeline() as pipe:
                pipe.srem(workers_key(self.runtime), self.worker)
                pipe.delete(alive_key(self.runtime, self.worker))
                pipe.execute()
        except RedisError:
            pass
