"""``ungebot run``: web, worker and scheduler on one laptop, and Redis too if need be."""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from urllib.parse import urlparse

import click
from redis import Redis
from redis.exceptions import RedisError

from bot import logs
from bot.chat import chat_loop
from bot.config import INSTANCE_DIR
from bot.runtime import Runtime
from bot.storage.migrate import upgrade

log = logging.getLogger(__name__)
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
PR_SET_PDEATHSIG = 1


def _redis_answers(url: str) -> bool:
    try:
        return bool(Redis.from_url(url, socket_connect_timeout=1).ping())
    except RedisError:
        return False


def start_local_redis(url: str) -> subprocess.Popen | None:
    """Start redis-server for a localhost REDIS_URL that nobody answers; None if one already runs."""
    if _redis_answers(url):
        return None
    parsed = urlparse(url)
    if parsed.hostname not in LOCAL_HOSTS:
        raise click.ClickException(f"REDIS_URL: no Redis answers at {parsed.hostname}:{parsed.port or 6379}")
    binary = shutil.which("redis-server")
    if binary is None:
        raise click.ClickException(
            "REDIS_URL: no Redis answers on localhost and redis-server is not installed; "
            "install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) or set REDIS_URL"
        )
    data = INSTANCE_DIR / "redis"
    data.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [binary, "--port", str(parsed.port or 6379), "--bind", "127.0.0.1", "--dir", str(data),
         "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--maxmemory-policy", "noeviction"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_die_with_parent,
    )
    for _ in range(50):
        if _redis_answers(url):
            click.echo(f"started redis-server on port {parsed.port or 6379} (data in {data})")
            return process
        time.sleep(0.1)
    process.terminate()
    raise click.ClickException("REDIS_URL: started redis-server, but it does not answer")


def _die_with_parent() -> None:
    """In the child: get SIGTERM when `ungebot run` dies, even by SIGKILL (Linux), so nothing is orphaned."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError, TypeError):
        pass  # not Linux: Ctrl-C and SIGTERM still stop everything through _stop_all


def _spawn(args: list[str], log_file) -> subprocess.Popen:
    env = {**os.environ, "TZ": "UTC", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )


def _end_what_it_left(child: subprocess.Popen) -> None:
    """A dead child's own children (a gunicorn master's workers) are ended with it: each child has
    a process group of its own, and a worker left over would hold the port and answer a request or
    two for the dead master before it noticed and quit."""
    with contextlib.suppress(ProcessLookupError, PermissionError):  # none left
        os.killpg(child.pid, signal.SIGTERM)


class Supervisor:
    """Keeps each child running: one that dies is started again, sooner if it had run a while."""

    # A child that lived this long had a good run: its next restart waits the shortest time.
    HEALTHY_AFTER = 60.0
    RESTART_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)

    def __init__(self, commands: dict[str, list[str]], log_file, tell: Callable[[str], None]):
        self.commands = commands
        self.log_file = log_file
        self.tell = tell
        self.children = {name: _spawn(args, log_file) for name, args in commands.items()}
        self._started = {name: time.monotonic() for name in commands}
        self._restarts = dict.fromkeys(commands, 0)
        self._due: dict[str, float] = {}
        self._lock = threading.Lock()

    def check(self) -> None:
        """Notice dead children and start each again once its delay has passed."""
        with self._lock:
            moment = time.monotonic()
            for name, child in self.children.items():
                if child.poll() is None or name in self._due:
                    continue
                _end_what_it_left(child)
                if moment - self._started[name] >= self.HEALTHY_AFTER:
                    self._restarts[name] = 0
                delay = self.RESTART_DELAYS[min(self._restarts[name], len(self.RESTART_DELAYS) - 1)]
                self._restarts[name] += 1
                self._due[name] = moment + delay
                self.tell(f"{name} stopped (exit {child.returncode}); starting it again in {delay:g} s")
            for name, due in list(self._due.items()):
                if moment >= due:
                    del self._due[name]
                    self.children[name] = _spawn(self.commands[name], self.log_file)
                    self._started[name] = moment

    def watch_in_background(self, stopped: threading.Event) -> threading.Thread:
        def loop():
            while not stopped.wait(0.2):
                self.check()

        thread = threading.Thread(target=loop, name="supervisor", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        with self._lock:
            self._due.clear()
            _stop_all(list(self.children.values()))


def run_all(runtime: Runtime, port: int, chat: bool, phone: str) -> int:
    log_file = None
    if chat:
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        log_path = INSTANCE_DIR / "ungebot.log"
        log_file = open(log_path, "a", buffering=1)  # noqa: SIM115 - the children write to it until the end, closed below
        logs.configure(runtime.settings.log_level, log_file)
        click.echo(f"web on http://127.0.0.1:{port} (web chat: http://127.0.0.1:{port}/chat); logs in {log_path}")
    redis_process = start_local_redis(runtime.settings.redis_url)
    upgrade(runtime.settings.sqlalchemy_url)
    supervisor = Supervisor(
        {
            "web": ["web", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            "worker": ["worker"],
            "scheduler": ["scheduler"],
        },
        log_file,
        # In the terminal chat this would land between the messages: it goes to the log there.
        tell=log.warning if chat else functools.partial(click.echo, err=True),
    )
    stopping = threading.Event()

    def stop(_signum=None, _frame=None):
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    try:
        if chat:
            supervisor.watch_in_background(stopping)
            exit_code = chat_loop(runtime, phone, wait_for_worker=15)
        else:
            signal.signal(signal.SIGINT, stop)
            click.echo(
                f"Ungebot runs: web on http://127.0.0.1:{port}, web chat on http://127.0.0.1:{port}/chat. "
                "Talk to it with `ungebot chat`. Ctrl-C stops."
            )
            while not stopping.wait(0.2):
                supervisor.check()
    except KeyboardInterrupt:
        pass
    finally:
        stopping.set()
        supervisor.stop()
        if redis_process:
            _stop_all([redis_process])
        if log_file:
            log_file.close()
    click.echo("Ungebot stopped.")
    return exit_code


def _stop_all(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


__all__ = ["run_all", "start_local_redis"]
