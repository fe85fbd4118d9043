"""Webhook ingest against its ceiling: signed Twilio SMS webhooks through ``ungebot web`` (verified,
stored once, queued, answered 2xx) versus a bare Flask app answering "ok", same gunicorn settings.

    .venv/bin/python bench/webhook_ingest.py [--seconds 10] [--rounds 3] [--connections 16] [--rate 200]

1. A fresh PostgreSQL database; 500 young people, each known already (their first message was
   stored before the timing), so the timing is of the everyday message.
2. **Ceiling:** ``bench/bare_flask.py`` under gunicorn (2 workers, 4 threads each: what
   ``ungebot web`` runs), loaded by wrk for ``--seconds`` with ``--connections`` connections.
3. **Ungebot:** ``ungebot web --workers 2`` loaded the same way with signed webhooks computed
   beforehand, each a message of its own (a MessageSid never repeats), round the 500 senders.
   Both servers run the whole time, warmed up first, and are loaded in turn ``--rounds`` times: this
   machine's speed wanders by up to a factor of two from one minute to the next, so the ratio is
   the median of each round's (Ungebot's rate over the bare rate just before it).
4. **Steady:** ``--rate`` webhooks a second for ``--seconds``, open loop (a late answer does not
   slow the sending down): p50/p99/max.
5. Checks: every 2xx webhook stored exactly once and queued; no non-2xx.

Prints requests a second of each and their ratio (the target: at least 0.25), the web processes'
CPU milliseconds per webhook, and the steady latencies (the target: p99 under 100 ms at 200/s).
Exit status 1 if a check fails or a target is missed (``--no-targets`` only reports).
"""
from __future__ import annotations

import argparse
import asyncio
import hmac
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from base64 import b64encode
from contextlib import contextmanager
from hashlib import sha1
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

PATH = "/webhooks/twilio/sms"
SENDERS = 500
TARGET_RATIO = 0.25
TARGET_P99_MS = 100.0
WRK_SCRIPT = """
local requests = {}
local position = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("number", threads)
end

function init(args)
  local count = tonumber(args[2])
  local index = 0
  for line in io.lines(args[1]) do
    index = index + 1
    if index % count == number - 1 then
      local signature, body = line:match("([^\\t]+)\\t(.*)")
      requests[#requests + 1] = wrk.format("POST", "WEBHOOK_PATH", {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Twilio-Signature"] = signature,
      }, body)
    end
  end
end

function request()
  position = position % #requests + 1
  return requests[position]
end
"""


def sender(index: int) -> str:
    return f"+4531{index % SENDERS:06d}"


def signed(phone: str, text: str) -> tuple[str, str]:
    """(signature, form body) of one Twilio SMS webhook, as Twilio computes it."""
    params = {
        "MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": common.ACCOUNT_SID, "From": phone,
        "To": common.FROM_NUMBER, "Body": text, "NumMedia": "0",
    }
    payload = common.PUBLIC_BASE_URL + PATH + "".join(key + params[key] for key in sorted(params))
    signature = b64encode(hmac.new(common.AUTH_TOKEN.encode(), payload.encode(), sha1).digest()).decode()
    return signature, urlencode(params)


TEXTS = ["hej", "kommer du i dag?", "ja", "nej tak", "kommer lidt senere", "👍", "hvornår åbner caféen", "ok"]


def webhooks(count: int, offset: int = 0) -> list[tuple[str, str]]:
    return [signed(sender(offset + index), TEXTS[index % len(TEXTS)]) for index in range(count)]


@contextmanager
def served(command: list[str], env: dict, port: int, log):
    process = subprocess.Popen(command, env=env, cwd=common.PROJECT, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while not answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command[2:4]} did not start; see {log.name}")
            time.sleep(0.1)
        yield process
    finally:
        common.stop_processes([process])


def answers(port: int) -> bool:
    import requests

    try:
        requests.get(f"http://127.0.0.1:{port}/", timeout=1)
        return True
    except requests.RequestException:
        return False


def process_tree(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *(int(child) for child in children)]


def wrk(port: int, seconds: int, connections: int, bodies: Path, workdir: Path) -> dict:
    script = workdir / "webhooks.lua"
    script.write_text(WRK_SCRIPT.replace("WEBHOOK_PATH", PATH))
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), f"http://127.0.0.1:{port}", "--", str(bodies), "2"],
        capture_output=True, text=True, check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    total = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    return {
        "rate": rate, "requests": total, "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(1) if errors else "", "p99_ms": _ms(*p99.groups()) if p99 else None,
    }


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


async def steady(port: int, rate: float, seconds: float, requests: list[tuple[str, str]]) -> dict:
    """Open loop: request i leaves at start + i / rate on one of 32 keep-alive connections."""
    latencies: list[float] = []
    statuses: list[int] = []
    free: asyncio.Queue = asyncio.Queue()
    for _ in range(32):
        free.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    count = int(rate * seconds)
    started = time.perf_counter()

    async def one(index: int) -> None:
        signature, body = requests[index]
        reader, writer = await free.get()
        sent = time.perf_counter()
        writer.write(
            (f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
             f"X-Twilio-Signature: {signature}\r\nContent-Length: {len(body.encode())}\r\n\r\n{body}").encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"content-length: (\d+)", head, re.IGNORECASE).group(1))
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - sent)
        statuses.append(int(head.split()[1]))
        free.put_nowait((reader, writer))

    tasks = []
    for index in range(count):
        delay = started + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index)))
    await asyncio.gather(*tasks)
    while not free.empty():
        free.get_nowait()[1].close()
    latencies.sort()
    return {
        "requests": count,
        "non_2xx": sum(1 for status in statuses if status >= 300),
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "max_ms": latencies[-1] * 1000,
    }


def known_senders(runtime) -> None:
    """Each sender's first message stored (setup): the timing is of people who have written before."""
    from bot.domain.inbound import receive

    for index in range(SENDERS):
        receive(runtime, channel="sms", scheme="tel", address=sender(index), body="hej", provider_id="SM" + uuid.uuid4().hex)


def stored(runtime) -> tuple[int, int]:
    """(inbound rows, of those with a provider id that occurs more than once)."""
    from sqlalchemy import func, select

    from bot.storage.models import InboundMessage

    with runtime.db.session() as session:
        rows = session.scalar(select(func.count()).select_from(InboundMessage))
        doubled = session.scalar(
            select(func.count()).select_from(
                select(InboundMessage.provider_id).group_by(InboundMessage.provider_id).having(func.count() > 1).subquery()
            )
        )
    return rows, doubled


def run(seconds: int = 10, connections: int = 16, rate: float = 200.0, targets: bool = True, rounds: int = 3) -> dict:
    print(
        f"webhook ingest: {rounds} rounds of wrk {seconds} s x {connections} connections on each, then {rate:.0f}/s steady; {common.load()}",
        flush=True,
    )
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ungebot-ingest-") as tmp, common.fresh_database("postgresql") as database_url:
        workdir = Path(tmp)
        log = open(workdir / "processes.log", "ab")  # noqa: SIM115 -- closed below, after the servers
        env = common.environment(database_url, common.PROJECT / "flows", f"bench-ingest-{uuid.uuid4().hex[:8]}", "http://127.0.0.1:9")
        try:
            with common.runtime_for(env) as runtime:
                known_senders(runtime)
                before, _ = stored(runtime)
                bare_port, port = common.free_port(), common.free_port()
                bare = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{bare_port}", "--workers", "2", "--threads", "4",
                        "--timeout", "30", "--graceful-timeout", "10", "bench.bare_flask:app"]
                ours = [sys.executable, "-m", "bot.cli", "web", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
                with served(bare, env, bare_port, log), served(ours, env, port, log) as web:
                    # Warmed (its own webhooks, so none repeats later): every thread's connections open, so
                    # their PostgreSQL backends are among those watched.
                    runs = [wrk(port, 2, connections, signed_file(workdir, "warm-up", 5_000, offset=3), workdir)]
                    watched = {"web": process_tree(web.pid), "postgres": common.postgres_pids(), "redis": common.redis_pids()}
                    cpu: dict[str, float] = {}
                    ceilings, loads = [], []
                    ceiling_bodies = signed_file(workdir, "ceiling", 20_000)
                    # In turn, so that a slower minute of this machine's weathers both alike.
                    for index in range(rounds):
                        ceilings.append(wrk(bare_port, seconds, connections, ceiling_bodies, workdir))
                        meter = common.CpuMeter(watched, rest="everything else (wrk too)")
                        loads.append(wrk(port, seconds, connections, signed_file(workdir, f"load-{index}", 20_000, offset=100 + index), workdir))
                        for name, seconds_used in meter.used().items():
                            cpu[name] = cpu.get(name, 0.0) + seconds_used
                        print(f"round {index + 1}: bare Flask {ceilings[-1]['rate']:.0f}/s, ungebot {loads[-1]['rate']:.0f}/s: "
                              f"{loads[-1]['rate'] / ceilings[-1]['rate']:.3f}", flush=True)
                    calm = asyncio.run(steady(port, rate, seconds, webhooks(int(rate * seconds), offset=7)))
                    runs += [*loads, calm]
                after, doubled = stored(runtime)
        finally:
            log.close()
    requests = sum(load["requests"] for load in loads)
    if any(load["requests"] > 20_000 for load in loads):
        problems.append("wrk sent more requests than were prepared: webhooks repeated (raise the count)")
    ratio = statistics.median(load["rate"] / ceiling["rate"] for load, ceiling in zip(loads, ceilings, strict=True))
    ceiling_rate, load_rate = statistics.median(c["rate"] for c in ceilings), statistics.median(load["rate"] for load in loads)
    print(f"bare Flask: {ceiling_rate:.0f} requests/s (median), p99 {max(c['p99_ms'] for c in ceilings):.1f} ms at most", flush=True)
    print(
        f"ungebot web: {load_rate:.0f} signed webhooks/s stored and queued (median), p99 {max(load['p99_ms'] for load in loads):.1f} ms at most, "
        f"{sum(load['non_2xx'] for load in loads)} non-2xx {' '.join(load['socket_errors'] for load in loads).strip()}",
        flush=True,
    )
    print("CPU ms per webhook: " + ", ".join(f"{name} {seconds_used / max(requests, 1) * 1000:.2f}" for name, seconds_used in cpu.items()), flush=True)
    print(f"ratio to bare Flask: {ratio:.3f}, the median of the rounds' (target {TARGET_RATIO})", flush=True)
    print(
        f"steady {rate:.0f}/s for {seconds} s: p50 {calm['p50_ms']:.1f} ms, p99 {calm['p99_ms']:.1f} ms, max {calm['max_ms']:.1f} ms, "
        f"{calm['non_2xx']} non-2xx (target p99 under {TARGET_P99_MS:.0f} ms)",
        flush=True,
    )
    accepted = sum(run_["requests"] - run_["non_2xx"] for run_ in runs)
    # wrk stops counting at its deadline: up to one request per connection (in each wrk run) was stored but not counted.
    if not accepted <= after - before <= accepted + len(runs) * connections:
        problems.append(f"{after - before} stored for {accepted} accepted")
    if doubled:
        problems.append(f"{doubled} provider ids stored twice")
    if non_2xx := sum(run_["non_2xx"] for run_ in runs):
        problems.append(f"{non_2xx} non-2xx answers")
    if targets and ratio < TARGET_RATIO:
        problems.append(f"ratio {ratio:.3f} under {TARGET_RATIO}")
    if targets and calm["p99_ms"] >= TARGET_P99_MS:
        problems.append(f"p99 {calm['p99_ms']:.1f} ms at {rate:.0f}/s, not under {TARGET_P99_MS:.0f} ms")
    for problem in problems:
        print(f"FAILED: {problem}", flush=True)
    return {
        "ceilings": ceilings, "loads": loads, "steady": calm, "ratio": ratio,
        "cpu_ms": cpu["web"] / max(requests, 1) * 1000, "problems": problems,
    }


def signed_file(workdir: Path, name: str, count: int, offset: int = 0) -> Path:
    """``count`` signed webhooks for wrk, one per line: signature, tab, form body."""
    path = workdir / f"{name}.tsv"
    path.write_text("".join(f"{signature}\t{body}\n" for signature, body in webhooks(count, offset)))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="of each wrk run, and of the steady rate")
    parser.add_argument("--rounds", type=int, default=3, help="bare Flask and Ungebot in turn, this many times")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--no-targets", action="store_true", help="report only; fail on lost or doubled messages alone")
    args = parser.parse_args(argv)
    os.environ.setdefault("TZ", "UTC")
    return 1 if run(args.seconds, args.connections, args.rate, not args.no_targets, args.rounds)["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
