"""The worker process through Redis faults: it outlives a Redis restart and stops when told.

These run a redis-server of their own on a free port, so restarting it touches nothing else.
"""
from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rq import Queue
from test_concurrency import environment

from bot.jobs.worker import RENAMED_JOBS, UngebotWorker
from bot.runtime import INBOUND

from bench.common import PrivateRedis
from conftest import SERVER_DATABASE

pytestmark = [
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server on PATH"),
    # The database plays no part here: once is enough.
    pytest.mark.parametrize("database_url", [SERVER_DATABASE], indirect=True),
]


@pytest.fixture
def private_redis(tmp_path):
    with PrivateRedis(tmp_path) as server:
        yield server


def start_worker(runtime, redis_url: str, log_path: Path) -> subprocess.Popen:
    env = {**environment(runtime), "REDIS_URL": redis_url, "LOG_LEVEL": "INFO"}
    with open(log_path, "w") as log_file:
        return subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"], env=env, stdout=log_file, stderr=subprocess.STDOUT)


def wait_until(condition, timeout: float, what: str, log_path: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception:  # noqa: BLE001 - Redis may be down for a moment
            pass
        time.sleep(0.05)
    said = log_path.read_text()[-3000:] if log_path else ""
    raise AssertionError(f"{what} within {timeout} s; the worker said:\n{said}")


def test_a_burst_worker_ends_as_soon_as_the_queues_are_empty(runtime):
    # A redis-py whose pubsub thread holds up RQ's teardown would make every burst take a minute
    # (and `ungebot flows test` with it): the lock file must never bring one in.
    started = time.monotonic()
    UngebotWorker(runtime.queues, connection=runtime.redis).work(burst=True, logging_level="WARNING")
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("old_name", sorted(RENAMED_JOBS))
def test_a_job_queued_by_the_release_before_the_layers_still_runs(runtime, old_name):
    job = runtime.queue(INBOUND).enqueue(old_name, [] if "many" in old_name or "batch" in old_name else 999_999)
    UngebotWorker(runtime.queues, connection=runtime.redis).work(burst=True, logging_level="WARNING")
    assert job.get_status(refresh=True) == "finished", job.latest_result().exc_string


def test_a_worker_outlives_a_redis_restart_and_works_on(runtime, private_redis, tmp_path):
    log_path = tmp_path / "worker.log"
    worker = start_worker(runtime, private_redis.url, log_path)
    queue = Queue(f"{runtime.queue_prefix}-replies", connection=private_redis.client)
    try:
        first = queue.enqueue("os.getpid")
        wait_until(lambda: first.get_status(refresh=True) == "finished", 20, "a job before the restart", log_path)
        private_redis.stop()
        time.sleep(1.5)  # the worker meets the outage: its heartbeat and its wait for jobs fail
        private_redis.start()
        assert worker.poll() is None, log_path.read_text()[-3000:]
        queue = Queue(f"{runtime.queue_prefix}-replies", connection=private_redis.client)
        started = time.monotonic()
        second = queue.enqueue("os.getpid")
        wait_until(lambda: second.get_status(refresh=True) == "finished", 15, "a job after the restart", log_path)
        assert time.monotonic() - started < 10, "back within seconds"
        assert worker.poll() is None
        assert "Redis unavailable" in log_path.read_text() or "Error" in log_path.read_text(), "the outage was met"
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=15)
    assert worker.returncode == 0, log_path.read_text()[-3000:]


def test_a_worker_waiting_for_redis_stops_when_told(runtime, private_redis, tmp_path):
    log_path = tmp_path / "worker.log"
    worker = start_worker(runtime, private_redis.url, log_path)
    try:
        wait_until(lambda: private_redis.client.smembers("rq:workers"), 20, "the worker registered", log_path)
        time.sleep(6)  # idle for longer than the jobs' Redis connections wait for an answer
        assert "quitting" not in log_path.read_text(), "an idle worker keeps its loop"
        private_redis.stop()
        time.sleep(1.0)
        assert worker.poll() is None, log_path.read_text()[-3000:]
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, log_path.read_text()[-3000:]
