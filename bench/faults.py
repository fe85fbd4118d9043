"""The fault suite: real processes, real faults, and proof that nothing is lost or sent twice.

    .venv/bin/python bench/faults.py [--reminders 2000] [--messages 300] [--only NAME ...]

Each scenario runs on a fresh PostgreSQL database and a redis-server of its own (no persistence:
a restart loses every queue, the worst case), with the plain Twilio stand-in (``bench/standin.py``)
and real ``ungebot worker`` (x2) and ``ungebot scheduler`` processes:

  worker-kill     a burst of day-of reminders; one worker is SIGKILLed a third of the way in
                  and started again
  redis-restart   the same burst; redis-server is killed (SIGKILL) and started again, empty
  redis-away      the same burst; redis-server is stopped for a minute, then started again, empty
  redis-flush     the same burst; FLUSHALL a third of the way in
  provider-errors the same burst; the stand-in answers 100 sends with 429, 100 with 500, and
                  holds 2 past the sender's timeout (Twilio has those: they must not go twice)
  web-restart     young people write HJÆLP by SMS through ``ungebot web`` (2 gunicorn workers)
                  while it is SIGKILLed and started again; the client retries as Twilio does

Each prints one line: sent (what the provider took), unique recipients, duplicates, missing,
in flight at a kill (claimed by the killed worker, never resent because it may have reached the
phone: the scheduler marks it ``unknown`` for staff), the longest stall in sending after the
fault, and the whole time. Exit status 1 on any duplicate, any loss, or a run over its time limit.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.reminders_burst import add_members, write_community

DONE_WITHIN = 120.0  # seconds a scenario may take once the fault is over
REDIS_AWAY_SECONDS = 60.0


class Stack:
    """One scenario's processes: database, Redis, stand-in, workers, scheduler (and web)."""

    def __init__(self, workdir: Path, database_url: str, redis: common.PrivateRedis, standin_url: str, stats, flows_dir: Path):
        from bot.runtime import Runtime, set_runtime

        self.workdir = workdir
        self.redis = redis
        self.stats = stats
        self.standin_url = standin_url
        self.env = {**common.environment(database_url, flows_dir, "faults", standin_url), "REDIS_URL": redis.url, "LOG_LEVEL": "INFO"}
        self.runtime = Runtime(common.settings_from(self.env))
        set_runtime(self.runtime)
        # Shared by every process this stack starts, for the stack's whole lifetime; stop_all() closes it.
        self.log = open(workdir / "processes.log", "ab")  # noqa: SIM115
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args], env=self.env, cwd=common.PROJECT, stdout=self.log, stderr=self.log
        )
        self.processes[name] = process
        return process

    def stop_all(self) -> None:
        common.stop_processes(list(self.processes.values()))
        self.log.close()

    def standin(self, path: str, method: str = "GET"):
        import requests

        return requests.request(method, self.standin_url + path, timeout=10).json()

    def log_tail(self) -> str:
        return (self.workdir / "processes.log").read_text(errors="replace")[-4000:]


def prepare_burst(stack: Stack, count: int) -> None:
    """``count`` members of a community with an event tomorrow, every reminder due a second ago and
    queued (as a scheduler pass would; the scheduler process would plan them for tomorrow again)."""
    from sqlalchemy import update

    from bot.core import clock
    from bot.domain.communities import reminders
    from bot.jobs.scheduler import Scheduler, redis_lost_its_data
    from bot.storage.models import Reminder

    add_members(stack.runtime, count)
    Scheduler(stack.runtime)._plan_if_due(clock.now())
    redis_lost_its_data(stack.runtime)  # this Redis is known from here on
    with stack.runtime.db.session() as session:
        session.execute(update(Reminder).values(send_at=clock.now() - timedelta(seconds=1)))
    reminders.queue_due(stack.runtime, clock.now())


def reminder_statuses(stack: Stack) -> dict[str, int]:
    from sqlalchemy import func, select

    from bot.storage.models import OutboundMessage

    with stack.runtime.db.session() as session:
        return dict(session.execute(select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)).all())


def unfinished(stack: Stack) -> list[dict]:
    from sqlalchemy import select

    from bot.storage.models import OutboundMessage

    with stack.runtime.db.session() as session:
        rows = session.scalars(select(OutboundMessage).where(OutboundMessage.status.in_(("pending", "submitting"))).limit(5))
        return [
            {"id": m.id, "status": m.status, "attempts": m.attempts, "error": m.error_code, "send_after": str(m.send_after),
             "enqueued_at": str(m.enqueued_at)}
            for m in rows
        ]


def wait_until(condition, timeout: float, what: str, stack: Stack) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{what} not within {timeout:.0f} s (stand-in {stack.stats()}, outbound {reminder_statuses(stack)}; "
                f"not done: {unfinished(stack)}); the processes said:\n{stack.log_tail()}"
            )
        time.sleep(0.02)


@contextmanager
def scenario(name: str, flows_dir=None):
    """A fresh database, Redis and stand-in for one scenario; ``flows_dir`` None: the burst community."""
    with ExitStack() as stack_of:
        workdir = Path(stack_of.enter_context(tempfile.TemporaryDirectory(prefix=f"ungebot-faults-{name}-")))
        database_url = stack_of.enter_context(common.fresh_database("postgresql"))
        redis = stack_of.enter_context(common.PrivateRedis(workdir))
        standin_url, stats = stack_of.enter_context(common.standin())
        if flows_dir is None:
            flows_dir = workdir / "flows"
            flows_dir.mkdir()
            write_community(flows_dir)
        stack = Stack(workdir, database_url, redis, standin_url, stats, flows_dir)
        stack_of.callback(stack.stop_all)
        yield stack


def burst_scenario(name: str, fault, count: int) -> dict:
    """A burst of ``count`` reminders with ``fault(stack)`` a third of the way in."""
    with scenario(name) as stack:
        stats = stack.stats
        prepare_burst(stack, count)
        started = time.monotonic()
        for number in range(2):
            stack.start(f"worker{number}", "worker")
        stack.start("scheduler", "scheduler")
        wait_until(lambda: stats()["requests"] >= count // 3, 60, "a third of the burst sent", stack)
        fault_at = time.monotonic()
        in_flight_allowed = fault(stack) or 0
        wait_until(lambda: stats()["recipients"] >= count - in_flight_allowed and settled(stack), DONE_WITHIN, "the burst finished", stack)
        time.sleep(1.0)  # anything sent twice would arrive now
        return outcome(name, stack, count, started, fault_at, in_flight_allowed)


def settled(stack: Stack) -> bool:
    statuses = reminder_statuses(stack)
    return not statuses.get("pending")


def outcome(name: str, stack: Stack, expected: int, started: float, fault_at: float, in_flight_allowed: int) -> dict:
    from sqlalchemy import select

    from bot.storage.models import OutboundMessage

    recipients = stack.standin("/recipients")
    arrivals = [moment for moment in stack.standin("/arrivals")["arrivals"] if moment >= fault_at]
    stall = max((later - earlier for earlier, later in zip([fault_at, *arrivals], arrivals, strict=False)), default=0.0)
    with stack.runtime.db.session() as session:
        rows = session.execute(select(OutboundMessage.to_address, OutboundMessage.status)).all()
    never_arrived = [(to, status) for to, status in rows if to not in recipients]
    in_flight = [row for row in never_arrived if row[1] in ("submitting", "unknown")]
    result = {
        "scenario": name,
        "expected": expected,
        "sent": sum(recipients.values()),
        "unique": len(recipients),
        "duplicates": sum(times - 1 for times in recipients.values()),
        "missing": expected - len(recipients),
        "in_flight": len(in_flight),
        "stall": stall,
        "seconds": time.monotonic() - started,
        "statuses": reminder_statuses(stack),
    }
    problems = []
    if result["duplicates"]:
        problems.append(f"{result['duplicates']} sent twice")
    if result["missing"] > len(in_flight) or len(in_flight) > in_flight_allowed:
        problems.append(f"{result['missing']} missing ({len(in_flight)} in flight at a kill, {in_flight_allowed} allowed)")
    if len(rows) != expected:
        problems.append(f"{len(rows)} outbound rows for {expected} expected")
    result["problems"] = problems
    return result


def kill_a_worker(stack: Stack) -> int:
    stack.processes["worker0"].send_signal(signal.SIGKILL)
    stack.processes["worker0"].wait()
    stack.start("worker0", "worker")
    return 1  # the one message it may have had in flight


def restart_redis(stack: Stack) -> int:
    stack.redis.stop()
    time.sleep(1.0)
    stack.redis.start()
    return 0


def redis_away_a_minute(stack: Stack) -> int:
    """Redis gone for a minute (a failover, a reboot), then back empty: every message waits in the
    database meanwhile, and goes once Redis is back."""
    stack.redis.stop()
    time.sleep(REDIS_AWAY_SECONDS)
    stack.redis.start()
    return 0


def flush_redis(stack: Stack) -> int:
    stack.redis.client.flushall()
    return 0


def provider_errors(stack: Stack) -> int:
    stack.standin("/fail?status=429&times=100", "POST")
    stack.standin("/fail?status=500&times=100", "POST")
    stack.standin("/hang?seconds=16&times=2", "POST")  # past the sender's 15 s: Twilio has them, we cannot know
    return 0


def web_restart_scenario(count: int) -> dict:
    """``count`` young people write HJÆLP through ``ungebot web`` while it is killed and started again."""
    import requests
    from rq import Worker
    from sqlalchemy import func, select
    from twilio.request_validator import RequestValidator

    from bot.storage.models import InboundMessage

    with scenario("web-restart", common.PROJECT / "flows") as stack:
        redis, stats = stack.redis, stack.stats
        port = common.free_port()
        web_args = ("web", "--host", "127.0.0.1", "--port", str(port), "--workers", "2")
        stack.start("web", *web_args)
        for number in range(2):
            stack.start(f"worker{number}", "worker")
        stack.start("scheduler", "scheduler")
        wait_until(lambda: len(Worker.all(connection=redis.client)) >= 2 and answers(port), 60, "web and workers up", stack)

        path = "/webhooks/twilio/sms"
        validator = RequestValidator(common.AUTH_TOKEN)
        attempts = []

        def deliver(index: int) -> None:
            params = {
                "MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": common.ACCOUNT_SID, "From": f"+4531{index:06d}",
                "To": common.FROM_NUMBER, "Body": "hjælp", "NumMedia": "0",
            }
            headers = {"X-Twilio-Signature": validator.compute_signature(common.PUBLIC_BASE_URL + path, params)}
            for attempt in range(1, 41):  # Twilio and Meta retry; this retries harder, to prove nothing is lost
                try:
                    if requests.post(f"http://127.0.0.1:{port}{path}", data=params, headers=headers, timeout=10).status_code == 200:
                        attempts.append(attempt)
                        return
                except requests.RequestException:
                    pass
                time.sleep(0.25)
            attempts.append(0)

        started = time.monotonic()
        threads = []
        fault_at = None
        for index in range(count):
            thread = threading.Thread(target=deliver, args=(index,))
            thread.start()
            threads.append(thread)
            if index == count // 3:
                fault_at = time.monotonic()
                stack.processes["web"].send_signal(signal.SIGKILL)
                stack.processes["web"].wait()
                stack.start("web", *web_args)
            time.sleep(1 / 50)  # 50 messages a second
        for thread in threads:
            thread.join()
        wait_until(lambda: stats()["recipients"] >= count and settled(stack), DONE_WITHIN, "every young person answered", stack)
        time.sleep(1.0)
        with stack.runtime.db.session() as session:
            stored = session.scalar(select(func.count()).select_from(InboundMessage))
        result = outcome("web-restart", stack, count, started, fault_at, 0)
        if stored != count:
            result["problems"].append(f"{stored} inbound messages stored for {count} sent")
        if 0 in attempts:
            result["problems"].append(f"{attempts.count(0)} webhook(s) never accepted")
        result["retried"] = sum(1 for attempt in attempts if attempt > 1)
        return result


def answers(port: int) -> bool:
    import requests

    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


BURSTS = {
    "worker-kill": kill_a_worker,
    "redis-restart": restart_redis,
    "redis-away": redis_away_a_minute,
    "redis-flush": flush_redis,
    "provider-errors": provider_errors,
}
SCENARIOS = [*BURSTS, "web-restart"]


def run(reminders: int = 2000, messages: int = 300, only: list[str] | None = None) -> dict:
    print(f"fault suite: {reminders} reminders per burst, {messages} inbound messages; {common.load()}", flush=True)
    results = []
    for name in only or SCENARIOS:
        result = web_restart_scenario(messages) if name == "web-restart" else burst_scenario(name, BURSTS[name], reminders)
        results.append(result)
        print(line(result), flush=True)
        for problem in result["problems"]:
            print(f"FAILED {name}: {problem}", flush=True)
    return {"results": results, "problems": [p for r in results for p in r["problems"]]}


def line(result: dict) -> str:
    extra = f", {result['retried']} webhooks retried" if "retried" in result else ""
    return (
        f"{result['scenario']:<16} sent {result['sent']}, unique {result['unique']}/{result['expected']}, "
        f"duplicates {result['duplicates']}, missing {result['missing']} (in flight at a kill {result['in_flight']}), "
        f"longest stall after the fault {result['stall']:.1f} s, done in {result['seconds']:.1f} s{extra}; "
        f"outbound {result['statuses']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=2000, help="reminders per burst (default 2000)")
    parser.add_argument("--messages", type=int, default=300, help="young people writing in the web scenario (default 300)")
    parser.add_argument("--only", nargs="+", choices=SCENARIOS, help="run only these scenarios")
    args = parser.parse_args(argv)
    os.environ.setdefault("TZ", "UTC")
    return 1 if run(args.reminders, args.messages, args.only)["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
