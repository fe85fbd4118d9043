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
  rolling-upgrade a new release rolled out while young people write HJÆLP and a burst of day-of
                  reminders goes out (docs/operations.md#upgrades): after a third of the messages,
                  the new release's ``db upgrade`` (an expand step) runs under the old web, workers
                  and scheduler; the new release's processes start beside them; after another
                  third, the old ones are stopped one by one (SIGTERM); a third more go to the new

Each prints one line: sent (what the provider took), unique recipients, duplicates, missing,
in flight at a kill (claimed by the killed worker, never resent because it may have reached the
phone: the scheduler marks it ``unknown`` for staff), the longest stall in sending after the
fault, and the whole time. Exit status 1 on any duplicate, any loss, or a run over its time limit.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
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

    def start(self, name: str, *args: str, release: Path = common.PROJECT) -> subprocess.Popen:
        """``ungebot ARGS`` as ``release`` (a directory with its own ``bot`` package) has it."""
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args], **self._in_release(release), stdout=self.log, stderr=self.log
        )
        self.processes[name] = process
        return process

    def run(self, *python_args: str, release: Path = common.PROJECT) -> subprocess.CompletedProcess:
        """``python ARGS`` run to its end with ``release``'s code, its output captured."""
        return subprocess.run([sys.executable, *python_args], **self._in_release(release), capture_output=True, text=True, timeout=60)

    def _in_release(self, release: Path) -> dict:
        # ``python -m`` imports from its working directory first, then from PYTHONPATH, and only then
        # from the installed project: the release's directory is both.
        pythonpath = os.pathsep.join(filter(None, [str(release), os.environ.get("PYTHONPATH")]))
        return {"env": {**self.env, "PYTHONPATH": pythonpath}, "cwd": release}

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
def scenario(name: str, flows_from: Path | None = None):
    """A fresh database, Redis and stand-in for one scenario; its FLOWS_DIR has the burst community
    and a copy of the flows in ``flows_from``."""
    with ExitStack() as stack_of:
        workdir = Path(stack_of.enter_context(tempfile.TemporaryDirectory(prefix=f"ungebot-faults-{name}-")))
        database_url = stack_of.enter_context(common.fresh_database("postgresql"))
        redis = stack_of.enter_context(common.PrivateRedis(workdir))
        standin_url, stats = stack_of.enter_context(common.standin())
        flows_dir = workdir / "flows"
        if flows_from is None:
            flows_dir.mkdir()
        else:
            shutil.copytree(flows_from, flows_dir)
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


@dataclass(frozen=True)
class Taken:
    """A webhook a web process answered 200."""

    port: int
    at: float  # time.time()
    tries: int


class YoungPeopleTexting:
    """Young people writing HJÆLP by SMS, as Twilio delivers it: a webhook signed with the auth token,
    each message with a MessageSid of its own, the same request sent again until a web process takes
    it. ``web_port(index)`` is where message ``index`` goes, asked again at every try (as a load
    balancer chooses)."""

    PATH = "/webhooks/twilio/sms"
    TRIES = 40  # Twilio and Meta retry; this retries harder, to prove nothing is lost

    def __init__(self, web_port: Callable[[int], int]):
        from twilio.request_validator import RequestValidator

        self.web_port = web_port
        self.validator = RequestValidator(common.AUTH_TOKEN)
        self.taken: list[Taken] = []
        self.never_taken: list[int] = []
        self._threads: list[threading.Thread] = []

    def write_steadily(self, per_second: float, until: Callable[[int], bool], after: Callable[[int], None] = lambda _index: None) -> int:
        """Messages ``per_second``, each delivered by a thread of its own, until ``until(index)``;
        ``after(index)`` once message ``index`` is on its way. Returns how many were written, once
        every delivery has ended."""
        index = 0
        while not until(index):
            thread = threading.Thread(target=self._deliver, args=(index,))
            thread.start()
            self._threads.append(thread)
            after(index)
            index += 1
            time.sleep(1 / per_second)
        for thread in self._threads:
            thread.join()
        return index

    def _deliver(self, index: int) -> None:
        import requests

        params = {
            "MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": common.ACCOUNT_SID, "From": f"+4531{index:06d}",
            "To": common.FROM_NUMBER, "Body": "hjælp", "NumMedia": "0",
        }
        headers = {"X-Twilio-Signature": self.validator.compute_signature(common.PUBLIC_BASE_URL + self.PATH, params)}
        for tries in range(1, self.TRIES + 1):
            port = self.web_port(index)
            try:
                if requests.post(f"http://127.0.0.1:{port}{self.PATH}", data=params, headers=headers, timeout=10).status_code == 200:
                    self.taken.append(Taken(port, time.time(), tries))
                    return
            except requests.RequestException:
                pass
            time.sleep(0.25)
        self.never_taken.append(index)

    def retried(self) -> int:
        return sum(1 for taken in self.taken if taken.tries > 1)

    def problems(self, stack: Stack, count: int) -> list[str]:
        """Every message taken, stored once and processed."""
        from sqlalchemy import func, select

        from bot.storage.models import InboundMessage

        with stack.runtime.db.session() as session:
            stored = session.scalar(select(func.count()).select_from(InboundMessage))
            unprocessed = session.scalar(select(func.count()).select_from(InboundMessage).where(InboundMessage.processed_at.is_(None)))
        problems = []
        if stored != count:
            problems.append(f"{stored} inbound messages stored for {count} sent")
        if unprocessed:
            problems.append(f"{unprocessed} inbound messages never processed")
        if self.never_taken:
            problems.append(f"{len(self.never_taken)} webhook(s) never accepted")
        return problems


def web_command(port: int) -> tuple[str, ...]:
    return ("web", "--host", "127.0.0.1", "--port", str(port), "--workers", "2")


def web_restart_scenario(count: int) -> dict:
    """``count`` young people write HJÆLP through ``ungebot web`` while it is killed and started again."""
    from rq import Worker

    with scenario("web-restart", common.PROJECT / "flows") as stack:
        redis, stats = stack.redis, stack.stats
        port = common.free_port()
        stack.start("web", *web_command(port))
        for number in range(2):
            stack.start(f"worker{number}", "worker")
        stack.start("scheduler", "scheduler")
        wait_until(lambda: len(Worker.all(connection=redis.client)) >= 2 and answers(port), 60, "web and workers up", stack)

        fault_at = None

        def kill_the_web_a_third_of_the_way_in(index: int) -> None:
            nonlocal fault_at
            if index == count // 3:
                fault_at = time.monotonic()
                stack.processes["web"].send_signal(signal.SIGKILL)
                stack.processes["web"].wait()
                stack.start("web", *web_command(port))

        texting = YoungPeopleTexting(lambda _index: port)
        started = time.monotonic()
        texting.write_steadily(50, until=lambda index: index == count, after=kill_the_web_a_third_of_the_way_in)
        wait_until(lambda: stats()["recipients"] >= count and settled(stack), DONE_WITHIN, "every young person answered", stack)
        time.sleep(1.0)
        result = outcome("web-restart", stack, count, started, fault_at, 0)
        result["problems"] += texting.problems(stack, count)
        result["notes"] = [f"{texting.retried()} webhooks retried"]
        return result


def answers(port: int) -> bool:
    import requests

    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


# The rolling upgrade's young people write at a steady rate for as long as the rollout takes: a
# third of ``--messages`` before the migration, a third to the old and new release side by side, a
# third to the new release alone, each third in this many seconds, and as many more as come while
# processes start and stop.
PHASE_SECONDS = 15.0
EXPAND_REVISION = "rolling_upgrade_expand"
# The new release's one migration: what a real expand step adds, nothing the old release would trip over.
EXPAND_MIGRATION = '''"""The rolling-upgrade fault scenario's new release: an expand step (bench/faults.py).

Revision ID: {revision}
Revises: {down_revision}
"""
from alembic import op
import sqlalchemy as sa


revision = {revision!r}
down_revision = {down_revision!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: the old release's inserts leave it out.
    op.add_column("outbound_messages", sa.Column("segments", sa.Integer(), nullable=True))
    # NOT NULL with a server default: the old release's inserts get the default (PostgreSQL adds
    # such a column without rewriting the table).
    op.add_column("inbound_messages", sa.Column("language_guess", sa.String(8), nullable=False, server_default="da"))
    op.create_table(
        "message_reactions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("outbound_message_id", sa.Integer(), sa.ForeignKey("outbound_messages.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("emoji", sa.String(16), nullable=False),
    )
    # On a hot table an index is built concurrently, outside the migration's transaction: a plain
    # CREATE INDEX would hold up every write to the table while it is built.
    with op.get_context().autocommit_block():
        op.create_index("ix_outbound_segments", "outbound_messages", ["segments"], postgresql_concurrently=True)


def downgrade() -> None:
    op.drop_index("ix_outbound_segments", "outbound_messages")
    op.drop_table("message_reactions")
    op.drop_column("inbound_messages", "language_guess")
    op.drop_column("outbound_messages", "segments")
'''
OLD_PROCESSES = ("old web", "old worker0", "old worker1", "old scheduler")


@dataclass(frozen=True)
class Release:
    root: Path  # holds the release's own ``bot`` and ``handlers`` packages
    revision: str  # its newest migration


def new_release(workdir: Path) -> Release:
    """The next release: this project's code with one more migration, which revises the current head."""
    from alembic.script import ScriptDirectory

    from bot.storage.migrate import MIGRATIONS

    root = workdir / "new-release"
    for package in ("bot", "handlers"):
        shutil.copytree(common.PROJECT / package, root / package, ignore=shutil.ignore_patterns("__pycache__"))
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    migration = root / "bot" / "storage" / "migrations" / "versions" / f"{EXPAND_REVISION}.py"
    migration.write_text(EXPAND_MIGRATION.format(revision=EXPAND_REVISION, down_revision=head))
    return Release(root, EXPAND_REVISION)


class Rotation:
    """The load balancer in front of the web processes: message ``index`` goes to one of them, in turn."""

    def __init__(self, *ports: int):
        self.ports = ports  # replaced as a whole, never changed in place: read by many threads

    def port_for(self, index: int) -> int:
        ports = self.ports
        return ports[index % len(ports)]


@dataclass
class Rollout:
    """What the operator did, and when."""

    started: float = 0.0  # time.monotonic(), as the new release's `db upgrade` began
    migrated_at: float = 0.0  # time.time(), as it ended
    old_stopped_at: float = 0.0  # time.time(), once the last old process has exited
    restarted_old_worker: subprocess.CompletedProcess | None = None  # an old worker started after the migration
    exit_statuses: dict[str, int] = field(default_factory=dict)  # the old processes', on SIGTERM


def roll_out(stack: Stack, release: Release, rotation: Rotation, texting: YoungPeopleTexting, phase: int) -> Rollout:
    """docs/operations.md#upgrades step by step while ``texting`` goes on, with ``phase`` messages
    taken before the migration, side by side, and by the new release alone."""
    from rq import Worker

    def messages_taken(more: int, what: str) -> None:
        enough = len(texting.taken) + more
        wait_until(lambda: len(texting.taken) >= enough, 4 * PHASE_SECONDS, what, stack)

    rollout = Rollout()
    messages_taken(phase, "the messages before the migration")
    rollout.started = time.monotonic()
    migrated = stack.run("-m", "bot.cli", "db", "upgrade", release=release.root)
    if migrated.returncode:
        raise RuntimeError(f"the new release's `db upgrade` failed:\n{migrated.stdout}{migrated.stderr}")
    rollout.migrated_at = time.time()
    # The old processes alone for a moment: their scheduler passes on the migrated database, and one
    # of them that restarts now must refuse to start.
    wait_until(lambda: scheduler_passed_since(stack, rollout.migrated_at), 30, "an old scheduler pass after the migration", stack)
    rollout.restarted_old_worker = stack.run("-m", "bot.cli", "worker")

    new_port = common.free_port()
    stack.start("new web", *web_command(new_port), release=release.root)
    for number in range(2):
        stack.start(f"new worker{number}", "worker", release=release.root)
    stack.start("new scheduler", "scheduler", release=release.root)
    wait_until(lambda: len(Worker.all(connection=stack.redis.client)) >= 4 and answers(new_port), 60, "the new web and workers up", stack)
    rotation.ports = (*rotation.ports, new_port)

    messages_taken(phase, "the messages to both releases side by side")
    rotation.ports = (new_port,)  # the old web leaves the rotation before it is told to stop
    for name in OLD_PROCESSES:
        common.stop_processes([stack.processes[name]], timeout=30)
        rollout.exit_statuses[name] = stack.processes[name].returncode
    rollout.old_stopped_at = time.time()
    messages_taken(phase, "the messages to the new release alone")
    return rollout


def scheduler_passed_since(stack: Stack, moment: float) -> bool:
    from bot.domain import liveness

    last_pass = stack.runtime.redis.get(liveness.last_pass_key(stack.runtime))
    return last_pass is not None and float(last_pass) > moment


def jobs_done_by(stack: Stack, workers: set[str], since: float) -> int:
    """Jobs that ``workers`` (RQ's names) finished after ``since`` (time.time())."""
    from rq.job import Job
    from rq.registry import FinishedJobRegistry

    done = 0
    for queue in stack.runtime.queues:
        jobs = Job.fetch_many(FinishedJobRegistry(queue=queue).get_job_ids(), connection=stack.runtime.redis)
        done += sum(1 for job in jobs if job and job.worker_name in workers and job.ended_at and job.ended_at.timestamp() > since)
    return done


def failed_jobs(stack: Stack) -> int:
    from rq.registry import FailedJobRegistry

    return sum(FailedJobRegistry(queue=queue).count for queue in stack.runtime.queues)


def rolling_upgrade_scenario(count: int, reminders: int) -> dict:
    """About ``count`` young people write HJÆLP and ``reminders`` day-of reminders go out while a
    new release is rolled out: migrated under the old processes, started beside them, the old stopped."""
    from rq import Worker

    from bot.domain.cases.identity import new_key_set
    from bot.storage.migrate import schema_version

    with scenario("rolling-upgrade", common.PROJECT / "flows") as stack:
        # Both releases' processes share one set of keys, as in production (each release's
        # directory would otherwise make a laptop set of its own).
        stack.env.update(new_key_set())
        # A sender's rate (a long code's, in production) spreads the burst over the whole rollout.
        stack.env["SEND_RATE"] = f"{reminders / (3 * PHASE_SECONDS):.1f}"
        release = new_release(stack.workdir)
        imported = stack.run("-c", "import bot; print(bot.__file__)", release=release.root).stdout.strip()
        prepare_burst(stack, reminders)

        old_port = common.free_port()
        stack.start("old web", *web_command(old_port))
        for number in range(2):
            stack.start(f"old worker{number}", "worker")
        stack.start("old scheduler", "scheduler")
        wait_until(lambda: len(Worker.all(connection=stack.redis.client)) >= 2 and answers(old_port), 60, "the old web and workers up", stack)
        old_workers = {worker.name for worker in Worker.all(connection=stack.redis.client)}

        rotation = Rotation(old_port)
        texting = YoungPeopleTexting(rotation.port_for)
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=1) as operator:
            rolling = operator.submit(roll_out, stack, release, rotation, texting, count // 3)
            written = texting.write_steadily(count / 3 / PHASE_SECONDS, until=lambda _index: rolling.done())
            rollout = rolling.result()
        expected = written + reminders
        wait_until(lambda: stack.stats()["recipients"] >= expected and settled(stack), DONE_WITHIN, "everyone answered and reminded", stack)
        time.sleep(1.0)  # anything sent twice would arrive now

        result = outcome("rolling-upgrade", stack, expected, started, rollout.started, 0)
        problems = result["problems"]
        problems += texting.problems(stack, written)
        old_web_after = sum(1 for taken in texting.taken if taken.port == old_port and taken.at > rollout.migrated_at)
        old_jobs_after = jobs_done_by(stack, old_workers, rollout.migrated_at)
        new_alone = sum(1 for taken in texting.taken if taken.at > rollout.old_stopped_at)
        if not imported.startswith(str(release.root)):
            problems.append(f"the new release's processes import {imported}, not the new release's copy")
        if (revision := schema_version(stack.runtime.settings.sqlalchemy_url).revision) != release.revision:
            problems.append(f"the database is at {revision}, not the new release's {release.revision}")
        if not old_web_after or not old_jobs_after:
            problems.append(f"after the migration the old web took {old_web_after} webhooks, the old workers ran {old_jobs_after} jobs")
        problems += [f"{name} exited with {status} on SIGTERM" for name, status in rollout.exit_statuses.items() if status != 0]
        restarted = rollout.restarted_old_worker
        if restarted.returncode != 1 or "migrated by a newer release" not in restarted.stderr:
            problems.append(f"an old worker started after the migration did not refuse (exit {restarted.returncode}): {restarted.stderr[-500:]}")
        if failed := failed_jobs(stack):
            problems.append(f"{failed} jobs failed")
        result["notes"] = [
            f"after the migration the old web took {old_web_after} webhooks, the old workers ran {old_jobs_after} jobs and the old scheduler passed",
            f"the new release alone took {new_alone} webhooks",
            f"an old worker started after the migration exited {restarted.returncode}",
            f"{texting.retried()} webhooks retried",
        ]
        return result


BURSTS = {
    "worker-kill": kill_a_worker,
    "redis-restart": restart_redis,
    "redis-away": redis_away_a_minute,
    "redis-flush": flush_redis,
    "provider-errors": provider_errors,
}
SCENARIOS = [*BURSTS, "web-restart", "rolling-upgrade"]


def run_scenario(name: str, reminders: int, messages: int) -> dict:
    if name == "web-restart":
        return web_restart_scenario(messages)
    if name == "rolling-upgrade":
        return rolling_upgrade_scenario(messages, reminders)
    return burst_scenario(name, BURSTS[name], reminders)


def run(reminders: int = 2000, messages: int = 300, only: list[str] | None = None) -> dict:
    print(f"fault suite: {reminders} reminders per burst, {messages} inbound messages; {common.load()}", flush=True)
    results = []
    for name in only or SCENARIOS:
        result = run_scenario(name, reminders, messages)
        results.append(result)
        print(line(result), flush=True)
        for problem in result["problems"]:
            print(f"FAILED {name}: {problem}", flush=True)
    return {"results": results, "problems": [p for r in results for p in r["problems"]]}


def line(result: dict) -> str:
    notes = "".join(f", {note}" for note in result.get("notes", ()))
    return (
        f"{result['scenario']:<16} sent {result['sent']}, unique {result['unique']}/{result['expected']}, "
        f"duplicates {result['duplicates']}, missing {result['missing']} (in flight at a kill {result['in_flight']}), "
        f"longest stall after the fault {result['stall']:.1f} s, done in {result['seconds']:.1f} s{notes}; "
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
