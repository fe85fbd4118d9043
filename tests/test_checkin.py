"""Arrival check-in: HER during the event (from 30 minutes before) marks the member as come."""
from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.core import clock
from bot.domain.communities import members, reminders
from bot.domain.inbound import receive
from bot.storage.models import Attendance, Event

from helpers import drain, outbox

FIXTURE = Path(__file__).parent / "fixtures" / "communities" / "torsdag.yaml"
CPH = ZoneInfo("Europe/Copenhagen")
PHONE = "+4529700001"
OTHER = """community:
  name: Værkstedet
  display_name: værkstedet
  keyword: VAERKSTED
  schedule:
    - days: torsdag
      time: "17:00-19:00"
  checkin:
    words: [ANKOMMET, 🛬]
    opens_before: 15m
    arrived: Hej {{ name }}, godt du kom!
  reminder:
    text: Værksted i dag kl. {{ start | time }}.
"""


@pytest.fixture
def cafe(runtime_factory, tmp_path):
    shutil.copy(FIXTURE, tmp_path / "torsdag.yaml")
    (tmp_path / "vaerksted.yaml").write_text(OTHER)
    clock.set_now(datetime(2026, 11, 26, 8, 0, tzinfo=CPH))
    runtime = runtime_factory(flows_dir=tmp_path, quiet_hours="off")
    with runtime.db.session() as session:
        members.add_member(session, community="torsdag", phone=PHONE, name="Sara", source="api", now=clock.now())
    reminders.plan(runtime)
    return runtime


def text(runtime, body: str) -> str:
    receive(runtime, channel="sms", scheme="tel", address=PHONE, body=body, provider_id=f"SM{clock.now().timestamp()}{body}")
    drain(runtime)
    return last_reply(runtime)


def last_reply(runtime) -> str:
    return outbox(runtime, kind="reply")[-1].body


def presence(runtime) -> dict[str, tuple]:
    with runtime.db.session() as session:
        rows = session.execute(select(Event.community, Attendance.presence, Attendance.presence_set_by).join(Event, Event.id == Attendance.event_id)).all()
        return {community: (value, by) for community, value, by in rows}


@pytest.mark.parametrize(
    "at, arrived",
    [
        ((15, 29), False),
        ((15, 30), True),   # 30 minutes before the start
        ((18, 0), True),
        ((20, 59), True),
        ((21, 0), False),   # the end
    ],
)
def test_the_window_is_from_half_an_hour_before_until_the_end(cafe, twilio, at, arrived):
    clock.set_now(datetime(2026, 11, 26, *at, tzinfo=CPH))
    answer = text(cafe, "Tjek ind")
    assert answer.startswith("Velkommen, Sara!") is arrived, answer
    assert presence(cafe).get("torsdag") == (("attended", "tjek ind") if arrived else None)


def test_a_cancelled_evening_cannot_be_checked_in_to(cafe, twilio):
    with cafe.db.session() as session:
        session.execute(Event.__table__.update().values(cancelled_at=clock.now()))
    clock.set_now(datetime(2026, 11, 26, 17, 0, tzinfo=CPH))
    assert text(cafe, "HER").startswith("Der er ikke caféen lige nu, næste gang er torsdag 3. dec. kl. 16:00")


def test_a_member_of_two_communities_is_checked_in_where_something_is_going_on(cafe, twilio):
    with cafe.db.session() as session:
        members.add_member(session, community="vaerksted", phone=PHONE, name="Sara", source="api", now=clock.now())
    reminders.plan(cafe)
    clock.set_now(datetime(2026, 11, 26, 16, 40, tzinfo=CPH))  # the café is open; the workshop's check-in opens 16:45
    assert text(cafe, "📍").startswith("Velkommen, Sara!")
    assert presence(cafe) == {"torsdag": ("attended", "tjek ind")}
    clock.set_now(datetime(2026, 11, 26, 16, 50, tzinfo=CPH))
    assert text(cafe, "🛬") == "Hej Sara, godt du kom!", "each community's own texts"
    assert presence(cafe)["vaerksted"] == ("attended", "tjek ind")


def test_a_check_in_word_must_be_the_whole_message(cafe, twilio):
    clock.set_now(datetime(2026, 11, 26, 17, 0, tzinfo=CPH))
    receive(cafe, channel="sms", scheme="tel", address=PHONE, body="her er et spørgsmål til jer", provider_id="SMq")
    drain(cafe)
    assert presence(cafe) == {} and outbox(cafe, kind="reply") == []


def test_checking_in_does_not_end_a_conversation_that_waits_for_an_answer(cafe, twilio):
    clock.set_now(datetime(2026, 11, 26, 10, 0, tzinfo=CPH))
    cafe_reminder = reminders.queue_due(cafe, clock.now())
    drain(cafe)
    assert cafe_reminder and "Kommer du?" in outbox(cafe)[-1].body
    clock.set_now(datetime(2026, 11, 26, 15, 45, tzinfo=CPH))
    assert text(cafe, "HER").startswith("Velkommen")
    assert text(cafe, "kommer lidt senere") == "Helt fint, vi ses når du kommer.", "the reminder's reply flow still listens"


def test_english_members_get_english(cafe, twilio):
    with cafe.db.session() as session:
        members.add_member(session, community="torsdag", phone="+4529700002", name="Sam", language="en", source="api", now=clock.now())
    clock.set_now(datetime(2026, 11, 26, 22, 0, tzinfo=CPH))
    receive(cafe, channel="sms", scheme="tel", address="+4529700002", body="HER", provider_id="SMen")
    drain(cafe)
    assert last_reply(cafe) == "There's no caféen right now, next time is on Thursday 3 Dec at 16:00. You can check in from 30 minutes before the start."
