"""What someone on call sees: the metrics of live workers and the scheduler, `/metrics` counting
responses by part and status class, and `ungebot status` (exit code 1 while something is wrong),
with real worker and scheduler processes."""
from __future__ import annotations

import subprocess
import sys
import time

from test_concurrency import PROJECT, environment, start, stop

from bot.domain import liveness
from bot.jobs.liveness import Heartbeat
from bot.web import create_app


def metric(text: str, name: str) -> float:
    line = next(line for line in text.splitlines() if line.startswith(name + " "))
    return float(line.split()[-1])


def test_the_metrics_say_whether_workers_and_a_scheduler_are_alive(runtime):
    client = create_app(runtime).test_client()
    before = client.get("/metrics").get_data(as_text=True)
    assert metric(before, "ungebot_workers_alive") == 0 and metric(before, "ungebot_scheduler_last_pass_age_seconds") == -1
    heartbeat = Heartbeat(runtime)
    heartbeat.start()
    try:
        liveness.record_pass(runtime)
        time.sleep(0.2)
        after = client.get("/metrics").get_data(as_text=True)
        assert metric(after, "ungebot_workers_alive") == 1 and 0 <= metric(after, "ungebot_scheduler_last_pass_age_seconds") < 5
    finally:
        heartbeat.stop()
    client.get("/nowhere")
    counted = client.get("/metrics").get_data(as_text=True)
    assert 'ungebot_http_responses_total{part="health",status_class="2xx"}' in counted
    assert 'ungebot_http_responses_total{part="other",status_class="4xx"}' in counted


def status(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", "status"], env=env, cwd=PROJECT, capture_output=True, text=True, timeout=60)


def test_ungebot_status_tells_the_one_on_call_what_is_wrong_until_it_is_not(runtime):
    env = environment(runtime)
    alone = status(env)
    assert alone.returncode == 1, alone.stdout + alone.stderr
    assert "workers:   0 alive" in alone.stdout and "scheduler: no pass yet" in alone.stdout
    assert "TROUBLE: no worker is alive: nothing is being sent" in alone.stderr
    processes = [start(["worker"], env), start(["scheduler"], env)]
    try:
        deadline = time.monotonic() + 30
        while (answer := status(env)).returncode != 0 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert answer.returncode == 0, answer.stdout + answer.stderr
        assert "workers:   1 alive" in answer.stdout and "last pass" in answer.stdout and answer.stderr == ""
    finally:
        stop(processes)
