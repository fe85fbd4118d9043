"""A scheduler pass with 1,000,000 future reminders stored costs under 50 ms.

    .venv/bin/python bench/scheduler_pass.py [--reminders 1000000] [--passes 200] [--history] [--keep]

On a fresh PostgreSQL database it times ``Scheduler(runtime).run_pass()`` -- the steady-state
pass that ``ungebot scheduler`` runs every second: due reminders, due and lost outbox rows,
conversation timeouts and expiries, orphaned inbound messages, stale sends. The planning the
scheduler does at most every 5 minutes is not part of it (it is done once before timing).

1. empty database: median and p95 of ``--passes`` passes;
2. after bulk-loading ``--reminders`` planned reminders with future send times (10,000 members x
   100 events, server-side ``generate_series``; ANALYZE): the same, nothing due;
3. the same with 1,000 and with 10,000 reminders due (their rows are put back to ``planned``
   and the queued jobs removed between passes, outside the timing): the work grows with what is
   due, not with what is stored.

``--history`` also stores what a year of use leaves behind (ended conversations, processed
inbound messages, sent outbox rows; 200,000 each) before step 2.
Exit status 1 when the median pass with nothing due and 1M stored is 50 ms or more.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

COMMUNITY = """\
community:
  name: Stored
  display_name: caféen
  keyword: STORED
  reminder:
    time: "10:00"
    text: Hej {{ name }}! Kommer du i dag?
"""

EVENTS = 100


def bulk_load(engine, statements: list[tuple[str, dict | None]]) -> None:
    """Run the (SQL, parameters) ``statements`` in one transaction, then VACUUM ANALYZE: the
    passes are timed with the plans PostgreSQL makes for tables of that size."""
    from sqlalchemy import text

    with engine.begin() as connection:
        for sql, parameters in statements:
            connection.execute(text(sql), parameters)
    # VACUUM cannot run inside a transaction.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def load_reminders(engine, count: int) -> None:
    """``count`` planned reminders: members x EVENTS future events (from 4 days ahead, past the planning window)."""
    bulk_load(engine, [
        (
            "INSERT INTO contacts (name, language, fields, created_at) "
            "SELECT 'Ung' || g, 'da', '{}'::json, now() FROM generate_series(1, :n) g",
            {"n": max(1, count // EVENTS)},
        ),
        ("INSERT INTO contact_urns (contact_id, scheme, path) SELECT id, 'tel', '+4520' || lpad(id::text, 6, '0') FROM contacts", None),
        (
            "INSERT INTO members (contact_id, community, status, source, joined_at, consent_at) "
            "SELECT id, 'stored', 'active', 'api', now(), now() FROM contacts",
            None,
        ),
        (
            "INSERT INTO events (community, starts_at, ends_at, local_date, kind) "
            "SELECT 'stored', date_trunc('day', now()) + (g + 3) * interval '1 day' + interval '15 hours', "
            "date_trunc('day', now()) + (g + 3) * interval '1 day' + interval '20 hours', "
            "(date_trunc('day', now()) + (g + 3) * interval '1 day')::date, 'regular' "
            "FROM generate_series(1, :events) g",
            {"events": EVENTS},
        ),
        (
            "INSERT INTO reminders (member_id, event_id, send_at, status, updated_at) "
            "SELECT m.id, e.id, e.starts_at - interval '6 hours' + (m.id % 60) * interval '1 minute', 'planned', now() "
            "FROM events e CROSS JOIN members m ORDER BY e.id, m.id LIMIT :count",
            {"count": count},
        ),
    ])


def load_history(engine, count: int = 200_000) -> None:
    """What months of use leave: ended conversations, processed inbound messages, sent outbox rows."""
    bulk_load(engine, [
        (
            "INSERT INTO conversations (contact_id, flow, step, data, started_at, updated_at, timeout_at, expires_at, ended_at, end_reason) "
            "SELECT 1 + g % (SELECT count(*) FROM contacts), 'stored.svar', 'svar', '{}'::json, "
            "now() - g * interval '1 minute', now() - g * interval '1 minute', now() - g * interval '1 minute', "
            "now() - g * interval '1 minute', now() - g * interval '1 minute', 'done' FROM generate_series(1, :n) g",
            {"n": count},
        ),
        (
            "INSERT INTO inbound_messages (contact_id, channel, provider_id, body, received_at, processed_at) "
            "SELECT 1 + g % (SELECT count(*) FROM contacts), 'sms', 'SM' || md5(g::text), 'ja', "
            "now() - g * interval '1 minute', now() - g * interval '1 minute' FROM generate_series(1, :n) g",
            {"n": count},
        ),
        (
            "INSERT INTO outbound_messages (contact_id, channel, to_address, body, kind, status, send_after, attempts, "
            "provider_id, created_at, enqueued_at, sending_started_at, sent_at, updated_at) "
            "SELECT 1 + g % (SELECT count(*) FROM contacts), 'sms', '+4520000000', 'Hej', 'automatic', 'delivered', "
            "now() - g * interval '1 minute', 1, 'SM' || md5(g::text), now() - g * interval '1 minute', "
            "now() - g * interval '1 minute', now() - g * interval '1 minute', now() - g * interval '1 minute', "
            "now() - g * interval '1 minute' FROM generate_series(1, :n) g",
            {"n": count},
        ),
    ])


def time_passes(scheduler, runtime, passes: int, due: int = 0) -> tuple[float, float, int]:
    """Median and p95 (ms) of ``passes`` passes with ``due`` reminders due at each; and what one queued."""
    from sqlalchemy import select, update

    from bot.core import clock
    from bot.storage.models import Reminder

    ids: list[int] = []
    if due:
        with runtime.db.session() as session:
            ids = list(session.scalars(select(Reminder.id).where(Reminder.status == "planned").order_by(Reminder.id).limit(due)))
    times, queued = [], 0
    for _ in range(passes):
        if ids:
            with runtime.db.session() as session:
                for start in range(0, len(ids), 1000):
                    session.execute(
                        update(Reminder)
                        .where(Reminder.id.in_(ids[start : start + 1000]))
                        .values(status="planned", queued_at=None, send_at=clock.now() - timedelta(seconds=1))
                    )
            for queue in runtime.queues:
                queue.empty()
        started = time.perf_counter()
        result = scheduler.run_pass()
        times.append((time.perf_counter() - started) * 1000)
        queued = result.reminders
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], queued


def run(reminders: int = 1_000_000, passes: int = 200, history: bool = False, keep: bool = False, limit_ms: float = 50.0) -> dict:
    from sqlalchemy import func, select

    from bot.jobs.scheduler import Scheduler
    from bot.storage.models import Reminder

    print(f"scheduler pass: {reminders} stored reminders, {passes} passes per line; {common.load()}", flush=True)
    results = {}
    with tempfile.TemporaryDirectory(prefix="ungebot-bench-") as workdir, common.fresh_database("postgresql", keep) as url:
        flows_dir = Path(workdir) / "flows"
        flows_dir.mkdir()
        (flows_dir / "stored.yaml").write_text(COMMUNITY)
        env = common.environment(url, flows_dir, f"bench-{uuid.uuid4().hex[:8]}", "http://127.0.0.1:9")
        with common.runtime_for(env) as runtime:
            scheduler = Scheduler(runtime)
            scheduler.run_pass()  # plans (at most every 5 minutes); what follows is the steady state

            def line(label: str, due: int = 0) -> None:
                median, p95, queued = time_passes(scheduler, runtime, passes if due == 0 else max(20, passes // 10), due)
                results[label] = (median, p95)
                print(f"  {label:58s} median {median:6.1f} ms   p95 {p95:6.1f} ms   (queued {queued} per pass)", flush=True)

            line("empty database, nothing due")
            started = time.perf_counter()
            load_reminders(runtime.db.engine, reminders)
            if history:
                load_history(runtime.db.engine)
            with runtime.db.session() as session:
                stored = session.scalar(select(func.count()).select_from(Reminder))
            print(
                f"  (loaded {stored} planned reminders{' and history' if history else ''} in {time.perf_counter() - started:.0f} s; not measured)",
                flush=True,
            )
            line(f"{stored} reminders stored, nothing due")
            line(f"{stored} reminders stored, 1000 due", 1000)
            line(f"{stored} reminders stored, 10000 due", 10_000)
    key = next(label for label in results if label.endswith("stored, nothing due"))
    median, p95 = results[key]
    print(f"scheduler pass with {stored} future reminders stored: median {median:.1f} ms, p95 {p95:.1f} ms (limit {limit_ms:.0f} ms); {common.load()}")
    problems = [] if median < limit_ms else [f"median {median:.1f} ms is not under {limit_ms:.0f} ms"]
    for problem in problems:
        print("FAILED:", problem)
    return {"results": results, "median": median, "p95": p95, "problems": problems}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=1_000_000)
    parser.add_argument("--passes", type=int, default=200)
    parser.add_argument("--history", action="store_true", help="also store months of ended conversations, inbound and sent messages")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    return 1 if run(args.reminders, args.passes, args.history, args.keep)["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
