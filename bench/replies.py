"""Replies under load: young people write "hjælp" by SMS at a steady rate, and each answer's time
from the webhook to the provider is measured; then the drain rate when the workers are saturated.

    .venv/bin/python bench/replies.py [--rate 100] [--seconds 20] [--workers 2] [--backlog 3000]

Everything on this machine at once, as in production on one host: ``ungebot web --workers 2``,
``--workers`` ``ungebot worker`` processes and ``ungebot scheduler``, on a fresh PostgreSQL
database, with the fast Twilio stand-in (``bench/standin.py``). The young people have written
before (their contacts exist), each writes once.

1. **Steady:** ``--rate`` signed webhooks a second for ``--seconds``, open loop (a slow answer does
   not slow the sending down). Latency: from the moment the webhook was sent to the moment the
   stand-in had the answer. Prints p50, p95, p99 and the slowest (the target: p99 under 500 ms).
2. **Saturated:** ``--backlog`` messages stored at once (the webhooks' work done in this process),
   and the rate at which the answers reach the stand-in, first to last: the drain rate.

Checks: every young person answered exactly once. Exit status 1 if a check fails or the target is
missed (``--no-targets`` only reports).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.webhook_ingest import PATH, answers, signed

TARGET_P99_MS = 500.0


def add_contacts(runtime, phones: list[str]) -> None:
    from sqlalchemy import insert, select

    from bot.storage.models import Contact, ContactURN

    now = datetime.now(UTC)
    with runtime.db.session() as session:
        first = session.scalar(select(Contact.id).order_by(Contact.id.desc()).limit(1)) or 0
        session.execute(insert(Contact), [dict(name=None, language="da", fields={}, created_at=now) for _ in phones])
        ids = session.scalars(select(Contact.id).where(Contact.id > first).order_by(Contact.id)).all()
        session.execute(insert(ContactURN), [dict(contact_id=cid, scheme="tel", path=phone) for cid, phone in zip(ids, phones, strict=True)])


async def open_loop(port: int, rate: float, requests: list[tuple[str, str, str]]) -> dict[str, float]:
    """Each (phone, signature, body) posted at start + i / rate; returns phone -> when it was sent."""
    sent: dict[str, float] = {}
    free: asyncio.Queue = asyncio.Queue()
    for _ in range(32):
        free.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    started = time.monotonic()

    async def one(phone: str, signature: str, body: str) -> None:
        reader, writer = await free.get()
        sent[phone] = time.monotonic()
        writer.write(
            (f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
             f"X-Twilio-Signature: {signature}\r\nContent-Length: {len(body.encode())}\r\n\r\n{body}").encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"webhook answered {head.split(b' ', 2)[1].decode()}")
        length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")).split(b":")[1])
        await reader.readexactly(length)
        free.put_nowait((reader, writer))

    tasks = []
    for index, request in enumerate(requests):
        delay = started + index / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(*request)))
    await asyncio.gather(*tasks)
    while not free.empty():
        free.get_nowait()[1].close()
    return sent


def arrivals(standin_url: str) -> dict[str, list[float]]:
    import requests

    return {to: [moment for moment, _ in sent] for to, sent in requests.get(standin_url + "/bodies", timeout=30).json().items()}


def wait_for_recipients(stats, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while stats()["recipients"] < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{stats()['recipients']} of {count} young people answered after {timeout:.0f} s")
        time.sleep(0.05)


def run(rate: float = 100.0, seconds: float = 20.0, worker_count: int = 2, backlog: int = 3000, targets: bool = True) -> dict:
    from bot.domain.inbound import receive

    print(f"replies: {rate:.0f}/s for {seconds:.0f} s, {worker_count} workers, then a backlog of {backlog}; {common.load()}", flush=True)
    steady_count = int(rate * seconds)
    steady_phones = [f"+4532{index:06d}" for index in range(steady_count)]
    backlog_phones = [f"+4533{index:06d}" for index in range(backlog)]
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ungebot-replies-") as tmp, common.fresh_database("postgresql") as database_url, \
            common.standin() as (standin_url, stats):
        workdir = Path(tmp)
        env = common.environment(database_url, common.PROJECT / "flows", f"bench-replies-{uuid.uuid4().hex[:8]}", standin_url)
        with common.runtime_for(env) as runtime, open(workdir / "processes.log", "ab") as log:
            add_contacts(runtime, steady_phones + backlog_phones)
            port = common.free_port()
            web = common.start_process(["web", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"], env, log)
            scheduler = common.start_process(["scheduler"], env, log)
            try:
                with common.workers(worker_count, env, runtime, workdir / "processes.log") as processes:
                    common.warm_up(runtime, processes)
                    while not answers(port):
                        time.sleep(0.1)
                    requests_ = [(phone, *signed(phone, "hjælp")) for phone in steady_phones]
                    sent = asyncio.run(open_loop(port, rate, requests_))
                    wait_for_recipients(stats, steady_count, 120)
                    time.sleep(1.0)  # a second answer to anyone would arrive now
                    steady = arrivals(standin_url)
                    for phone in backlog_phones:
                        receive(runtime, channel="sms", scheme="tel", address=phone, body="hjælp", provider_id="SM" + uuid.uuid4().hex)
                    wait_for_recipients(stats, steady_count + backlog, 300)
                    time.sleep(1.0)
                    drained = arrivals(standin_url)
            finally:
                common.stop_processes([web, scheduler])
    latencies = sorted((steady[phone][0] - sent[phone]) * 1000 for phone in steady_phones)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    backlog_moments = sorted(drained[phone][0] for phone in backlog_phones)
    drain_rate = (backlog - 1) / (backlog_moments[-1] - backlog_moments[0])
    twice = [phone for phone, moments in drained.items() if len(moments) != 1]
    print(
        f"steady {rate:.0f}/s for {seconds:.0f} s: {steady_count} answered, p50 {statistics.median(latencies):.0f} ms, "
        f"p95 {latencies[int(len(latencies) * 0.95) - 1]:.0f} ms, p99 {p99:.0f} ms, slowest {latencies[-1]:.0f} ms "
        f"(target p99 under {TARGET_P99_MS:.0f} ms)",
        flush=True,
    )
    print(f"saturated: {backlog} answers drained at {drain_rate:.0f}/s by {worker_count} workers", flush=True)
    if twice:
        problems.append(f"{len(twice)} young people got other than one answer")
    if targets and p99 >= TARGET_P99_MS:
        problems.append(f"p99 {p99:.0f} ms at {rate:.0f}/s, not under {TARGET_P99_MS:.0f} ms")
    for problem in problems:
        print(f"FAILED: {problem}", flush=True)
    return {"p99_ms": p99, "latencies_ms": latencies, "drain_rate": drain_rate, "problems": problems}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backlog", type=int, default=3000)
    parser.add_argument("--no-targets", action="store_true", help="report only; fail on a lost or doubled answer alone")
    args = parser.parse_args(argv)
    os.environ.setdefault("TZ", "UTC")
    return 1 if run(args.rate, args.seconds, args.workers, args.backlog, not args.no_targets)["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
