"""Memory after load: every Ungebot process at most 70 MiB RSS (a bare gunicorn worker is ~30 MiB).

    .venv/bin/python bench/memory.py [--seconds 10] [--rate 100] [--members 2000] [--no-targets]

1. A fresh PostgreSQL database; the shipped flows (``flows/``) plus a community with ``--members``
   members and an event tomorrow (so that reminders exist); the fast Twilio stand-in.
2. ``ungebot web --workers 2`` (gunicorn), two ``ungebot worker``, one ``ungebot scheduler``, and a
   bare gunicorn app (``bench/bare_flask.py``, the same settings) for comparison.
3. **Load:** ``--rate`` signed Twilio webhooks a second for ``--seconds`` (replies flow through the
   workers to the stand-in); a burst of reminders (every member's due at once); console pages
   fetched by a signed-in staff user (``ungebot users add``), the REST API with a token
   (``ungebot tokens create``), ``/metrics``; then the webhooks once more.
4. VmRSS and PSS (``/proc/<pid>/smaps_rollup``) of every process: the gunicorn master and each
   gunicorn worker apart, each RQ worker, the scheduler; and what this script measured at the start
   of the work on issue 12 (``AT_START``).

Exit status 1 if a check fails (a webhook refused, a reply or reminder not sent) or a process is
above the target (``--no-targets`` only reports).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common, reminders_burst, webhook_ingest

TARGET_MIB = 70.0
PASSWORD = "korrekt hest batteri"
STAFF_EMAIL = "kirsten@kommune.dk"
# What this script measured at the start of the work on issue 12 (RSS, PSS in MiB; same load, same
# 2-core machine), with the lazy imports, the forked schema check and gunicorn's preload_app already
# in. The figures from before any of it, 100-113 MiB RSS per web worker, RQ worker and
# scheduler, were read off `ps` by hand, not by this script, and had no PSS.
AT_START = {
    "web: gunicorn master": (102.8, 55.4),
    "web: gunicorn worker": (125.3, 84.6),
    "rq worker": (115.0, 93.7),
    "scheduler": (105.5, 85.3),
    "bare: gunicorn master": (26.1, 12.6),
    "bare: gunicorn worker": (29.9, 18.6),
}
# Pages a staff user of the community sees (the charts are drawn by pygal), and the API's.
CONSOLE_PAGES = [
    "/console/", "/console/today", "/console/today/replies", "/console/communities", "/console/communities/burst",
    "/console/members", "/console/communities/burst/members", "/console/attendance", "/console/communities/burst/attendance",
    "/console/communities/burst/attendance.svg", "/console/communities/burst/attendance.csv", "/console/notifications",
    "/console/flows", "/console/bookings", "/console/checkins",
]
# What each kind of process imports before its first request or job (its lazy imports come later),
# and psycopg, which SQLAlchemy imports at the first connection.
ENTRY_MODULES = {
    "web": ["app", "psycopg"],
    "rq worker": ["bot.cli", "bot.jobs.worker", "bot.jobs.processing", "bot.jobs.reminders", "bot.jobs.sending", "bot.channels.twilio_sms", "psycopg"],
    "scheduler": ["bot.cli", "bot.jobs.scheduler", "psycopg"],
}
# Imports the entry modules in a process of its own; prints the third-party modules that loaded.
LIST_LIBRARIES = """
import importlib, json, sys, sysconfig
for name in sys.argv[1:]:
    importlib.import_module(name)
site = sysconfig.get_paths()["purelib"]
print(json.dumps([name for name, module in list(sys.modules.items()) if (getattr(module, "__file__", None) or "").startswith(site)]))
"""
# Imports only those modules, in the same order, in a fresh interpreter: RSS in MiB, then by package.
LIBRARIES_ALONE = """
import importlib, json, sys
def rss():
    return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) / 1024
by_package = {"python": rss()}
for name in json.load(sys.stdin):
    before = rss()
    try:
        importlib.import_module(name)
    except Exception:
        continue
    package = name.split(".")[0]
    by_package[package] = by_package.get(package, 0.0) + rss() - before
print(json.dumps({"rss": rss(), "by_package": by_package}))
"""
API_PATHS = ["/api/communities", "/api/communities/burst", "/api/communities/burst/members", "/api/communities/burst/events", "/api/notifications"]


def memory(pid: int) -> tuple[float, float]:
    """(VmRSS, PSS) of one process in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    pss = int(re.search(r"^Pss:\s+(\d+) kB", rollup, re.MULTILINE).group(1))
    return rss / 1024, pss / 1024


def libraries_alone(env: dict, kind: str) -> dict:
    """RSS of a Python that imports only the third-party modules ``kind`` loads at its start, in the
    same order: none of Ungebot's code, no connection, no data. A floor under the process's RSS."""
    listed = subprocess.run([sys.executable, "-c", LIST_LIBRARIES, *ENTRY_MODULES[kind]], env=env, cwd=common.PROJECT,
                            capture_output=True, text=True, check=True).stdout
    alone = subprocess.run([sys.executable, "-c", LIBRARIES_ALONE], input=listed, env=env, cwd=common.PROJECT,
                           capture_output=True, text=True, check=True).stdout
    return json.loads(alone)


def cli(env: dict, *args: str, stdin: str | None = None) -> str:
    """``ungebot ARGS`` in a process of its own; its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, cwd=common.PROJECT, input=stdin, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise RuntimeError(f"ungebot {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def console_round(base: str, pages: list[str]) -> list[str]:
    """Sign in as the staff user (a session and a connection of its own) and fetch ``pages``; the
    pages that did not answer 200."""
    import requests

    def keep_cookies(response, *_args, **_kwargs):
        # The console's cookies are Secure (PUBLIC_BASE_URL is https); this client speaks plain
        # http to 127.0.0.1, as a proxy that ends TLS would.
        for cookie in response.cookies:
            browser.cookies.set(cookie.name, cookie.value)

    wrong = []
    with requests.Session() as browser:
        browser.hooks["response"].append(keep_cookies)
        login = browser.get(base + "/console/login", timeout=30)
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)
        answer = browser.post(
            base + "/console/login", data={"email": STAFF_EMAIL, "password": PASSWORD, "csrf_token": token}, allow_redirects=False, timeout=30
        )
        if answer.status_code != 302:
            return [f"sign-in: HTTP {answer.status_code}"]
        for page in pages:
            response = browser.get(base + page, timeout=30)
            if response.status_code != 200:
                wrong.append(f"{page}: HTTP {response.status_code}")
    return wrong


def api_round(base: str, token: str) -> list[str]:
    import requests

    wrong = []
    with requests.Session() as client:
        client.headers["Authorization"] = f"Bearer {token}"
        for path in [*API_PATHS, "/api/openapi.json", "/metrics", "/healthz"]:
            response = client.get(base + path, timeout=30)
            if response.status_code != 200:
                wrong.append(f"{path}: HTTP {response.status_code}")
    return wrong


def wait_until(what: str, done, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.1)


def settled(runtime) -> bool:
    """Everything received is processed, nothing due waits in a queue or the outbox."""
    from bot.domain.operations import snapshot

    now = snapshot(runtime)
    return (
        now.inbound_unprocessed == 0 and not now.oldest_due_age and not now.outbound_by_status.get("submitting")
        and not any(now.queue_lengths.values())
    )


def reminders_planned(runtime, members: int) -> bool:
    from sqlalchemy import func, select

    from bot.storage.models import Reminder

    with runtime.db.session() as session:
        return session.scalar(select(func.count()).select_from(Reminder)) >= members


def reminders_due_now(runtime) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from bot.core import clock
    from bot.storage.models import Reminder

    with runtime.db.session() as session:
        session.execute(update(Reminder).where(Reminder.status == "planned").values(send_at=clock.now() - timedelta(seconds=1)))


def processes_of(label: str, master: int) -> list[tuple[str, int]]:
    master_pid, *workers = webhook_ingest.process_tree(master)
    return [(f"{label}: gunicorn master", master_pid), *((f"{label}: gunicorn worker", pid) for pid in workers)]


def run(seconds: int = 10, rate: float = 100.0, members: int = 2000, targets: bool = True) -> dict:
    print(f"memory: {rate:.0f} webhooks/s x {seconds} s twice, {members} reminders, console and API; {common.load()}", flush=True)
    problems: list[str] = []
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ungebot-memory-")))
        database_url = stack.enter_context(common.fresh_database("postgresql"))
        flows_dir = workdir / "flows"
        shutil.copytree(common.PROJECT / "flows", flows_dir)
        reminders_burst.write_community(flows_dir)
        standin_url, standin_stats = stack.enter_context(common.standin())
        env = common.environment(database_url, flows_dir, f"bench-memory-{uuid.uuid4().hex[:8]}", standin_url)
        runtime = stack.enter_context(common.runtime_for(env))
        reminders_burst.add_members(runtime, members)
        cli(env, "users", "add", STAFF_EMAIL, "--role", "staff", "--community", "burst", "--password-stdin", stdin=PASSWORD + "\n")
        token = cli(env, "tokens", "create", "bench", "--role", "staff").strip()

        log = stack.enter_context(open(workdir / "processes.log", "ab"))
        port = common.free_port()
        web = stack.enter_context(
            webhook_ingest.served([sys.executable, "-m", "bot.cli", "web", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"], env, port, log)
        )
        bare_port = common.free_port()
        bare = stack.enter_context(
            webhook_ingest.served(
                [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{bare_port}", "--workers", "2", "--threads", "4",
                 "--timeout", "30", "--graceful-timeout", "10", "bench.bare_flask:app"],
                env, bare_port, log,
            )
        )
        workers = stack.enter_context(common.workers(2, env, runtime, workdir / "processes.log"))
        scheduler = subprocess.Popen([sys.executable, "-m", "bot.cli", "scheduler"], env=env, cwd=common.PROJECT, stdout=log, stderr=log)
        stack.callback(common.stop_processes, [scheduler])
        base = f"http://127.0.0.1:{port}"

        started = time.perf_counter()
        # Webhooks: each answered by the flows, so replies go through the workers to the stand-in.
        first = asyncio.run(webhook_ingest.steady(port, rate, seconds, webhook_ingest.webhooks(int(rate * seconds))))
        asyncio.run(webhook_ingest.steady(bare_port, rate, seconds, webhook_ingest.webhooks(int(rate * seconds))))
        wait_until("the webhooks processed and answered", lambda: settled(runtime), 300)
        print(f"webhooks: {first['requests']} in {time.perf_counter() - started:.0f} s, p99 {first['p99_ms']:.0f} ms; answered", flush=True)
        after_webhooks = standin_stats()["requests"]
        # A burst of reminders: the scheduler plans them at its start; all of them due at once.
        wait_until("the reminders planned", lambda: reminders_planned(runtime, members), 120)
        reminders_due_now(runtime)
        wait_until("the reminders sent", lambda: standin_stats()["requests"] >= after_webhooks + members and settled(runtime), 300)
        print(f"reminders: {members} sent ({time.perf_counter() - started:.0f} s)", flush=True)
        # The console and the API, on fresh connections so that both gunicorn workers serve them.
        for _ in range(6):
            problems += console_round(base, CONSOLE_PAGES)
            problems += api_round(base, token)
        print(f"console and API: {6 * len(CONSOLE_PAGES)} pages, {6 * (len(API_PATHS) + 3)} API calls ({time.perf_counter() - started:.0f} s)", flush=True)
        second = asyncio.run(webhook_ingest.steady(port, rate, seconds, webhook_ingest.webhooks(int(rate * seconds), offset=11)))
        wait_until("the second webhooks processed and answered", lambda: settled(runtime), 300)
        print(f"load: {time.perf_counter() - started:.0f} s; the stand-in had {standin_stats()['requests']} messages", flush=True)
        time.sleep(2)

        measured = [
            *processes_of("web", web.pid),
            *(("rq worker", process.pid) for process in workers),
            ("scheduler", scheduler.pid),
            *processes_of("bare", bare.pid),
        ]
        results = [(name, pid, *memory(pid)) for name, pid in measured]
        floors = {kind: libraries_alone(env, kind) for kind in ENTRY_MODULES}
        for run_ in (first, second):
            if run_["non_2xx"]:
                problems.append(f"{run_['non_2xx']} webhooks not answered 2xx")
        if scheduler.poll() is not None:
            problems.append("the scheduler exited")

    print(f"{'process':<24}{'pid':>8}{'RSS MiB':>10}{'PSS MiB':>10}   at start: RSS, PSS", flush=True)
    for name, pid, rss, pss in results:
        was = AT_START[name]
        print(f"{name:<24}{pid:>8}{rss:>10.1f}{pss:>10.1f}   {was[0]:.1f}, {was[1]:.1f}", flush=True)
    ours = [(name, rss) for name, _pid, rss, _pss in results if not name.startswith("bare")]
    print(f"target: every Ungebot process at most {TARGET_MIB:.0f} MiB RSS; the largest {max(rss for _n, rss in ours):.1f} MiB", flush=True)
    print("the libraries alone (a Python importing only the third-party modules the process loads at its start):", flush=True)
    for kind, alone in floors.items():
        largest = sorted(alone["by_package"].items(), key=lambda item: -item[1])[:8]
        print(f"  {kind:<10} {alone['rss']:5.1f} MiB RSS: " + ", ".join(f"{name} {mib:.1f}" for name, mib in largest), flush=True)
    if targets:
        problems += [f"{name} {rss:.1f} MiB RSS, above {TARGET_MIB:.0f}" for name, rss in ours if rss > TARGET_MIB]
    for problem in problems:
        print(f"FAILED: {problem}", flush=True)
    return {"processes": results, "libraries_alone": floors, "problems": problems}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="seconds of webhooks, each time (default 10)")
    parser.add_argument("--rate", type=float, default=100.0, help="webhooks a second (default 100)")
    parser.add_argument("--members", type=int, default=2000, help="members, each with a reminder (default 2000)")
    parser.add_argument("--no-targets", action="store_true", help="report only; fail on refused or lost messages alone")
    args = parser.parse_args(argv)
    os.environ.setdefault("TZ", "UTC")
    return 1 if run(args.seconds, args.rate, args.members, not args.no_targets)["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
