"""Late joiners: someone who joins after the day's message went out, but before the event, is told
once that it is today and when; never twice, never in quiet hours, never after STOP."""
from __future__ import annotations

import itertools
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.core import clock
from bot.domain.communities import members
from bot.domain.inbound import receive
from bot.storage.models import Attendance, Reminder

from helpers import BOOKABLE_COMMUNITY_FILE, drain

FIXTURE = Path(__file__).parent / "fixtures" / "communities" / "torsdag.yaml"
CPH = ZoneInfo("Europe/Copenhagen")
PHONE = "+4529500001"
TONIGHT = "Hej Sara! Caféen har åbent i dag kl. 16:00. Kommer du?"  # the café opens Thursdays at 16:00
_sids = itertools.count()


def thursday(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 26, hour, minute, tzinfo=CPH)


@pytest.fixture
def flows_dir(tmp_path):
    shutil.copy(FIXTURE, tmp_path / "torsdag.yaml")
    return tmp_path


def text(runtime, body: str) -> None:
    receive(runtime, channel="sms", scheme="tel", address=PHONE, body=body, provider_id=f"SMlate{next(_sids):027d}")
    drain(runtime)


def join_by_text(runtime) -> None:
    for body in ("testcafe", "Sara", "ja"):
        text(runtime, body)


def test_joining_in_the_afternoon_tells_them_about_tonight_once(runtime_factory, flows_dir, twilio):
    cafe = runtime_factory(flows_dir=flows_dir)
    clock.set_now(thursday(14, 0))  # the day's message went at 10:00
    join_by_text(cafe)
    said = twilio.sent_bodies_to(PHONE)
    assert said[-2:] == ["Velkommen til caféen, Sara! Vi glæder os til at se dig.", TONIGHT]
    clock.set_now(thursday(14, 10))
    drain(cafe)
    assert twilio.sent_bodies_to(PHONE).count(TONIGHT) == 1, "once, also when the planner passes again"
    text(cafe, "ja")
    with cafe.db.session() as session:
        assert session.scalars(select(Attendance.reply)).all() == ["confirmed"], "an answer like any to the day's message"


def test_a_member_since_the_morning_gets_the_days_message_once_as_always(runtime_factory, flows_dir, twilio):
    cafe = runtime_factory(flows_dir=flows_dir)
    clock.set_now(thursday(9, 0))
    join_by_text(cafe)
    clock.set_now(thursday(10, 1))
    drain(cafe)
    clock.set_now(thursday(14, 0))
    drain(cafe)
    assert twilio.sent_bodies_to(PHONE).count(TONIGHT) == 1


def test_too_close_to_the_start_nothing_is_said(runtime_factory, flows_dir, twilio):
    cafe = runtime_factory(flows_dir=flows_dir)
    clock.set_now(thursday(15, 45))  # the last call is 30 minutes before the start
    join_by_text(cafe)
    assert TONIGHT not in twilio.sent_bodies_to(PHONE)


def test_staff_adding_someone_in_the_afternoon_also_tells_them(runtime_factory, flows_dir, twilio):
    cafe = runtime_factory(flows_dir=flows_dir)
    clock.set_now(thursday(13, 0))
    with cafe.db.session() as session:
        members.add_member(session, community="torsdag", phone=PHONE, name="Sara", source="api", now=clock.now())
    drain(cafe)  # the planner's next pass
    assert twilio.sent_bodies_to(PHONE) == [TONIGHT]


def test_not_in_quiet_hours_and_not_after_stop(runtime_factory, flows_dir, twilio):
    cafe = runtime_factory(flows_dir=flows_dir, quiet_hours="13:00-15:00")
    clock.set_now(thursday(14, 0))
    join_by_text(cafe)
    assert TONIGHT not in twilio.sent_bodies_to(PHONE), "quiet until 15:00"
    with cafe.db.session() as session:
        (reminder,) = [r for r in session.scalars(select(Reminder)) if r.send_at.astimezone(CPH).date() == thursday(0).date()]
        assert reminder.send_at == thursday(15, 0)
    text(cafe, "STOP")
    clock.set_now(thursday(15, 0))
    drain(cafe)
    assert TONIGHT not in twilio.sent_bodies_to(PHONE)


def test_a_time_booked_today_needs_no_extra_word(runtime_factory, tmp_path, twilio):
    (tmp_path / "gym.yaml").write_text(BOOKABLE_COMMUNITY_FILE, encoding="utf-8")
    gym = runtime_factory(flows_dir=tmp_path)
    clock.set_now(datetime(2026, 11, 30, 12, 0, tzinfo=CPH))  # a Monday; the gym's times are 15-20
    for body in ("gym", "Sara", "ja", "book", "mandag kl. 17"):
        text(gym, body)
    said = twilio.sent_bodies_to(PHONE)
    assert "17:00" in said[-1], said
    drain(gym)
    assert twilio.sent_bodies_to(PHONE) == said, "the booking's own answer says when; no day-of message follows"
