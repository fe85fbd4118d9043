"""Attendance from replies and staff, and reaching out when someone quietly stays away."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.core import clock
from bot.domain.attendance import attendance
from bot.domain.communities import members
from bot.storage.models import Attendance, Event, Member, StaffNotification

from helpers import drain

FIXTURE = Path(__file__).parent / "fixtures" / "communities" / "torsdag.yaml"
CPH = ZoneInfo("Europe/Copenhagen")
THURSDAYS = [datetime(2026, 11, 5, 9, 0, tzinfo=CPH) + timedelta(weeks=n) for n in range(4)]


@pytest.fixture
def cafe(runtime_factory, tmp_path):
    shutil.copy(FIXTURE, tmp_path / "torsdag.yaml")
    return runtime_factory(flows_dir=tmp_path)


def join(runtime, phone="+4529400001", name="Sara", **fields) -> int:
    with runtime.db.session() as session:
        member = members.add_member(session, community="torsdag", phone=phone, name=name, source="api", now=clock.now(), **fields)
        session.flush()
        return member.id


def live_through(runtime, *days: datetime) -> None:
    """Each day from the morning until the follow-up the morning after the event."""
    for day in days:
        for moment in (day.replace(hour=10, minute=1), day.replace(hour=23), day + timedelta(days=1, hours=0, minutes=1)):
            clock.set_now(moment)
            drain(runtime)


def event_on(session, day: datetime) -> Event:
    return session.scalars(select(Event).where(Event.local_date == day.date(), Event.community == "torsdag")).one()


def test_two_silent_misses_tell_the_staff_once_and_send_one_we_miss_you(cafe, twilio):
    clock.set_now(THURSDAYS[0])
    join(cafe)
    live_through(cafe, *THURSDAYS[:2])
    to_staff = twilio.sent_bodies_to("+4512345602")
    assert len(to_staff) == 1
    assert to_staff[0] == (
        "Sara har ikke været i caféen 2 gange i træk uden at sige til (5. november, 12. november). "
        "Måske en god idé at række ud."
    )
    to_sara = twilio.sent_bodies_to("+4529400001")
    assert to_sara[-1] == "Hej Sara, vi savner dig i caféen."
    assert len(to_sara) == 3, "two reminders, one 'we miss you', and no nagging"
    live_through(cafe, THURSDAYS[2])
    assert len(twilio.sent_bodies_to("+4512345602")) == 1, "told once, not every week"


def test_the_contact_person_is_told_only_with_the_young_persons_consent(cafe, twilio):
    clock.set_now(THURSDAYS[0])
    join(cafe, phone="+4529400002", name="Ali", contact_person_name="Pia", contact_person_phone="+4512340000", contact_person_consent=True)
    join(cafe, phone="+4529400003", name="Mo", contact_person_name="Per", contact_person_phone="+4512340001", contact_person_consent=False)
    live_through(cafe, *THURSDAYS[:2])
    assert len(twilio.sent_bodies_to("+4512340000")) == 1
    assert twilio.sent_bodies_to("+4512340001") == []
    staff = twilio.sent_bodies_to("+4512345602")
    assert len(staff) == 1 and staff[0].startswith("Mo har ikke været")


def test_the_sms_names_the_community_discreetly_and_the_console_note_by_its_name(cafe, twilio):
    clock.set_now(THURSDAYS[0])
    join(cafe, phone="+4529400004", name="Noor", contact_person_name="Pia", contact_person_phone="+4512340004", contact_person_consent=True)
    live_through(cafe, *THURSDAYS[:2])
    (sms,) = twilio.sent_bodies_to("+4512340004")
    assert sms.startswith("Noor har ikke været i caféen 2 gange i træk") and "Testcaféen" not in sms, "a lock screen shows the display_name"
    with cafe.db.session() as session:
        (note,) = session.scalars(select(StaffNotification.text)).all()
    assert note.startswith("Noor har ikke været i Testcaféen 2 gange i træk"), "staff in the console know the community by its name"


def test_saying_no_is_not_a_silent_miss(cafe, twilio):
    clock.set_now(THURSDAYS[0])
    member_id = join(cafe)
    for day in THURSDAYS[:3]:
        live_through(cafe, day)
        with cafe.db.session() as session:
            attendance.record_reply(session, session.get(Member, member_id).contact_id, event_on(session, day).id, "declined", clock.now())
    assert twilio.sent_bodies_to("+4512345602") == []


def test_coming_back_resets_the_count_and_welcomes_them(cafe, twilio):
    clock.set_now(THURSDAYS[0])
    member_id = join(cafe)
    live_through(cafe, *THURSDAYS[:2])
    with cafe.db.session() as session:
        attendance.set_presence(session, session.get(Member, member_id), event_on(session, THURSDAYS[1]), "attended", "Ali", clock.now())
    with cafe.db.session() as session:
        assert session.get(Member, member_id).no_show_notified_at is None
        assert session.get(Member, member_id).status == "active", "a quiet member is never removed"


def test_staff_presence_is_recorded_with_who_set_it(cafe, twilio):
    clock.set_now(THURSDAYS[0])
    member_id = join(cafe)
    live_through(cafe, THURSDAYS[0])
    with cafe.db.session() as session:
        event = session.scalars(select(Event).where(Event.community == "torsdag")).first()
        attendance.set_presence(session, session.get(Member, member_id), event, "attended", "Ali", clock.now())
    with cafe.db.session() as session:
        row = session.scalars(select(Attendance)).one()
        assert (row.presence, row.presence_set_by) == ("attended", "Ali")


def test_falling_attendance_of_the_whole_community_is_flagged_once(cafe, twilio):
    clock.set_now(THURSDAYS[0] - timedelta(weeks=3))
    ids = [join(cafe, phone=f"+45294100{i:02d}", name=f"Ung{i}") for i in range(4)]
    weeks = [THURSDAYS[0] + timedelta(weeks=n - 3) for n in range(8)]
    for index, day in enumerate(weeks):
        clock.set_now(day.replace(hour=10, minute=1))
        drain(cafe)
        clock.set_now(day.replace(hour=20))
        came = 4 if index < 3 else 1
        with cafe.db.session() as session:
            event = event_on(session, day)
            for member_id in ids[:came]:
                attendance.set_presence(session, session.get(Member, member_id), event, "attended", "Ali", clock.now())
        clock.set_now(day + timedelta(days=1, minutes=1))
        drain(cafe)
    with cafe.db.session() as session:
        flags = session.scalars(select(StaffNotification).where(StaffNotification.text.like("Fremmødet%"))).all()
    assert len(flags) == 1, "told when it falls, not every week after"
    assert flags[0].text == "Fremmødet i Testcaféen er faldet de seneste 3 gange. Måske værd at tale om i teamet."
