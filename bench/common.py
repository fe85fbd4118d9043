"""What the benchmarks share: a fresh database, a fast Twilio stand-in, real worker processes."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import create_engine, text

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

POSTGRES_ADMIN_URL = os.environ.get("UNGEBOT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("UNGEBOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
ACCOUNT_SID = "AC" + "0" * 31 + "2"
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
FROM_NUMBER = "+4570000002"
PUBLIC_BASE_URL = "https://ungebot.example.dk"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


@contextmanager
def fresh_database(kind: str = "postgresql", keep: bool = False, workdir: Path | None = None):
    """A new, empty, migrated database; dropped afterwards unless ``keep``."""
    from bot.storage.db import dispose_all
    from bot.storage.migrate import upgrade

    if kind == "sqlite":
        assert workdir is not None
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        upgrade(url)
        yield url
        dispose_all()
        return
    name = f"ungebot_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        dispose_all()
        if keep:
            print(f"kept database {url}")
        else:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def environment(database_url: str, flows_dir: Path, queue_prefix: str, twilio_api_url: str, **extra: str) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "TWILIO_API_URL": twilio_api_url,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "FLOWS_DIR": str(flows_dir),
        "SECRET_KEY": "bench",
        "QUIET_HOURS": "off",
        "QUEUE_PREFIX": queue_prefix,
        "LOG_LEVEL": "WARNING",
        "SEND_RATE": "",
        "TZ": "UTC",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT), os.environ.get("PYTHONPATH")])),
    }
    env.update(extra)
    return env


def settings_from(env: dict):
    from bot.config import load_settings

    return load_settings(
        database_url=env["DATABASE_URL"],
        redis_url=env["REDIS_URL"],
        twilio_account_sid=env["TWILIO_ACCOUNT_SID"],
        twilio_auth_token=env["TWILIO_AUTH_TOKEN"],
        twilio_from_number=env["TWILIO_FROM_NUMBER"],
        twilio_api_url=env["TWILIO_API_URL"],
        public_base_url=env["PUBLIC_BASE_URL"],
        flows_dir=env["FLOWS_DIR"],
        secret_key="bench",
        quiet_hours=env["QUIET_HOURS"],
        queue_prefix=env["QUEUE_PREFIX"],
        log_level=env["LOG_LEVEL"],
    )


@contextmanager
def runtime_for(env: dict):
    """This process's Runtime for ``env``, the current one while the block runs; the run's queues
    are deleted after it."""
    from bot.runtime import Runtime, set_runtime

    runtime = Runtime(settings_from(env))
    set_runtime(runtime)
    try:
        yield runtime
    finally:
        delete_queues(runtime)
        set_runtime(None)


@contextmanager
def standin(delay: float = 0.0):
    """The fast stand-in (bench/standin.py) in a process of its own; yields (url, stats())."""
    import requests

    process = subprocess.Popen(
        [sys.executable, str(PROJECT / "bench" / "standin.py"), "--port", "0", "--delay", str(delay)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the stand-in did not start: {line!r}")
        url = f"http://127.0.0.1:{int(line.split()[1])}"
        stats = lambda: requests.get(url + "/stats", timeout=5).json()  # noqa: E731
        stats.pid = process.pid
        stats.peak = lambda: requests.get(url + "/peak", timeout=30).json()["peak_per_second"]
        yield url, stats
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def workers(count: int, env: dict, runtime, log_path: Path | None = None):
    """``count`` real ``python -m bot.cli worker`` processes, listening before this yields."""
    from rq import Worker

    with open(log_path, "ab") if log_path else nullcontext(subprocess.DEVNULL) as output:
        processes = [
            subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"], env=env, cwd=PROJECT, stdout=output, stderr=output)
            for _ in range(count)
        ]
        try:
            deadline = time.monotonic() + 60
            queue = runtime.queues[0]
            while len(Worker.all(queue=queue)) < count:
                if any(p.poll() is not None for p in processes):
                    raise RuntimeError("a worker process exited at start" + (f"; see {log_path}" if log_path else ""))
                if time.monotonic() > deadline:
                    raise RuntimeError("the workers did not start within 60 s")
                time.sleep(0.1)
            yield processes
        finally:
            stop_processes(processes)


def start_process(args: list[str], env: dict, log) -> subprocess.Popen:
    """``python -m bot.cli *args`` (``ungebot web``, ``scheduler`` ...) with its output to ``log``."""
    return subprocess.Popen([sys.executable, "-m", "bot.cli", *args], env=env, cwd=PROJECT, stdout=log, stderr=log)


def stop_processes(processes, timeout: float = 20) -> None:
    """SIGTERM to each, and SIGKILL to any still running ``timeout`` seconds later."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def warm_up(runtime, processes) -> None:
    """One ``bench.noop.warm_up`` job per worker, as long-running workers have done it already."""
    from rq.registry import FinishedJobRegistry

    from bot.runtime import REPLIES

    queue = runtime.queue(REPLIES)
    registry = FinishedJobRegistry(queue=queue)
    before = registry.count
    barrier = f"{runtime.queue_prefix}:warm-up"
    for _ in processes:
        queue.enqueue("bench.noop.warm_up", barrier, len(processes), result_ttl=600)
    deadline = time.monotonic() + 60
    while registry.count - before < len(processes):
        if time.monotonic() > deadline:
            raise RuntimeError("the workers did not warm up within 60 s")
        time.sleep(0.05)
    time.sleep(0.2)


def delete_queues(runtime) -> None:
    """Remove the run's queues, its finished jobs and their results (they would expire anyway)."""
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    redis = runtime.redis
    for queue in runtime.queues:
        for registry in (FinishedJobRegistry(queue=queue), FailedJobRegistry(queue=queue)):
            ids = registry.get_job_ids()
            for start in range(0, len(ids), 1000):
                chunk = ids[start : start + 1000]
                redis.delete(*[f"rq:job:{i}" for i in chunk], *[f"rq:results:{i}" for i in chunk])
            redis.delete(registry.key)
        queue.delete(delete_jobs=True)
    for key in redis.scan_iter(f"{runtime.queue_prefix}:*"):
        redis.delete(key)


def cpu_seconds(pids) -> float:
    """User + system CPU seconds used so far by these processes (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


class CpuMeter:
    """CPU seconds used since it was made: by each group of processes in ``watched``, and by the
    rest of the machine, under the name ``rest``."""

    def __init__(self, watched: dict[str, list[int]], rest: str):
        self.watched, self.rest = watched, rest
        self.before = {name: cpu_seconds(pids) for name, pids in watched.items()}
        self.machine_before = machine_cpu_seconds()

    def used(self) -> dict[str, float]:
        used = {name: cpu_seconds(pids) - self.before[name] for name, pids in self.watched.items()}
        used[self.rest] = machine_cpu_seconds() - self.machine_before - sum(used.values())
        return used


def machine_cpu_seconds() -> float:
    """CPU seconds the whole machine has been busy (all cores, all processes; Linux /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[int]:
    """The local PostgreSQL server's processes (for CPU accounting; empty if it runs elsewhere).
    A backend that starts later is not among them: open the connections first."""
    return _pids_named("postgres")


def redis_pids() -> list[int]:
    return _pids_named("redis-server")


def _pids_named(command: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == command:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of one's own on a free port, without persistence (the worst case: a restart
    loses every queue), so that restarting or flushing it touches nothing else."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        from redis import Redis
        from redis.exceptions import RedisError

        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.client = Redis.from_url(self.url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                self.client.ping()
                return
            except RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        """As a crash would: SIGKILL, nothing saved."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> PrivateRedis:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
