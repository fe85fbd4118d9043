"""10,000 members due at the same minute: every reminder sent within 30 s, none twice, none lost.

    .venv/bin/python bench/reminders_burst.py [--members 10000] [--workers 2] [--sqlite] [--keep]

What it does, on a fresh PostgreSQL database (``--sqlite``: a SQLite file instead):

1. migrates it, writes a community (one event tomorrow) into a temporary FLOWS_DIR, and
   bulk-inserts ``--members`` active members (setup, not measured);
2. starts the plain Twilio stand-in (``bench/standin.py``, no spec checks, no per-sender rate)
   and ``--workers`` real ``python -m bot.cli worker`` processes (SimpleWorker);
3. runs ``reminders.plan`` (through the scheduler's own planning), then moves every reminder's
   send time to "a second ago" -- all due at the same minute;
4. starts the clock, runs scheduler passes (one a second, as ``ungebot scheduler`` does) and
   stops the clock when every reminder is ``sent`` and every outbound message has a provider id;
5. checks: the stand-in saw exactly N requests for N distinct recipients, each once; the database
   has N reminders sent, N messages with a provider id, none ``unknown`` or failed;
6. measures the floor: N sends through the same sender (the Twilio client to the same stand-in)
   by the same worker processes, in jobs of a batch's size, with no database
   (``bench.noop.send_floor``), and prints both rates and their ratio (the target: 0.5 or more).

Exit status 1 when a check fails, the reminders take ``--limit`` seconds (30) or more, or the
ratio is under the target (``--no-targets`` leaves the ratio out).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

TARGET_RATIO = 0.5

COMMUNITY = """\
community:
  name: Burst
  display_name: caféen
  keyword: BURST
  place: Huset
  staff:
    - name: Ali
  extra:
    - {{date: {day}, time: "16:00-21:00"}}
  reminder:
    time: "10:00"
    text: Hej {{{{ name }}}}! Caféen har åbent {{{{ start | weekday }}}} kl. {{{{ start | time }}}}. Kommer du?
"""


def write_community(flows_dir: Path) -> None:
    """The burst community, with its one event tomorrow (local date), into ``flows_dir``."""
    from zoneinfo import ZoneInfo

    from bot.core import clock

    tomorrow = clock.now().astimezone(ZoneInfo("Europe/Copenhagen")).date() + timedelta(days=1)
    (flows_dir / "burst.yaml").write_text(COMMUNITY.format(day=tomorrow.isoformat()))


def add_members(runtime, count: int) -> None:
    """Contacts, their phone numbers and memberships, in a few bulk statements."""
    from sqlalchemy import insert, select

    from bot.storage.models import Contact, ContactURN, Member

    now = datetime.now(UTC)
    with runtime.db.session() as session:
        for start in range(0, count, 5000):
            rows = range(start, min(count, start + 5000))
            session.execute(insert(Contact), [dict(name=f"Ung{i}", language="da", fields={}, created_at=now) for i in rows])
        ids = session.scalars(select(Contact.id).order_by(Contact.id)).all()
        session.execute(insert(ContactURN), [dict(contact_id=cid, scheme="tel", path=f"+4520{i:06d}") for i, cid in enumerate(ids)])
        session.execute(
            insert(Member),
            [dict(contact_id=cid, community="burst", status="active", source="api", joined_at=now, consent_at=now) for cid in ids],
        )


def counts(runtime) -> tuple[int, int]:
    from sqlalchemy import func, select

    from bot.storage.models import OutboundMessage, Reminder

    with runtime.db.session() as session:
        sent = session.scalar(select(func.count()).select_from(Reminder).where(Reminder.status == "sent"))
        handed = session.scalar(select(func.count()).select_from(OutboundMessage).where(OutboundMessage.provider_id.is_not(None)))
    return sent, handed


def floor_jobs(runtime, count: int, timeout: float) -> float:
    """Seconds for the floor: ``count`` sends through the same sender by the same workers, in jobs
    of a reminder batch's size, with no database (``bench.noop.send_floor``)."""
    from rq import Queue
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    from bot.domain.communities.reminders import BATCH_SIZE
    from bot.runtime import BULK

    queue = runtime.queue(BULK)
    finished, failed = FinishedJobRegistry(queue=queue), FailedJobRegistry(queue=queue)
    before = finished.count
    jobs = [
        Queue.prepare_data("bench.noop.send_floor", (first, min(BATCH_SIZE, count - first)), result_ttl=600, timeout=600)
        for first in range(0, count, BATCH_SIZE)
    ]
    started = time.perf_counter()
    with runtime.redis.pipeline() as pipe:
        queue.enqueue_many(jobs, pipeline=pipe)
        pipe.execute()
    while finished.count - before < len(jobs):
        if failed.count:
            raise RuntimeError("a floor job failed")
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"only {finished.count - before} of {len(jobs)} floor jobs finished in {timeout:.0f} s")
        time.sleep(0.05)
    return time.perf_counter() - started


def run(
    members: int = 10_000,
    worker_count: int = 2,
    database: str = "postgresql",
    keep: bool = False,
    limit: float = 30.0,
    timeout: float = 300.0,
    warm: bool = True,
    send_rate: float = 0.0,
    targets: bool = True,
) -> dict:
    from sqlalchemy import func, select, update

    from bot.core import clock
    from bot.jobs.scheduler import Scheduler
    from bot.storage.models import OutboundMessage, Reminder

    rate_note = f", SEND_RATE={send_rate:g}" if send_rate else ""
    print(
        f"reminders burst: {members} members, {worker_count} {'warm' if warm else 'cold'} worker process(es), {database}{rate_note}; {common.load()}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="ungebot-bench-") as workdir, common.fresh_database(database, keep, Path(workdir)) as url:
        workdir = Path(workdir)
        flows_dir = workdir / "flows"
        flows_dir.mkdir()
        write_community(flows_dir)
        prefix = f"bench-{uuid.uuid4().hex[:8]}"
        with common.standin() as (standin_url, standin_stats):
            env = common.environment(url, flows_dir, prefix, standin_url, SEND_RATE=str(send_rate or ""))
            with common.runtime_for(env) as runtime:
                setup = time.perf_counter()
                add_members(runtime, members)
                scheduler = Scheduler(runtime)
                scheduler._plan_if_due(clock.now())  # reminders.plan + attendance, as the scheduler does every 5 minutes
                with runtime.db.session() as session:
                    planned = session.scalar(select(func.count()).select_from(Reminder).where(Reminder.status == "planned"))
                    session.execute(update(Reminder).values(send_at=clock.now() - timedelta(seconds=1)))
                assert planned == members, f"planned {planned} reminders for {members} members"
                print(f"setup: {members} members and {planned} reminders in {time.perf_counter() - setup:.1f} s (not measured)", flush=True)

                with common.workers(worker_count, env, runtime, workdir / "workers.log") as processes:
                    if warm:
                        common.warm_up(runtime, processes)
                    meter = common.CpuMeter(
                        {
                            "workers": [p.pid for p in processes],
                            "stand-in": [standin_stats.pid],
                            "postgres": common.postgres_pids(),
                            "this process": [os.getpid()],
                        },
                        rest="everything else on the machine",
                    )
                    started = time.perf_counter()
                    last_pass = -1.0
                    # Watch the stand-in (cheap) until it has seen them all, then the database, so
                    # that watching does not load PostgreSQL during the burst.
                    while True:
                        elapsed = time.perf_counter() - started
                        if elapsed - last_pass >= 1.0:
                            scheduler.run_pass()  # as `ungebot scheduler` does, once a second
                            last_pass = elapsed
                        if standin_stats()["requests"] >= members:
                            sent, handed = counts(runtime)
                            if sent >= members and handed >= members:
                                break
                        if elapsed > timeout:
                            sent, handed = counts(runtime)
                            raise RuntimeError(f"after {timeout:.0f} s: {sent} reminders sent, {handed} handed to the provider")
                        time.sleep(0.05)
                    burst_seconds = time.perf_counter() - started
                    cpu = meter.used()

                    stats = standin_stats()
                    peak = standin_stats.peak()
                    with runtime.db.session() as session:
                        statuses = dict(session.execute(select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)).all())
                        reminder_statuses = dict(session.execute(select(Reminder.status, func.count()).group_by(Reminder.status)).all())
                    floor_seconds = floor_jobs(runtime, members, timeout)

    problems = []
    if stats != {"requests": members, "recipients": members, "max_per_recipient": 1}:
        problems.append(f"the stand-in saw {stats}, expected {members} requests to {members} recipients, each once")
    if reminder_statuses != {"sent": members}:
        problems.append(f"reminder statuses {reminder_statuses}")
    if sum(statuses.values()) != members or statuses.get("unknown") or statuses.get("failed"):
        problems.append(f"outbound statuses {statuses}")
    ratio = floor_seconds / burst_seconds
    line = (
        f"{members} reminders sent in {burst_seconds:.1f} s ({members / burst_seconds:.0f}/s); the floor, {members} sends "
        f"through the same sender with no database, in {floor_seconds:.1f} s ({members / floor_seconds:.0f}/s); "
        f"ratio {ratio:.2f} (target {TARGET_RATIO})"
    )
    print(line)
    if send_rate:
        from bot.jobs.rate_limit import default_burst

        print(f"per-sender rate: at most {peak} messages in any one second (SEND_RATE={send_rate:g}, burst {default_burst(send_rate):g})")
        if peak > send_rate + default_burst(send_rate):
            problems.append(f"{peak} messages in one second is more than the rate allows")
    print(
        f"CPU seconds during the burst ({burst_seconds:.1f} s x {os.cpu_count()} cores = {burst_seconds * os.cpu_count():.0f}): "
        + ", ".join(f"{name} {seconds:.1f}" for name, seconds in cpu.items())
    )
    print(f"checks: stand-in {stats}; reminders {reminder_statuses}; outbound {statuses}; {common.load()}")
    for problem in problems:
        print("FAILED:", problem)
    if targets and ratio < TARGET_RATIO:
        problems.append(f"ratio to the floor {ratio:.2f}, not {TARGET_RATIO} or more")
        print(f"FAILED: ratio to the floor under {TARGET_RATIO}")
    if burst_seconds >= limit:
        problems.append(f"{burst_seconds:.1f} s is not under {limit:.0f} s")
        print(f"FAILED: not under {limit:.0f} s")
    return {"seconds": burst_seconds, "floor_seconds": floor_seconds, "ratio": ratio, "problems": problems, "line": line}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead of PostgreSQL")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    parser.add_argument("--limit", type=float, default=30.0, help="seconds the reminders must beat (default 30)")
    parser.add_argument("--cold", action="store_true", help="do not warm the workers up first (imports, flows, connections)")
    parser.add_argument("--send-rate", type=float, default=0.0, help="SEND_RATE for the workers (default: none); sets --limit to none")
    parser.add_argument("--no-targets", action="store_true", help="report the ratio to the floor without failing on it")
    args = parser.parse_args(argv)
    limit = float("inf") if args.send_rate and args.limit == 30.0 else args.limit
    result = run(
        args.members, args.workers, "sqlite" if args.sqlite else "postgresql", args.keep, limit, warm=not args.cold, send_rate=args.send_rate,
        targets=not (args.no_targets or args.send_rate),
    )
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
