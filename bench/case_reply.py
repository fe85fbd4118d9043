"""A counsellor's reply reaches the young person's phone within seconds.

    .venv/bin/python bench/case_reply.py [--cases 50] [--workers 2] [--sqlite]

On a fresh PostgreSQL database (``--sqlite``: a SQLite file), with a counselling service open now,
the fast Twilio stand-in and real worker processes: ``--cases`` young people text RÅD (their
cases are opened and answered by the workers), then a counsellor answers each case through the
REST API, one after the other. Measured for each: from the POST to the moment the stand-in
has the SMS. Prints the median, 95th percentile and slowest; exit status 1 when the slowest
takes ``--limit`` seconds (5) or more, or a message is missing or sent twice.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

# Open around the clock, so that the number of messages per case does not depend on the hour.
COUNSELLING = """\
counselling:
  name: Rådgivning
  schedule:
    - days: [mandag, tirsdag, onsdag, torsdag, fredag, lørdag, søndag]
      time: "00:00-23:59"
"""


def wait_for(stats, requests: int, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while stats()["requests"] < requests:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"the stand-in has {stats()['requests']} of {requests} messages after {timeout:.0f} s")
        time.sleep(0.005)


def run(cases: int = 50, worker_count: int = 2, database: str = "postgresql", limit: float = 5.0) -> dict:
    from sqlalchemy import select

    from bot.api.auth import create_token
    from bot.core import clock
    from bot.domain.cases.identity import new_key_set
    from bot.domain.inbound import receive
    from bot.storage.models import Case
    from bot.web import create_app

    print(f"case replies: {cases} cases, {worker_count} worker process(es), {database}; {common.load()}", flush=True)
    keys = new_key_set()
    os.environ.update(keys)  # the workers and this process share one key set
    with tempfile.TemporaryDirectory(prefix="ungebot-bench-") as workdir, common.fresh_database(database, False, Path(workdir)) as url:
        flows_dir = Path(workdir) / "flows"
        flows_dir.mkdir()
        (flows_dir / "raadgivning.yaml").write_text(COUNSELLING)
        prefix = f"bench-{uuid.uuid4().hex[:8]}"
        with common.standin() as (standin_url, stats):
            env = common.environment(url, flows_dir, prefix, standin_url, **keys)
            with common.runtime_for(env) as runtime, common.workers(worker_count, env, runtime, Path(workdir) / "workers.log") as processes:
                common.warm_up(runtime, processes)
                for index in range(cases):
                    receive(runtime, channel="sms", scheme="tel", address=f"+4521{index:06d}", body="RÅD", provider_id=f"SMbench{index}")
                opened = stats()["requests"]
                wait_for(stats, 2 * cases, 120)  # the introduction and "Haster det?" for each
                opened = stats()["requests"]
                client = create_app(runtime).test_client()
                with runtime.db.session() as session:
                    token = create_token(session, name="bench", role="counsellor", now=clock.now())
                    aliases = session.scalars(select(Case.alias).order_by(Case.id)).all()
                headers = {"Authorization": f"Bearer {token}"}
                latencies = []
                for number, alias in enumerate(aliases, 1):
                    started = time.perf_counter()
                    response = client.post(f"/api/cases/{alias}/reply", json={"text": "Hej, jeg er her nu."}, headers=headers)
                    if response.status_code != 201:
                        raise RuntimeError(f"reply to {alias}: HTTP {response.status_code}")
                    wait_for(stats, opened + number, limit * 4)
                    latencies.append(time.perf_counter() - started)
                final = stats()
    latencies.sort()
    problems = []
    if final["requests"] != 3 * cases or final["max_per_recipient"] != 3:
        problems.append(f"the stand-in saw {final}, expected 3 messages to each of {cases} recipients")
    if latencies[-1] >= limit:
        problems.append(f"the slowest reply took {latencies[-1]:.2f} s (limit {limit:.0f} s)")
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    line = f"{cases} counsellor replies: median {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, slowest {latencies[-1] * 1000:.0f} ms"
    print(line)
    for problem in problems:
        print("PROBLEM:", problem)
    return {"line": line, "problems": problems, "latencies": latencies}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--limit", type=float, default=5.0)
    args = parser.parse_args()
    result = run(args.cases, args.workers, "sqlite" if args.sqlite else "postgresql", args.limit)
    sys.exit(1 if result["problems"] else 0)


if __name__ == "__main__":
    main()
