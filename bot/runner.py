"""``ungebot run``: web, worker and scheduler on one laptop, and Redis too if need be."""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import signal
import subprocess
import sys
import time
from urllib.parse import urlparse

import click
from redis import Redis
from redis.exceptions import RedisError

from bot import logs
from bot.config import INSTANCE_DIR
from bot.migrate import upgrade
from bot.runtime import Runtime

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


def run_all(runtime: Runtime, port: int, chat: bool, phone: str) -> int:
    log_file = None
    if chat:
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        log_path = INSTANCE_DIR / "ungebot.log"
        log_file = open(log_path, "a", buffering=1)
        logs.configure(runtime.settings.log_level, log_file)
        click.echo(f"web on http://127.0.0.1:{port} (web chat: http://127.0.0.1:{port}/chat); logs in {log_path}")
    redis_process = start_local_redis(runtime.settings.redis_url)
    upgrade(runtime.settings.sqlalchemy_url)
    children = {
        "web": _spawn(["web", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"], log_file),
        "worker": _spawn(["worker"], log_file),
        "scheduler": _spawn(["scheduler"], log_file),
    }
    stopping = False

    def stop(_signum=None, _frame=None):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    try:
        if chat:
            from bot.chat import chat_loop

            exit_code = chat_loop(runtime, phone, wait_for_worker=15)
        else:
            signal.signal(signal.SIGINT, stop)
            click.echo(
                f"Ungebot runs: web on http://127.0.0.1:{port}, web chat on http://127.0.0.1:{port}/chat. "
                "Talk to it with `ungebot chat`. Ctrl-C stops."
            )
            while not stopping:
                for name, child in children.items():
                    if child.poll() is not None:
                        click.echo(f"{name} stopped (exit {child.returncode}); stopping the rest", err=True)
                        stopping, exit_code = True, 1
                time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        _stop_all(list(children.values()) + ([redis_process] if redis_process else []))
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
