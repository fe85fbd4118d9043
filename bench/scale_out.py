"""Scale-out on standard parts: several web, worker and scheduler processes on one PostgreSQL and
one Redis, one of each killed and started again while young people write and reminders go out.

    .venv/bin/python bench/scale_out.py [--contacts 500] [--messages-per-contact 10] [--reminders 10000]
                                        [--rate 20] [--keep]

On a fresh PostgreSQL database, a redis-server of its own and the plain Twilio stand-in
(``bench/standin.py``), as real processes: 3 ``ungebot web`` (one gunicorn master each, as on
three hosts), 4 ``ungebot worker`` and 2 ``ungebot scheduler``.

1. Setup (not measured): a catch-all flow that answers every message with its own words ("besked
   7" -> "Svar på besked 7"), so the order of the replies shows; a community with an event this
   afternoon and ``--reminders`` members, whose own reminder times make their reminders fall due
   evenly while the young people write.
2. ``--contacts`` young people (``+4531...``) write ``--messages-per-contact`` messages each as
   signed Twilio webhooks, each with its own MessageSid: one message after the other, in bursts a
   fraction of a second apart (not waiting for the replies), all of them interleaved, about
   ``--rate`` a second in all, round-robin over the web processes. A delivery that fails
   (refused, timed out, not 2xx) goes to the next web process with the same MessageSid, as
   Twilio retries.
3. A quarter, half and three quarters of the way in, one web process, one worker and one
   scheduler are SIGKILLed and started again.
4. When all is settled, the checks: every inbound message stored exactly once; each young
   person's replies arrived in the order of their messages; every reminder sent exactly once;
   nothing lost (no outbound row left pending; a message the killed worker had claimed may stay
   ``submitting``: it may have reached the phone, so it is never resent; at most one); every
   webhook accepted; every process still running.

Prints the wall time, webhooks accepted per second and how many were retried, reply latency
(webhook accepted -> reply at the stand-in), reminders per second and their lag behind the due
time, the longest gap in replies and in reminders after each kill, the young people whose
replies came out of order, the CPU seconds (this run's, PostgreSQL's for it, everything else's)
and the load. Exit status 1 if a check fails. The processes' output is in ``processes.log`` in
the work directory, kept (and named) when a check fails or with ``--keep``.
"""
from __future__ import annotations

import argparse
import itertools
import os
import random
import re
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common, faults
from bench.reminders_burst import COMMUNITY, add_members

WEB, WORKERS, SCHEDULERS = 3, 4, 2
# The processes killed, and when: the share of the webhooks accepted by then.
KILLS = [(0.25, "web1"), (0.5, "worker1"), (0.75, "scheduler1")]
# A killed worker holds at most one message between "submitting" and the provider's answer.
IN_FLIGHT_ALLOWED = 1
SMS_WEBHOOK = "/webhooks/twilio/sms"
ANSWER_FLOW = """\
# Every message is answered with its own words, so the order of the replies shows.
name: Svar
catch_all: true
steps:
  svar:
    end: "Svar på {{ answer }}"
"""
REPLY = re.compile(r"Svar på besked (\d+)")
CONTACT_PREFIX, MEMBER_PREFIX = "+4531", "+4520"
# Reminders fall due from this long after planning starts, so that planning is done by then.
PLANNING_MARGIN = timedelta(seconds=5)
DELIVERY_ATTEMPTS = 40
RETRY_PAUSE = 0.1
SETTLE_WITHIN = 300.0
# The stall after a kill: the longest gap between two arrivals that begins this soon after it.
STALL_WINDOW = 10.0


@dataclass
class Message:
    """One SMS a young person sends, and what became of its webhook."""

    contact: int
    number: int
    sid: str
    due: float  # seconds after the start
    first_tried_at: float | None = None
    accepted_at: float | None = None
    attempts: int = 0

    @property
    def sender(self) -> str:
        return f"{CONTACT_PREFIX}{self.contact:06d}"


def typing_times(rng: random.Random, count: int) -> list[float]:
    """When each of a young person's ``count`` messages goes, from their first: bursts a fraction
    of a second apart (several messages in a row), a few seconds between the bursts."""
    times = [0.0]
    for _ in range(count - 1):
        times.append(times[-1] + (rng.uniform(0.1, 0.6) if rng.random() < 0.7 else rng.uniform(2.0, 6.0)))
    return times


def conversations(contacts: int, per_contact: int, rate: float, seed: int = 15) -> list[list[Message]]:
    """Each young person's messages, their first ones spread evenly over the run, so that about
    ``rate`` messages a second arrive in all."""
    rng = random.Random(seed)
    duration = contacts * per_contact / rate
    people = []
    for contact in range(contacts):
        times = typing_times(rng, per_contact)
        start = rng.uniform(0.0, max(0.0, duration - times[-1]))
        people.append([Message(contact, number, "SM" + uuid.uuid4().hex, start + moment) for number, moment in enumerate(times, 1)])
    return people


class Twilio:
    """Twilio's side of the webhooks: signed, round-robin over the web processes; a delivery that
    fails goes to the next web process with the same MessageSid."""

    def __init__(self, ports: list[int]):
        from twilio.request_validator import RequestValidator

        self.ports = ports
        self.validator = RequestValidator(common.AUTH_TOKEN)
        self.turns = itertools.count()

    def deliver(self, message: Message) -> None:
        import requests

        params = {
            "MessageSid": message.sid, "AccountSid": common.ACCOUNT_SID, "From": message.sender, "To": common.FROM_NUMBER,
            "Body": f"besked {message.number}", "NumMedia": "0",
        }
        headers = {"X-Twilio-Signature": self.validator.compute_signature(common.PUBLIC_BASE_URL + SMS_WEBHOOK, params)}
        first = next(self.turns)
        message.first_tried_at = time.monotonic()
        for attempt in range(DELIVERY_ATTEMPTS):
            port = self.ports[(first + attempt) % len(self.ports)]
            message.attempts += 1
            try:
                if requests.post(f"http://127.0.0.1:{port}{SMS_WEBHOOK}", data=params, headers=headers, timeout=10).ok:
                    message.accepted_at = time.monotonic()
                    return
            except requests.RequestException:
                pass
            time.sleep(RETRY_PAUSE)


def young_person(messages: list[Message], twilio: Twilio, started: float) -> None:
    """A phone sends one message after the other: the next once the previous one is through."""
    for message in messages:
        time.sleep(max(0.0, started + message.due - time.monotonic()))
        twilio.deliver(message)


def midday_zone() -> str:
    """A fixed-offset zone in which it is about noon now (TIMEZONE for every process), so that the
    run's reminders and their event this afternoon fall on one local day whatever the hour."""
    hours = 12 - datetime.now(UTC).hour
    return "Etc/GMT" if hours == 0 else f"Etc/GMT{-hours:+d}"  # POSIX signs: Etc/GMT-2 is UTC+2


@contextmanager
def timezone_setting(zone: str):
    """TIMEZONE in this process's environment while the block runs: the stack's processes and its
    runtime here take their settings from it."""
    before = os.environ.get("TIMEZONE")
    os.environ["TIMEZONE"] = zone
    try:
        yield
    finally:
        if before is None:
            del os.environ["TIMEZONE"]
        else:
            os.environ["TIMEZONE"] = before


def write_flows(flows_dir: Path, today) -> None:
    (flows_dir / "svar.yaml").write_text(ANSWER_FLOW)
    (flows_dir / "burst.yaml").write_text(COMMUNITY.format(day=today.isoformat()))


def members_since_last_week(runtime) -> None:
    """Members who joined a week ago: a scheduler's first planning then finds their reminder time
    today (the community's, 10:00) passed and plans nothing, where it would send a member who
    joined just now a reminder at once."""
    from sqlalchemy import update

    from bot.core import clock
    from bot.storage.models import Member

    week_ago = clock.now() - timedelta(weeks=1)
    with runtime.db.session() as session:
        session.execute(update(Member).values(joined_at=week_ago, consent_at=week_ago))


def plan_spread_reminders(runtime, first_due: datetime, seconds: float) -> int:
    """Give each member a reminder time of their own, from ``first_due`` evenly over ``seconds``,
    and plan the reminders (the planner of a scheduler started later plans the same times)."""
    from sqlalchemy import func, select, update

    from bot.domain.communities import reminders
    from bot.storage.models import Member, Reminder

    with runtime.db.session() as session:
        ids = session.scalars(select(Member.id).order_by(Member.id)).all()
        step = timedelta(seconds=seconds / len(ids))
        times = [{"id": member, "reminder_time": (first_due + index * step).astimezone(runtime.settings.zone).time()} for index, member in enumerate(ids)]
        session.execute(update(Member), times)
    reminders.plan_now(runtime)
    with runtime.db.session() as session:
        return session.scalar(select(func.count()).select_from(Reminder).where(Reminder.status == "planned"))


def process_commands(ports: list[int]) -> dict[str, tuple[str, ...]]:
    commands = {f"web{number}": ("web", "--host", "127.0.0.1", "--port", str(port), "--workers", "1") for number, port in enumerate(ports, 1)}
    commands.update({f"worker{number}": ("worker",) for number in range(1, WORKERS + 1)})
    commands.update({f"scheduler{number}": ("scheduler",) for number in range(1, SCHEDULERS + 1)})
    return commands


def all_up(stack: faults.Stack, ports: list[int]) -> bool:
    from rq import Worker

    from bot.domain import liveness

    return (
        all(faults.answers(port) for port in ports)
        and len(Worker.all(connection=stack.redis.client)) >= WORKERS
        and liveness.last_pass_age(stack.runtime) is not None
    )


def settled(stack: faults.Stack, inbound: int) -> bool:
    """Every message stored and processed, every reminder written, nothing waiting to be sent."""
    from sqlalchemy import func, select

    from bot.storage.models import InboundMessage, OutboundMessage, Reminder

    with stack.runtime.db.session() as session:
        stored = session.scalar(select(func.count()).select_from(InboundMessage))
        unprocessed = session.scalar(select(func.count()).select_from(InboundMessage).where(InboundMessage.processed_at.is_(None)))
        pending = session.scalar(select(func.count()).select_from(OutboundMessage).where(OutboundMessage.status == "pending"))
        unsent = session.scalar(select(func.count()).select_from(Reminder).where(Reminder.status.in_(("planned", "queued"))))
    return stored >= inbound and not (unprocessed or pending or unsent)


def longest_gap(moments: list[float], since: float, within: float = STALL_WINDOW) -> float:
    """The longest wait for the next arrival that begins within ``within`` seconds after ``since``."""
    points = [since, *(moment for moment in moments if moment > since)]
    return max((later - earlier for earlier, later in itertools.pairwise(points) if earlier <= since + within), default=0.0)


def percentiles(seconds: list[float]) -> str:
    if len(seconds) < 2:
        return "n/a"
    cuts = statistics.quantiles(seconds, n=100)
    return f"p50 {span(cuts[49])}, p95 {span(cuts[94])}, p99 {span(cuts[98])}, max {span(max(seconds))}"


def span(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if abs(seconds) < 1 else f"{seconds:.1f} s"


def run(contacts: int = 500, per_contact: int = 10, reminder_count: int = 10_000, rate: float = 20.0, keep: bool = False) -> dict:
    print(
        f"scale-out: {WEB} web, {WORKERS} worker and {SCHEDULERS} scheduler processes; {contacts} young people x {per_contact} "
        f"messages at {rate:g}/s, {reminder_count} reminders due meanwhile; {common.load()}",
        flush=True,
    )
    workdir = Path(tempfile.mkdtemp(prefix="ungebot-scale-out-"))
    result = None
    try:
        with timezone_setting(midday_zone()):
            result = measure(workdir, contacts, per_contact, reminder_count, rate, keep)
        return result
    finally:
        if keep or result is None or result["problems"]:
            print(f"the processes' output: {workdir / 'processes.log'}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def measure(workdir: Path, contacts: int, per_contact: int, reminder_count: int, rate: float, keep: bool) -> dict:
    from bot.core import clock

    with ExitStack() as cleanup:
        database_url = cleanup.enter_context(common.fresh_database("postgresql", keep))
        redis = cleanup.enter_context(common.PrivateRedis(workdir))
        standin_url, stats = cleanup.enter_context(common.standin())
        flows_dir = workdir / "flows"
        flows_dir.mkdir()
        write_flows(flows_dir, clock.now().astimezone(ZoneInfo(os.environ["TIMEZONE"])).date())
        stack = faults.Stack(workdir, database_url, redis, standin_url, stats, flows_dir)
        cleanup.callback(stack.stop_all)

        setup = time.monotonic()
        add_members(stack.runtime, reminder_count)
        members_since_last_week(stack.runtime)
        ports = [common.free_port() for _ in range(WEB)]
        commands = process_commands(ports)
        for name, command in commands.items():
            stack.start(name, *command)
        faults.wait_until(lambda: all_up(stack, ports), 120, "every process up", stack)
        people = conversations(contacts, per_contact, rate)
        first_due = clock.now() + PLANNING_MARGIN
        planned = plan_spread_reminders(stack.runtime, first_due, contacts * per_contact / rate)
        print(f"setup: {reminder_count} members, {planned} reminders planned, {len(commands)} processes up; {time.monotonic() - setup:.1f} s", flush=True)

        time.sleep(max(0.0, (first_due - clock.now()).total_seconds()))
        cpu = CpuUse(stack.runtime)
        started = time.monotonic()
        clock_offset = started - clock.now().timestamp()  # a wall-clock moment + this = time.monotonic()
        kills = write_while_killing(stack, commands, people, Twilio(ports), started)
        messages = [message for person in people for message in person]
        problems = []
        try:
            faults.wait_until(lambda: settled(stack, len(messages)), SETTLE_WITHIN, "everything settled", stack)
        except RuntimeError as error:
            problems.append(str(error))
        wall = time.monotonic() - started
        ours, database, others = cpu.since()
        time.sleep(1.0)  # anything sent twice would arrive now
        figures = check(Outcome.read(stack, messages, kills, started, clock_offset), reminder_count, problems)
        exited = [name for name, process in stack.processes.items() if process.poll() is not None]
        if exited:
            problems.append(f"{', '.join(exited)} no longer running")
        print(
            f"wall time {wall:.1f} s; CPU seconds meanwhile ({wall:.0f} s x {os.cpu_count()} cores = {wall * os.cpu_count():.0f}): "
            f"this run's processes {ours:.0f}, PostgreSQL for them about {database:.0f}, everything else on the machine {others:.0f}; "
            f"{common.load()}"
        )
        for problem in problems:
            print("FAILED:", problem)
        return {**figures, "wall": wall, "problems": problems}


def write_while_killing(stack: faults.Stack, commands: dict, people: list[list[Message]], twilio: Twilio, started: float) -> dict[str, float]:
    """The young people write (a thread each); as their webhooks pass each share in ``KILLS``, that
    process is SIGKILLed and started again. Returns when each was killed."""
    threads = [threading.Thread(target=young_person, args=(messages, twilio, started), daemon=True) for messages in people]
    for thread in threads:
        thread.start()
    messages = [message for person in people for message in person]
    kills = {}
    for share, name in KILLS:
        while sum(m.accepted_at is not None for m in messages) < share * len(messages) and any(t.is_alive() for t in threads):
            time.sleep(0.05)
        kills[name] = time.monotonic()
        stack.processes[name].send_signal(signal.SIGKILL)
        stack.processes[name].wait()
        stack.start(name, *commands[name])
        print(f"killed {name} at {kills[name] - started:.1f} s and started it again", flush=True)
    for thread in threads:
        thread.join()
    return kills


class CpuUse:
    """CPU seconds from now on: this run's processes (this one and all it started), PostgreSQL's
    backends for its database, and everything else on the machine."""

    def __init__(self, runtime):
        self.runtime = runtime
        self.ours, self.backends, self.machine = tree_cpu_seconds(os.getpid()), backend_cpu_seconds(runtime), common.machine_cpu_seconds()

    def since(self) -> tuple[float, float, float]:
        ours = tree_cpu_seconds(os.getpid()) - self.ours
        # Backends that ended meanwhile (a killed process's connections) are missing: about, not exactly.
        database = sum(seconds - self.backends.get(pid, 0.0) for pid, seconds in backend_cpu_seconds(self.runtime).items())
        return ours, database, common.machine_cpu_seconds() - self.machine - ours - database


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU seconds of ``root`` and every process under it, with the children they
    have waited for (a killed process, once waited for, counts with its parent; Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    parent_of, spent = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            parent_of[int(entry.name)] = int(fields[1])
            spent[int(entry.name)] = sum(int(value) for value in fields[11:15]) / tick  # utime, stime, cutime, cstime
    tree, grown = {root}, True
    while grown:
        below = {pid for pid, parent in parent_of.items() if parent in tree} - tree
        tree |= below
        grown = bool(below)
    return sum(spent.get(pid, 0.0) for pid in tree)


def backend_cpu_seconds(runtime) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend serving this run's database."""
    from sqlalchemy import text

    with runtime.db.session() as session:
        pids = session.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).all()
    return {pid: common.cpu_seconds([pid]) for pid in pids}


@dataclass
class Outcome:
    """What the run left behind: the webhooks, what the provider took, and the database."""

    messages: list[Message]
    kills: dict[str, float]  # process -> when it was killed (time.monotonic())
    started: float
    clock_offset: float
    bodies: dict[str, list[tuple[float, str]]]  # recipient -> (arrival, body), in arrival order
    stored: Counter  # provider id -> inbound rows
    unprocessed: int
    outbound: list  # (to, body, status) of every outbound row
    due: dict[str, datetime]  # member's number -> their reminder's send time
    reminder_statuses: dict[str, int]

    @classmethod
    def read(cls, stack: faults.Stack, messages: list[Message], kills: dict, started: float, clock_offset: float) -> Outcome:
        from sqlalchemy import func, select

        from bot.storage.models import ContactURN, InboundMessage, Member, OutboundMessage, Reminder

        with stack.runtime.db.session() as session:
            return cls(
                messages, kills, started, clock_offset, stack.standin("/bodies"),
                stored=Counter(dict(session.execute(select(InboundMessage.provider_id, func.count()).group_by(InboundMessage.provider_id)).all())),
                unprocessed=session.scalar(select(func.count()).select_from(InboundMessage).where(InboundMessage.processed_at.is_(None))),
                outbound=session.execute(select(OutboundMessage.to_address, OutboundMessage.body, OutboundMessage.status)).all(),
                due=dict(
                    session.execute(
                        select(ContactURN.path, Reminder.send_at)
                        .join(Member, Member.id == Reminder.member_id)
                        .join(ContactURN, ContactURN.contact_id == Member.contact_id)
                    ).all()
                ),
                reminder_statuses=dict(session.execute(select(Reminder.status, func.count()).group_by(Reminder.status)).all()),
            )


def check(outcome: Outcome, reminder_count: int, problems: list[str]) -> dict:
    """Print each figure; a failed check adds to ``problems``."""
    retried = check_webhooks(outcome, problems)
    missing_replies, reply_arrivals, out_of_order = check_replies(outcome, problems)
    missing_reminders, reminder_arrivals = check_reminders(outcome, reminder_count, problems)
    in_flight = check_outbox(outcome, missing_replies + missing_reminders, len(outcome.messages) + reminder_count, problems)
    first_kill = min(outcome.kills.values(), default=outcome.started)
    print(
        f"before the first kill: longest gap {longest_gap(reply_arrivals, outcome.started, first_kill - outcome.started):.1f} s in replies, "
        f"{longest_gap(reminder_arrivals, outcome.started, first_kill - outcome.started):.1f} s in reminders"
    )
    for name, moment in outcome.kills.items():
        print(
            f"after {name} was killed at {moment - outcome.started:.1f} s: longest gap {longest_gap(reply_arrivals, moment):.1f} s "
            f"in replies, {longest_gap(reminder_arrivals, moment):.1f} s in reminders"
        )
    return {"retried": retried, "out_of_order": out_of_order, "in_flight": in_flight}


def check_webhooks(outcome: Outcome, problems: list[str]) -> int:
    """Every webhook accepted, every inbound message stored exactly once; how many were retried."""
    messages, stored = outcome.messages, outcome.stored
    accepted = [m for m in messages if m.accepted_at is not None]
    retried = sum(m.attempts > 1 for m in accepted)
    took = max((m.accepted_at for m in accepted), default=outcome.started) - outcome.started
    print(
        f"webhooks: {len(accepted)} of {len(messages)} accepted in {took:.1f} s ({len(accepted) / max(took, 1e-9):.1f}/s), "
        f"{retried} retried at another web process; from the first try to 200 OK "
        f"{percentiles([m.accepted_at - m.first_tried_at for m in accepted])}"
    )
    sids = {m.sid for m in messages}
    missing, twice, unexpected = len(sids - set(stored)), sum(count - 1 for count in stored.values()), len(set(stored) - sids)
    print(
        f"inbound: {sum(stored.values())} stored for {len(messages)} sent: {missing} missing, {twice} stored twice, "
        f"{unexpected} unexpected, {outcome.unprocessed} unprocessed"
    )
    if len(accepted) != len(messages):
        problems.append(f"{len(messages) - len(accepted)} webhook(s) never accepted")
    if missing or twice or unexpected or outcome.unprocessed:
        problems.append(f"inbound: {missing} missing, {twice} stored twice, {unexpected} unexpected, {outcome.unprocessed} unprocessed")
    return retried


def check_replies(outcome: Outcome, problems: list[str]) -> tuple[int, list[float], int]:
    """One reply per message, each young person's in the order of their messages; the latency.
    Returns the replies missing, when the replies arrived, and how many young people had theirs out of order."""
    by_sender: dict[str, list[Message]] = {}
    for message in outcome.messages:
        by_sender.setdefault(message.sender, []).append(message)
    latencies, arrivals, out_of_order = [], [], {}
    missing = twice = overtaking = 0
    for sender, sent in by_sender.items():
        replies = [(moment, int(found.group(1))) for moment, body in outcome.bodies.get(sender, []) if (found := REPLY.fullmatch(body))]
        numbers = [number for _, number in replies]
        arrivals += [moment for moment, _ in replies]
        missing += len({m.number for m in sent} - set(numbers))
        twice += len(numbers) - len(set(numbers))
        overtaking += sum(number < max(numbers[:index]) for index, number in enumerate(numbers) if index)
        if numbers != sorted(numbers):
            out_of_order[sender] = numbers
        first_reply = {}
        for moment, number in replies:
            first_reply.setdefault(number, moment)
        latencies += [first_reply[m.number] - m.accepted_at for m in sent if m.number in first_reply and m.accepted_at is not None]
    print(
        f"replies: {len(latencies)} of {len(outcome.messages)} arrived, {missing} missing, {twice} twice; "
        f"latency (webhook accepted -> reply at the provider) {percentiles(latencies)}"
    )
    print(f"order: {len(out_of_order)} of {len(by_sender)} young people got replies out of order ({overtaking} replies overtook an earlier one)")
    if out_of_order:
        sender, numbers = next(iter(out_of_order.items()))
        problems.append(f"{len(out_of_order)} young people got their replies out of order, e.g. {sender}: {numbers}")
    if twice:
        problems.append(f"{twice} replies sent twice")
    return missing, sorted(arrivals), len(out_of_order)


def check_reminders(outcome: Outcome, reminder_count: int, problems: list[str]) -> tuple[int, list[float]]:
    """Each member reminded once; how fast, and how long after the due time. Returns the reminders
    missing and when the reminders arrived."""
    reminded = {to: arrivals for to, arrivals in outcome.bodies.items() if to.startswith(MEMBER_PREFIX)}
    twice = sum(len(arrivals) - 1 for arrivals in reminded.values())
    missing = len(set(outcome.due) - set(reminded))
    arrivals = sorted(arrivals[0][0] for arrivals in reminded.values())
    lags = [arrivals[0][0] - (outcome.due[to].timestamp() + outcome.clock_offset) for to, arrivals in reminded.items() if to in outcome.due]
    spread = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else 0.0
    print(
        f"reminders: {len(reminded)} of {reminder_count} sent, {missing} missing, {twice} twice, over {spread:.1f} s "
        f"({len(reminded) / max(spread, 1e-9):.0f}/s); behind their due time {percentiles(lags)}"
    )
    if outcome.reminder_statuses != {"sent": reminder_count}:
        problems.append(f"reminder statuses {outcome.reminder_statuses}, expected {reminder_count} sent")
    if twice:
        problems.append(f"{twice} reminders sent twice")
    return missing, arrivals


def check_outbox(outcome: Outcome, missing: int, expected: int, problems: list[str]) -> int:
    """Every outbound row against what the provider took: none lost, none twice. The one message a
    killed worker had claimed is left ``submitting`` (then ``unknown``, never resent) whether or
    not the provider got it; it is the only one allowed to be missing. Returns how many are."""
    unmatched = Counter((to, body) for to, arrivals in outcome.bodies.items() for _, body in arrivals)
    never_arrived = []
    for to, body, status in outcome.outbound:
        if unmatched[(to, body)]:
            unmatched[(to, body)] -= 1
        else:
            never_arrived.append(status)
    statuses = Counter(status for _, _, status in outcome.outbound)
    claimed = statuses["submitting"] + statuses["unknown"]
    in_flight = sum(status in ("submitting", "unknown") for status in never_arrived)
    lost, twice = len(never_arrived) - in_flight, sum(unmatched.values())
    print(
        f"outbox: {dict(statuses)}; {claimed} claimed by the killed worker ({IN_FLIGHT_ALLOWED} allowed), {in_flight} of them never "
        f"reached the provider; {lost} lost, {twice} sent twice; reminders {outcome.reminder_statuses}"
    )
    if lost or twice or claimed > IN_FLIGHT_ALLOWED:
        problems.append(f"outbox: {lost} never sent, {twice} sent twice, {claimed} left submitting or unknown ({IN_FLIGHT_ALLOWED} allowed)")
    if missing > in_flight:
        problems.append(f"{missing} replies and reminders never reached the provider, {in_flight} of them in flight at the kill")
    if len(outcome.outbound) != expected:
        problems.append(f"{len(outcome.outbound)} outbound rows, expected {expected} (a reply per message and a reminder per member)")
    return in_flight


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=500, help="young people writing (default 500)")
    parser.add_argument("--messages-per-contact", type=int, default=10, help="messages each (default 10)")
    parser.add_argument("--reminders", type=int, default=10_000, help="members with a reminder due during the run (default 10000)")
    parser.add_argument("--rate", type=float, default=20.0, help="webhooks a second in all (default 20)")
    parser.add_argument("--keep", action="store_true", help="keep the database and the work directory afterwards")
    args = parser.parse_args(argv)
    os.environ.setdefault("TZ", "UTC")
    result = run(args.contacts, args.messages_per_contact, args.reminders, args.rate, args.keep)
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
