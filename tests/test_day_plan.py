"""The day's plan, as the morning screen shows it: the day's events, their reminders by send time,
a preview that is what is sent, and what each young person answered and whether they came."""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.core import clock
from bot.domain.attendance import attendance
from bot.domain.communities import members, reminders
from bot.domain.communities.day import DayPlan, day_plan, entry_for
from bot.storage.models import Contact, Event, Member, Reminder

from helpers import drain

CPH = ZoneInfo("Europe/Copenhagen")
THURSDAY = date(2026, 11, 26)
FREJA, OLIVER, IDA, MO = "+4529600001", "+4529600002", "+4529600003", "+4529600004"
# Two evenings on Thursday 26 November: the weekly one and a lunch added to it.
KLUB = """community:
  name: Klubben
  display_name: klubben
  keyword: KLUB
  schedule:
    - days: torsdag
      time: "16:00-21:00"
  extra:
    - {date: 2026-11-26, time: "12:00-14:00", note: Frokost}
  reminder:
    time: "10:00"
    text: Hej {{ name }}! Klubben åbner kl. {{ start | time }}. Kommer du?
"""
# Another community meeting the same day, whose events and reminders are not the club's.
CAFE = """community:
  name: Caféen
  display_name: caféen
  keyword: CAFE
  schedule:
    - days: torsdag
      time: "17:00-20:00"
  reminder:
    text: Hej {{ name }}! Caféen har åbent i dag. Kommer du?
"""


def local(*args) -> datetime:
    return datetime(*args, tzinfo=CPH)


@pytest.fixture
def flows_dir(tmp_path):
    (tmp_path / "klub.yaml").write_text(KLUB, encoding="utf-8")
    (tmp_path / "cafe.yaml").write_text(CAFE, encoding="utf-8")
    return tmp_path


@pytest.fixture
def klub(runtime_factory, flows_dir):
    clock.set_now(local(2026, 11, 26, 8, 0))
    runtime = runtime_factory(flows_dir=flows_dir)
    assert set(runtime.flows.current().communities) == {"klub", "cafe"}, runtime.flows.last_result.problems
    with runtime.db.session() as session:
        members.add_member(session, community="klub", phone=FREJA, name="Freja", source="api", now=clock.now())
        members.add_member(session, community="klub", phone=OLIVER, name="Oliver", reminder_time=time(9, 15), source="api", now=clock.now())
        members.add_member(session, community="klub", phone=IDA, name="Ida", reminder_time=time(11, 0), source="api", now=clock.now())
        members.add_member(session, community="cafe", phone=MO, name="Mo", source="api", now=clock.now())
    reminders.plan(runtime)
    return runtime


def plan_of(runtime, day=THURSDAY) -> DayPlan:
    with runtime.db.session() as session:
        return day_plan(runtime, session, "klub", runtime.flows.current().communities["klub"], day)


def hhmm(moment: datetime) -> str:
    return moment.astimezone(CPH).strftime("%H:%M")


def member_named(session, name: str) -> Member:
    return session.scalars(
        select(Member).join(Contact, Contact.id == Member.contact_id).where(Member.community == "klub", Contact.name == name)
    ).one()


def test_the_days_events_by_start_and_their_reminders_by_send_time(klub):
    plan = plan_of(klub)
    assert [(hhmm(e.starts_at), e.note) for e in plan.events] == [("12:00", "Frokost"), ("16:00", None)]
    assert {e.community for e in plan.events} == {"klub"}, "not the café's evening the same day, nor Mo's reminder for it"
    entries = [(hhmm(e.reminder.send_at), e.member.contact.name, hhmm(e.event.starts_at)) for e in plan.entries]
    assert sorted(entries, key=lambda entry: entry[0]) == entries
    assert sorted(entries) == [
        ("09:15", "Oliver", "12:00"), ("09:15", "Oliver", "16:00"),
        ("10:00", "Freja", "12:00"), ("10:00", "Freja", "16:00"),
        ("11:00", "Ida", "12:00"), ("11:00", "Ida", "16:00"),
    ]
    for entry in plan.entries:
        assert (entry.reminder.event_id, entry.reminder.member_id) == (entry.event.id, entry.member.id)
    assert plan_of(klub, date(2026, 11, 27)) == DayPlan(events=[], entries=[]), "no evening on a Friday"


def test_the_preview_is_what_is_sent_and_once_sent_it_stays_what_was_sent(klub, twilio, runtime_factory, flows_dir):
    with klub.db.session() as session:
        freja = member_named(session, "Freja")
        evening = session.scalars(select(Event).where(Event.community == "klub", Event.starts_at == local(2026, 11, 26, 16, 0))).one()
        reminder = session.scalars(select(Reminder).where(Reminder.member_id == freja.id, Reminder.event_id == evening.id)).one()
        reminder.personal_line = "Tag {{ name }} med! /Ali"  # staff's words, never a template
    previews = {(e.member.contact.name, hhmm(e.event.starts_at)): e.preview for e in plan_of(klub).entries}
    assert previews[("Freja", "16:00")] == "Hej Freja! Klubben åbner kl. 16:00. Kommer du?\nTag {{ name }} med! /Ali"
    assert previews[("Freja", "12:00")] == "Hej Freja! Klubben åbner kl. 12:00. Kommer du?"

    clock.set_now(local(2026, 11, 26, 10, 0, 30))
    drain(klub)
    sent = {name: twilio.sent_bodies_to(phone) for name, phone in (("Freja", FREJA), ("Oliver", OLIVER), ("Ida", IDA))}
    assert sorted(sent["Freja"]) == sorted([previews[("Freja", "12:00")], previews[("Freja", "16:00")]])
    assert sorted(sent["Oliver"]) == sorted([previews[("Oliver", "12:00")], previews[("Oliver", "16:00")]])
    assert sent["Ida"] == [], "Ida's go at 11:00"

    (flows_dir / "klub.yaml").write_text(KLUB.replace("Kommer du?", "Ses vi?"), encoding="utf-8")
    changed = runtime_factory(flows_dir=flows_dir)
    after = {(e.member.contact.name, hhmm(e.event.starts_at)): (e.reminder.status, e.preview) for e in plan_of(changed).entries}
    for key, preview in previews.items():
        if key[0] == "Ida":
            assert after[key] == ("planned", preview.replace("Kommer du?", "Ses vi?")), "not sent yet: today's text"
        else:
            assert after[key] == ("sent", preview), "sent: what was sent, not today's text"


def test_each_entry_has_what_the_young_person_answered_and_whether_they_came(klub):
    lunch, evening = plan_of(klub).events
    with klub.db.session() as session:
        freja, oliver = member_named(session, "Freja"), member_named(session, "Oliver")
        attendance.record_reply(session, freja.contact_id, evening.id, "confirmed", clock.now())
        attendance.record_reply(session, oliver.contact_id, lunch.id, "late", clock.now())
        attendance.set_presence(session, oliver, lunch, "attended", "kirsten", clock.now())
        attendance.set_presence(session, freja, lunch, "absent", "kirsten", clock.now())
    plan = plan_of(klub)
    assert len(plan.entries) == 6, "an attendance row lists no reminder twice"
    answered = {(e.member.contact.name, hhmm(e.event.starts_at)): (e.reply, e.presence) for e in plan.entries}
    assert answered == {
        ("Freja", "12:00"): (None, "absent"),
        ("Freja", "16:00"): ("confirmed", None),
        ("Oliver", "12:00"): ("late", "attended"),
        ("Oliver", "16:00"): (None, None),
        ("Ida", "12:00"): (None, None),
        ("Ida", "16:00"): (None, None),
    }
    with klub.db.session() as session:
        for entry in plan.entries:
            again = entry_for(klub, session, session.get(Reminder, entry.reminder.id))
            assert (again.reply, again.presence, again.preview) == (entry.reply, entry.presence, entry.preview)

