"""Conversation transcripts: what a young person writes, what the bot must answer.

A transcript runs through the real thing (recording, RQ queues and a worker, the engine, the
database, the outbox), with the clock under its control so ``- wait: 2h`` takes no time::

    name: Demo, en god dag
    conversation:
      - user: demo
      - bot: Hej! Det her er en prøve. Hvad skal jeg kalde dig?
      - user: Sara
      - saved: { name: Sara }
      - wait: 2h
      - staff: "Sara har en skidt dag ..."

In an anonymous case (RÅD), ``counsellor:`` is a counsellor's reply from the inbox and
``alert:`` what the on-call counsellor's phone gets::

      - user: RÅD
      - bot: Hej. Du skriver nu anonymt med en rådgiver ...
      - counsellor: Hej, hvad kan jeg hjælpe med?
      - bot: "Rådgiver: Hej, hvad kan jeg hjælpe med?"
      - alert: "Ungebot: Anonym sag ... har ventet 30 min. på svar."

For bookable times, ``taken:`` lets other young people book every free seat of a time
meanwhile (between the list and the pick)::

      - user: BOOK
      - bot: Hvilken tid vil du have til træningen? ...
      - taken: 2026-11-30 15:00
      - user: "1"
      - bot: Øv, den tid nåede en anden at tage lige før dig. ...

``...`` in an expected text matches anything. After each ``user:`` or ``wait:`` the bot must
say exactly the ``bot:`` lines that follow, in order: one more or one fewer is a failure.
"""
from __future__ import annotations

import itertools
import logging
import re
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path

import yaml
from sqlalchemy import func, or_, select

from bot.config import load_settings
from bot.core import clock
from bot.core.phone import normalise_phone
from bot.domain.bookings import bookings
from bot.domain.cases import inbox
from bot.domain.cases.identity import keys_for
from bot.domain.communities import members
from bot.domain.contacts.contacts import contact_for
from bot.domain.inbound import receive
from bot.engine.durations import parse_duration
from bot.flows import yamlfile
from bot.flows.loader import yaml_error_position
from bot.flows.transcript_report import TranscriptReport, TranscriptResult
from bot.jobs.worker import run_until_idle
from bot.runtime import Runtime, current_runtime, set_runtime
from bot.storage.migrate import upgrade
from bot.storage.models import Case, Contact, Member, OutboundMessage, StaffNotification

LINE_KINDS = ("user", "bot", "staff", "alert", "counsellor", "wait", "saved", "taken")
# Whatever the environment says, a run sends nothing to Twilio or Meta: staff phones and on-call
# counsellors are real people, and the console runs transcripts on the live server.
NO_PROVIDERS = {
    "twilio_account_sid": "", "twilio_auth_token": "", "twilio_from_number": "", "twilio_messaging_service_sid": "",
    "meta_app_secret": "", "meta_page_access_token": "", "meta_page_access_tokens": "",
}


class TranscriptError(Exception):
    pass


@dataclass
class Line:
    kind: str
    value: object
    lineno: int


@dataclass
class Transcript:
    name: str
    path: Path
    lineno: int
    lines: list[Line]
    contact: dict = field(default_factory=dict)
    start: datetime | None = None


def load_transcripts(path: Path) -> list[Transcript]:
    source = path.read_text(encoding="utf-8")
    try:
        root = yamlfile.compose(source)
    except yaml.MarkedYAMLError as exc:
        line, message = yaml_error_position(exc)
        raise TranscriptError(f"{path}:{line}: {message}") from None
    if root is None:
        return []
    data = yamlfile.load(source)
    if isinstance(data, dict) and "transcripts" in data:
        items, nodes = data["transcripts"], _value_node(root, "transcripts").value
    else:
        items, nodes = [data], [root]
    return [_transcript(path, item, node) for item, node in zip(items, nodes, strict=True)]


def _value_node(mapping: yaml.MappingNode, key: str) -> yaml.Node:
    return next(value for k, value in mapping.value if k.value == key)


def _transcript(path: Path, item, node: yaml.Node) -> Transcript:
    where = f"{path}:{node.start_mark.line + 1}"
    if not isinstance(item, dict) or not isinstance(item.get("conversation"), list):
        raise TranscriptError(f"{where}: a transcript needs 'conversation:' with a list of lines")
    unknown = set(item) - {"name", "contact", "conversation", "start"}
    if unknown:
        raise TranscriptError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    lines = []
    for entry, entry_node in zip(item["conversation"], _value_node(node, "conversation").value, strict=True):
        lineno = entry_node.start_mark.line + 1
        if not isinstance(entry, dict) or len(entry) != 1 or next(iter(entry)) not in LINE_KINDS:
            raise TranscriptError(f"{path}:{lineno}: each line is one of " + ", ".join(f"'{k}:'" for k in LINE_KINDS))
        kind, value = next(iter(entry.items()))
        if kind == "wait":
            try:
                value = parse_duration(value)
            except ValueError as exc:
                raise TranscriptError(f"{path}:{lineno}: {exc}") from None
        elif kind == "saved":
            if not isinstance(value, dict):
                raise TranscriptError(f"{path}:{lineno}: 'saved:' takes field: value pairs")
        elif kind == "taken":
            try:
                value = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
            except ValueError:
                raise TranscriptError(f"{path}:{lineno}: 'taken:' takes a local date and time like 2026-11-30 15:00") from None
        else:
            value = "" if value is None else str(value)
        lines.append(Line(kind, value, lineno))
    start = item.get("start")
    if start is not None and not isinstance(start, datetime):
        try:
            start = datetime.fromisoformat(str(start))
        except ValueError:
            raise TranscriptError(f"{where}: 'start:' must be a date and time like 2026-03-29 01:30") from None
    return Transcript(str(item.get("name") or path.stem), path, node.start_mark.line + 1, lines, dict(item.get("contact") or {}), start)


def _normalise(text: str) -> str:
    return "\n".join(line.strip() for line in text.strip().splitlines() if line.strip())


def matches(expected: str, actual: str) -> bool:
    pattern = r"\s*.*?\s*".join(re.escape(part.strip()) for part in _normalise(expected).split("..."))
    return re.fullmatch(pattern, _normalise(actual), flags=re.S) is not None


class TranscriptRun:
    """One transcript against a runtime: drives the queues, collects what the bot did."""

    def __init__(self, runtime: Runtime, transcript: Transcript, phone: str):
        self.runtime = runtime
        self.transcript = transcript
        self.phone = phone
        self.failures: list[str] = []
        self._said: list[str] = []
        self._noted: list[str] = []
        self._seen_messages: set[int] = set()
        self._seen_notes: set[int] = set()
        self._alerted: list[str] = []

    def run(self) -> list[str]:
        zone = self.runtime.settings.zone
        start = self.transcript.start or datetime.combine(clock.now().astimezone(zone).date(), time(12, 0))
        if start.tzinfo is None:
            start = start.replace(tzinfo=zone)
        clock.set_now(start)
        try:
            with self.runtime.db.session() as session:
                contact = contact_for(session, "tel", self.phone, clock.now())
                self.contact_id = contact.id
                self._set_up_contact(contact)
                self._seen_from = session.scalar(select(func.max(OutboundMessage.id))) or 0
            self.recipient_keys = keys_for(self.runtime.settings).sender_keys("terminal", self.phone)
            for line in self.transcript.lines:
                if not self._step(line):
                    break
            else:
                self._expect_nothing_more(None)
        finally:
            clock.reset()
        return self.failures

    def _set_up_contact(self, contact: Contact) -> None:
        setup = dict(self.transcript.contact)
        contact.name = setup.pop("name", None)
        contact.language = setup.pop("language", "da")
        contact.fields = {key: str(value) for key, value in setup.items()}

    def _fail(self, line: Line | None, message: str) -> bool:
        lineno = line.lineno if line else self.transcript.lineno
        self.failures.append(f"{self.transcript.path}:{lineno}: {message}")
        return False

    def _step(self, line: Line) -> bool:
        if line.kind in {"user", "wait", "counsellor", "taken"}:
            if not self._expect_nothing_more(line):
                return False
            if line.kind == "taken":
                if not self._others_take(line):
                    return False
            elif line.kind == "user":
                receive(self.runtime, channel="terminal", scheme="tel", address=self.phone, body=line.value, provider_id=f"transcript-{uuid.uuid4().hex}")
            elif line.kind == "counsellor":
                if not self._counsellor_replies(line):
                    return False
            else:
                clock.travel(line.value)
            return self._settle(line)
        if line.kind == "bot":
            return self._expect_next(line, self._said, "the bot said nothing", "the bot said")
        if line.kind == "staff":
            return self._expect_next(line, self._noted, "no note to staff", "staff were told")
        if line.kind == "alert":
            return self._expect_next(line, self._alerted, "no alert to the on-call counsellor", "the on-call counsellor got")
        return self._check_saved(line)

    def _others_take(self, line: Line) -> bool:
        """Stand-ins (who get no messages) book every free seat of the time, in each of the
        young person's communities with bookable times."""
        moment = line.value if line.value.tzinfo else line.value.replace(tzinfo=self.runtime.settings.zone)
        now = clock.now()
        communities = bookings.bookable_communities(self.runtime)
        with self.runtime.db.session() as session:
            theirs = session.scalars(
                select(Member.community).where(Member.contact_id == self.contact_id, Member.status == "active", Member.community.in_(list(communities)))
            ).all()
            if not theirs:
                return self._fail(line, "the young person is in no community with bookable times")
            for slug in theirs:
                community = communities[slug]
                free = community.bookable.at_once - len(bookings.taken_seats(session, slug, moment))
                for _ in range(free):
                    other = members.add_member(session, community=slug, phone=f"+4528{next(_STAND_INS):06d}", name="En anden", source="api", now=now)
                    other.contact.opted_out_at = now
                    try:
                        bookings.book(self.runtime, session, slug, community, other, moment, now, by="transcript")
                    except bookings.BookingRefused as refused:
                        return self._fail(line, f"{slug} {moment:%Y-%m-%d %H:%M} cannot be taken: {refused.message}")
        return True

    def _counsellor_replies(self, line: Line) -> bool:
        service = self.runtime.flows.current().counselling
        with self.runtime.db.session() as session:
            case = session.scalars(select(Case).where(Case.sender_key.in_(self.recipient_keys), Case.status == "open")).first()
            if service is None or case is None:
                return self._fail(line, "there is no open anonymous case to answer")
            inbox.reply(session, service, case, "rådgiver", line.value, clock.now())
        return True

    def _expect_next(self, line: Line, pending: list[str], when_none: str, when_other: str) -> bool:
        if not pending:
            return self._fail(line, f"{when_none}, expected:\n    {_indent(line.value)}")
        actual = pending.pop(0)
        if not matches(line.value, actual):
            return self._fail(line, f"{when_other}:\n    {_indent(actual)}\n  expected:\n    {_indent(line.value)}")
        return True

    def _check_saved(self, line: Line) -> bool:
        with self.runtime.db.session() as session:
            contact = session.get(Contact, self.contact_id)
            saved = {**(contact.fields or {}), "name": contact.name, "language": contact.language}
        for key, expected in line.value.items():
            if str(saved.get(key)) != str(expected):
                return self._fail(line, f"field '{key}' is {saved.get(key)!r}, expected {expected!r}")
        return True

    def _expect_nothing_more(self, line: Line | None) -> bool:
        if self._said:
            return self._fail(line, "the bot also said:\n    " + "\n    ".join(_indent(s) for s in self._said))
        if self._noted:
            return self._fail(line, "staff were also told:\n    " + "\n    ".join(self._noted))
        if self._alerted:
            return self._fail(line, "the on-call counsellor also got:\n    " + "\n    ".join(self._alerted))
        return True

    def _settle(self, line: Line) -> bool:
        """Let the scheduler and a worker run until nothing is left to do, then collect."""
        run_until_idle(self.runtime)
        for queue in self.runtime.queues:
            registry = queue.failed_job_registry
            for job_id in registry.get_job_ids():
                job = queue.fetch_job(job_id)
                registry.remove(job_id, delete_job=True)
                reason = (job.latest_result().exc_string or "").strip().splitlines()[-1] if job and job.latest_result() else "?"
                return self._fail(line, f"a job failed: {reason}")
        self._collect()
        return True

    def _collect(self) -> None:
        with self.runtime.db.session() as session:
            messages = session.scalars(
                select(OutboundMessage)
                .where(
                    or_(OutboundMessage.contact_id == self.contact_id, OutboundMessage.recipient_key.in_(self.recipient_keys)),
                    OutboundMessage.status == "delivered",
                )
                .order_by(OutboundMessage.sent_at, OutboundMessage.id)
            ).all()
            service = self.runtime.flows.current().counselling
            on_call = [normalise_phone(person.phone) for person in service.on_call if person.phone] if service else []
            alerts = session.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.kind == "staff", OutboundMessage.id > self._seen_from, OutboundMessage.to_address.in_(on_call))
                .order_by(OutboundMessage.id)
            ).all()
            notes = session.scalars(
                select(StaffNotification).where(StaffNotification.contact_id == self.contact_id).order_by(StaffNotification.id)
            ).all()
        for message in messages:
            if message.id not in self._seen_messages:
                self._seen_messages.add(message.id)
                self._said.append(message.body)
        with self.runtime.db.session() as session:
            aliases = session.scalars(select(Case.alias).where(Case.sender_key.in_(self.recipient_keys))).all()
        for alert in alerts:
            if alert.id not in self._seen_messages and any(alias in alert.body for alias in aliases):
                self._seen_messages.add(alert.id)
                self._alerted.append(alert.body)
        for note in notes:
            if note.id not in self._seen_notes:
                self._seen_notes.add(note.id)
                self._noted.append(note.text)


def _indent(text: str) -> str:
    return text.strip().replace("\n", "\n    ")


# Stand-in phone numbers for ``taken:``, apart from the transcripts' own (+4529...).
_STAND_INS = itertools.count(1)


def transcript_phone(index: int) -> str:
    return f"+4529{index % 1000000:06d}"


def run_folder(folder: Path, flows_dir: Path, echo: Callable[[str], None] = print) -> TranscriptReport:
    """Run every transcript in ``folder`` against ``flows_dir``, printing each result as it comes.

    Nothing of it reaches the world: a throwaway database, queues of its own, and no provider
    (the young person writes on the terminal channel; a staff SMS or an on-call alert is made,
    as the transcript may expect, but has no provider to go to).
    """
    files = sorted(Path(folder).glob("*.yaml"))
    report = TranscriptReport()

    def found(result: TranscriptResult) -> None:
        report.results.append(result)
        for line in result.lines():
            echo(line)

    # Staff SMS have nowhere to go in a test run; their "not configured" errors are not the flow's.
    logging.disable(logging.ERROR)
    previous = current_runtime()
    with tempfile.TemporaryDirectory(prefix="ungebot-transcripts-") as scratch:
        settings = load_settings(database_url=f"sqlite:///{scratch}/transcripts.sqlite3", flows_dir=flows_dir, **NO_PROVIDERS)
        upgrade(settings.sqlalchemy_url)
        runtime = Runtime(settings, queue_prefix=f"ungebot-transcripts-{uuid.uuid4().hex[:8]}")
        set_runtime(runtime)
        try:
            for problem in runtime.flows.last_result.errors:
                report.flow_problems.append(str(problem))
                echo(f"flows: {problem}")
            index = 0
            for path in files:
                try:
                    transcripts = load_transcripts(path)
                except TranscriptError as exc:
                    found(TranscriptResult(path.name, None, (str(exc),)))
                    continue
                for transcript in transcripts:
                    index += 1
                    failures = TranscriptRun(runtime, transcript, transcript_phone(index)).run()
                    found(TranscriptResult(path.name, transcript.name, tuple(failures)))
        finally:
            for queue in runtime.queues:
                queue.delete(delete_jobs=True)
            set_runtime(previous)
            runtime.db.engine.dispose()
            logging.disable(logging.NOTSET)
    echo(report.summary())
    return report
