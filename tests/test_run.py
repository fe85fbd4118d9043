"""`ungebot run`: everything starts (Redis too, if none answers), answers, and stops on Ctrl-C."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import requests
from redis import Redis
from test_concurrency import free_port, wait_for


def run_env(tmp_path, redis_port: int) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TWILIO_", "DATABASE_", "PUBLIC_"))}
    env.update(REDIS_URL=f"redis://127.0.0.1:{redis_port}/0", LOG_LEVEL="INFO")
    return env


def redis_answers(port: int) -> bool:
    try:
        return Redis(port=port, socket_connect_timeout=0.5).ping()
    except Exception:  # noqa: BLE001
        return False


def start_run(tmp_path) -> tuple[int, int, subprocess.Popen]:
    """`ungebot run` with its own Redis port, once its web answers."""
    redis_port, web_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--port", str(web_port)],
        cwd=tmp_path, env=run_env(tmp_path, redis_port), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{web_port}/healthz", timeout=30)
    except AssertionError:
        process.kill()
        raise AssertionError(f"`ungebot run` did not answer: {process.communicate()[0][-3000:]}") from None
    return redis_port, web_port, process


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server on PATH")
def test_run_starts_everything_and_ctrl_c_stops_it(tmp_path):
    redis_port, web_port, process = start_run(tmp_path)
    try:
        health = requests.get(f"http://127.0.0.1:{web_port}/healthz", timeout=5)
        assert health.status_code == 200, health.text
        assert redis_answers(redis_port), "run started its own redis-server"
        assert (tmp_path / "instance" / "ungebot.sqlite3").exists()
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "Ungebot stopped." in output
    time.sleep(0.5)
    assert not redis_answers(redis_port), "the redis-server it started is stopped too"
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{web_port}/healthz", timeout=2)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server on PATH")
def test_run_with_chat_answers_in_the_terminal(tmp_path):
    redis_port, web_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--chat", "--port", str(web_port)],
        cwd=tmp_path, env=run_env(tmp_path, redis_port), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines = []
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and not any("Du skriver til Ungebot" in line for line in lines):
            lines.append(process.stdout.readline())
        process.stdin.write("hjælp\n")
        process.stdin.flush()
        while time.monotonic() < deadline and not any(line.startswith("Ungebot: Hej!") for line in lines):
            lines.append(process.stdout.readline())
        process.stdin.close()
        rest = process.stdout.read()
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    output = "".join(lines) + rest
    assert "Ungebot: Hej! Jeg er Ungebot" in output
    assert "No worker is running" not in output
    assert "INFO" not in output, "logs go to instance/ungebot.log, not into the chat"
    assert "contact 1: 1 message(s) processed" in (tmp_path / "instance" / "ungebot.log").read_text()
    assert process.returncode == 0


def test_run_says_how_to_get_redis_when_there_is_none(tmp_path):
    env = run_env(tmp_path, free_port())
    env["PATH"] = os.path.dirname(sys.executable)
    result = subprocess.run([sys.executable, "-m", "bot.cli", "run"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "redis-server is not installed" in result.stderr and "apt-get install redis-server" in result.stderr


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server on PATH")
def test_nothing_is_left_running_when_run_itself_is_killed(tmp_path):
    redis_port, web_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--port", str(web_port)],
        cwd=tmp_path, env=run_env(tmp_path, redis_port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_for(f"http://127.0.0.1:{web_port}/healthz", timeout=30)
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and redis_answers(redis_port):
        time.sleep(0.2)
    assert not redis_answers(redis_port)
    assert not web_answers(web_port), "the web server outlived `run`"


def web_answers(port: int) -> bool:
    """Whether the web server is still there after its parent was killed; an orphaned gunicorn
    worker may hold the socket for a moment without answering before it notices and exits."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
        except requests.ConnectionError:
            return False
        except requests.Timeout:
            pass
        time.sleep(0.2)
    return True


def child_pid(parent: int, command: str) -> int | None:
    found = subprocess.run(["pgrep", "-P", str(parent), "-f", f"bot.cli {command}"], capture_output=True, text=True).stdout.split()
    return int(found[0]) if found else None


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server on PATH")
def test_run_starts_a_child_again_when_it_dies(tmp_path):
    _redis_port, web_port, process = start_run(tmp_path)
    try:
        for name in ("worker", "web"):
            before = child_pid(process.pid, name)
            assert before is not None, name
            os.kill(before, signal.SIGKILL)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and child_pid(process.pid, name) in (None, before):
                time.sleep(0.1)
            assert child_pid(process.pid, name) not in (None, before), f"{name} was started again"
        wait_for(f"http://127.0.0.1:{web_port}/healthz", timeout=30)
        assert requests.get(f"http://127.0.0.1:{web_port}/healthz", timeout=5).status_code == 200
        assert process.poll() is None, "run itself goes on"
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert "worker stopped (exit -9); starting it again" in output
    assert "web stopped (exit -9); starting it again" in output
    assert "Ungebot stopped." in output
