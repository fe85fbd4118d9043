"""Day-of reminders: planned from the schedule, one per member per event, sent exactly once."""
from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.core import clock
from bot.domain.communities import members, reminders
from bot.jobs.scheduler import Scheduler
from bot.storage.models import Event, OutboundMessage, Reminder

from helpers import drain, lose_redis_data

FIXTURE = Path(__file__).parent / "fixtures" / "communities" / "torsdag.yaml"
CPH = ZoneInfo("Europe/Copenhagen")


@pytest.fixture
def flows_dir(tmp_path):
    shutil.copy(FIXTURE, tmp_path / "torsdag.yaml")
    return tmp_path


@pytest.fixture
def cafe(runtime_factory, flows_dir):
    return runtime_factory(flows_dir=flows_dir)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=CPH)


def add_members(runtime, count: int, **fields) -> list[int]:
    with runtime.db.session() as session:
        added = [
            members.add_member(session, community="torsdag", phone=f"+45293{index:05d}", name=f"Ung{index}", source="api", now=clock.now(), **fields)
            for index in range(count)
        ]
        session.flush()
        return [m.id for m in added]


def reminder_rows(runtime) -> list[Reminder]:
    with runtime.db.session() as session:
        return list(session.scalars(select(Reminder).order_by(Reminder.id)))


def test_one_reminder_per_member_per_event_at_the_preferred_time(cafe, twilio):
    clock.set_now(local(2026, 11, 26, 8, 0))
    add_members(cafe, 2)
    with cafe.db.session() as session:
        members.add_member(
            session,
            community="torsdag",
            phone="+4529399999",
            name="Tidlig",
            reminder_time=datetime(2000, 1, 1, 9, 15).time(),
            source="api",
            now=clock.now(),
        )
    reminders.plan(cafe)
    reminders.plan(cafe)
    rows = reminder_rows(cafe)
    assert len(rows) == 3, "planning twice plans nothing twice"
    assert sorted(r.send_at.astimezone(CPH).strftime("%H:%M") for r in rows) == ["09:15", "10:00", "10:00"]


@pytest.mark.parametrize(
    "day, expected_utc",
    [((2026, 10, 22), "08:00"), ((2026, 10, 29), "09:00"), ((2026, 3, 26), "09:00"), ((2026, 4, 2), "08:00")],
    ids=["summer-time", "after-october-change", "before-march-change", "after-march-change"],
)
def test_ten_oclock_stays_ten_oclock_across_daylight_saving(cafe, twilio, day, expected_utc):
    clock.set_now(local(*day, 7, 0))
    add_members(cafe, 1)
    reminders.plan(cafe)
    (row,) = reminder_rows(cafe)
    assert row.send_at.astimezone(CPH).strftime("%H:%M") == "10:00"
    assert row.send_at.astimezone(UTC).strftime("%H:%M") == expected_utc
    with cafe.db.session() as session:
        event = session.scalars(select(Event).where(Event.local_date == datetime(*day).date())).one()
        assert event.starts_at.astimezone(CPH).strftime("%H:%M") == "16:00"


def test_never_in_quiet_hours_and_never_after_the_start(cafe, twilio):
    clock.set_now(local(2026, 11, 26, 7, 0))
    early, late = datetime(2000, 1, 1, 6, 30).time(), datetime(2000, 1, 1, 18, 0).time()
    with cafe.db.session() as session:
        members.add_member(session, community="torsdag", phone="+4529300001", reminder_time=early, source="api", now=clock.now())
        members.add_member(session, community="torsdag", phone="+4529300002", reminder_time=late, source="api", now=clock.now())
    reminders.plan(cafe)
    times = sorted(r.send_at.astimezone(CPH).strftime("%H:%M") for r in reminder_rows(cafe))
    assert times == ["08:00", "15:30"], "quiet hours end at 08:00; the last call is 30 minutes before 16:00"


def test_a_member_who_joins_after_the_moment_gets_no_late_reminder(cafe, twilio):
    clock.set_now(local(2026, 11, 26, 17, 0))
    add_members(cafe, 1)
    reminders.plan(cafe)
    assert [r for r in reminder_rows(cafe) if r.send_at.astimezone(CPH).date().day == 26] == []


def test_the_reminder_is_sent_once_and_replies_are_attendance(cafe, twilio):
    clock.set_now(local(2026, 11, 26, 9, 0))
    add_members(cafe, 3)
    drain(cafe)
    assert twilio.messages == []
    clock.set_now(local(2026, 11, 26, 10, 0, 30))
    drain(cafe)
    drain(cafe)
    bodies = sorted(m["body"] for m in twilio.messages)
    assert bodies == [f"Hej Ung{i}! Caféen har åbent i dag kl. 16:00. Kommer du?" for i in range(3)]
    assert {r.status for r in reminder_rows(cafe)} == {"sent"}


def test_staff_personal_line_and_skip(cafe, twilio):
    clock.set_now(local(2026, 11, 26, 9, 0))
    first, second = add_members(cafe, 2)
    reminders.plan(cafe)
    with cafe.db.session() as session:
        rows = {r.member_id: r for r in session.scalars(select(Reminder))}
        rows[first].personal_line = "Vi har fået nye højttalere, dem skal du høre. /Ali"
        rows[second].status, rows[second].skipped_by = "skipped", "Ali"
    clock.set_now(local(2026, 11, 26, 10, 1))
    drain(cafe)
    (sent,) = twilio.messages
    assert sent["body"] == "Hej Ung0! Caféen har åbent i dag kl. 16:00. Kommer du?\nVi har fået nye højttalere, dem skal du høre. /Ali"


def test_cancelling_a_date_in_the_yaml_cancels_its_reminders(cafe, twilio, flows_dir):
    clock.set_now(local(2026, 11, 26, 8, 0))
    add_members(cafe, 2)
    reminders.plan(cafe)
    text = (flows_dir / "torsdag.yaml").read_text().replace("  reminder:", "  cancelled: [2026-11-26]\n  reminder:")
    (flows_dir / "torsdag.yaml").write_text(text)
    time.sleep(1.1)
    reminders.plan(cafe)
    assert {r.status for r in reminder_rows(cafe)} == {"cancelled"}
    clock.set_now(local(2026, 11, 26, 10, 1))
    drain(cafe)
    assert twilio.messages == []


def test_redis_flushed_mid_day_loses_nothing_and_doubles_nothing(cafe, twilio):
    clock.set_now(local(2026, 11, 26, 9, 0))
    add_members(cafe, 250)
    reminders.plan(cafe)
    clock.set_now(local(2026, 11, 26, 10, 0, 5))
    assert reminders.queue_due(cafe, clock.now()) == 250
    lose_redis_data(cafe)
    clock.travel(timedelta(minutes=3))
    drain(cafe)
    drain(cafe)
    assert len(twilio.messages) == 250
    assert len({m["to"] for m in twilio.messages}) == 250


def test_a_worker_killed_mid_batch_loses_nothing_and_doubles_nothing(runtime_factory, flows_dir, twilio, tmp_path):
    from test_concurrency import environment

    # The worker is a process of its own and lives in real time (the event must be ahead of it,
    # and the hour of the day must not matter).
    cafe = runtime_factory(flows_dir=flows_dir, quiet_hours="off")
    today = datetime.now(CPH).date()
    thursday = today + timedelta(days=(3 - today.weekday()) % 7 or 7)
    clock.set_now(local(thursday.year, thursday.month, thursday.day, 9, 0))
    add_members(cafe, 120)
    reminders.plan(cafe)
    with cafe.db.session() as session:
        session.execute(Reminder.__table__.update().values(send_at=datetime.now(UTC) - timedelta(seconds=1)))
    clock.reset()
    assert reminders.queue_due(cafe, clock.now()) == 120
    twilio.delay_next(0.05, times=1000)
    worker_log = tmp_path / "worker.log"
    with open(worker_log, "w") as log_file:
        worker = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "worker"],
            env={**environment(cafe), "LOG_LEVEL": "INFO"},
            stdout=log_file, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while len(twilio.messages) < 20 and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    sent_before = len(twilio.messages)
    assert 0 < sent_before < 120, f"not killed mid-batch: {sent_before} sent before the kill; the worker said:\n{worker_log.read_text()[-3000:]}"
    twilio.delay_next(0, times=1)
    clock.travel(timedelta(minutes=11))
    drain(cafe)
    drain(cafe)
    with cafe.db.session() as session:
        statuses = dict(session.execute(select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)).all())
    recipients = [m["to"] for m in twilio.messages]
    assert len(recipients) == len(set(recipients)), "nobody got it twice"
    assert statuses.get("queued", 0) + statuses.get("unknown", 0) == 120, statuses
    assert statuses.get("unknown", 0) <= 1, "at most the one message in flight when the worker died"
    assert len(recipients) >= 119


def test_a_scheduler_pass_costs_little_when_nothing_is_due(cafe, twilio):
    clock.set_now(local(2026, 11, 26, 9, 0))
    add_members(cafe, 50)
    scheduler = Scheduler(cafe)
    scheduler.run_pass()
    started = time.perf_counter()
    for _ in range(20):
        scheduler.run_pass()
    assert (time.perf_counter() - started) / 20 < 0.2, "bench/scheduler_pass.py measures it; this guards against a full scan"


def test_a_member_back_after_months_is_welcomed_back(cafe, twilio):
    from bot.domain.inbound import receive

    clock.set_now(local(2026, 9, 1, 9, 0))
    add_members(cafe, 2)
    with cafe.db.session() as session:
        session.execute(Reminder.__table__.delete())
    clock.set_now(local(2026, 11, 26, 10, 1))
    drain(cafe)
    for phone in ("+4529300000", "+4529300001"):
        body = "ja" if phone.endswith("0") else "kommer lidt senere"
        receive(cafe, channel="sms", scheme="tel", address=phone, body=body, provider_id=f"SM{phone[-8:]:0>32}")
    drain(cafe)
    assert twilio.sent_bodies_to("+4529300000")[-1] == "Hvor dejligt! Velkommen tilbage, vi glæder os til at se dig."
    assert twilio.sent_bodies_to("+4529300001")[-1] == "Hvor dejligt! Velkommen tilbage, vi glæder os til at se dig."
    receive(cafe, channel="sms", scheme="tel", address="+4529300000", body="jep", provider_id="SM" + "7" * 32)
    drain(cafe)
    assert twilio.sent_bodies_to("+4529300000")[-1] == "Fedt, vi ses!", "welcomed back once, not at every yes"
