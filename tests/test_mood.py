"""Mood check-ins: planned once per young person, sent at their time, paused on request, and a
low answer reaches a person without passing on the young person's own words."""
from __future__ import annotations

import shutil
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.core import clock
from bot.domain import notifications
from bot.domain.communities import members
from bot.domain.inbound import receive
from bot.domain.mood import planning
from bot.engine.steps.mood_pause import pause_length
from bot.storage.models import Contact, ContactURN, Member, MoodPrompt, StaffNotification

from helpers import drain, outbox

PROJECT = Path(__file__).resolve().parent.parent
CPH = ZoneInfo("Europe/Copenhagen")
SUNDAY = datetime(2026, 11, 29, 12, 0, tzinfo=CPH)
PHONE = "+4529800001"
MOOD = """mood:
  name: Søndagstjek
  members_of: [onsdag, torsdag]
  schedule:
    - days: søndag
      time: "18:00-21:00"
"""


@pytest.fixture
def sunday(runtime_factory, tmp_path):
    shutil.copy(PROJECT / "flows" / "onsdag.yaml", tmp_path)
    shutil.copy(PROJECT / "tests" / "fixtures" / "communities" / "torsdag.yaml", tmp_path)
    shutil.copy(PROJECT / "flows" / "raadgivning.yaml", tmp_path)
    (tmp_path / "humoer.yaml").write_text(MOOD)
    clock.set_now(SUNDAY)
    return runtime_factory(flows_dir=tmp_path)


def join(runtime, community: str, phone: str = PHONE, **fields) -> int:
    with runtime.db.session() as session:
        member = members.add_member(session, community=community, phone=phone, name="Sara", source="api", now=clock.now(), **fields)
        session.flush()
        return member.id


def prompts(runtime) -> list[MoodPrompt]:
    with runtime.db.session() as session:
        found = session.scalars(select(MoodPrompt).order_by(MoodPrompt.id)).all()
        session.expunge_all()
        return found


def at(hour: int, minute: int = 0, day: int = 29) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=CPH)


def answer(runtime, text: str, phone: str = PHONE) -> list[str]:
    before = {m.id for m in outbox(runtime)}
    receive(runtime, channel="sms", scheme="tel", address=phone, body=text, provider_id=f"SM{clock.now().timestamp()}{text}")
    drain(runtime)
    return [m.body for m in outbox(runtime) if m.id not in before and m.kind == "reply"]


def test_once_per_young_person_at_their_own_time(sunday, twilio):
    join(sunday, "onsdag")
    join(sunday, "torsdag")  # the same young person in two of the check-in's communities
    join(sunday, "onsdag", phone="+4529800002", reminder_time=time(19, 30))
    join(sunday, "onsdag", phone="+4529800003", reminder_time=time(9, 0))  # outside the window: its start
    assert planning.plan(sunday, clock.now()) == 3
    assert planning.plan(sunday, clock.now()) == 0
    assert sorted(p.send_at.astimezone(CPH).time() for p in prompts(sunday)) == [time(18, 0), time(18, 0), time(19, 30)]


def test_quiet_hours_hold_a_late_window(sunday, twilio, tmp_path):
    (tmp_path / "humoer.yaml").write_text(MOOD.replace('"18:00-21:00"', '"20:30-23:00"'))
    join(sunday, "onsdag", reminder_time=time(22, 0))
    planning.plan(sunday, clock.now())
    (prompt,) = prompts(sunday)
    assert prompt.send_at.astimezone(CPH) == at(8, 0, day=30), "21:00-08:00 is quiet"


def test_sent_when_due_with_the_question_and_read_as_an_answer(sunday, twilio):
    join(sunday, "onsdag")
    planning.plan(sunday, clock.now())
    assert planning.send_due(sunday, clock.now()) == 0
    clock.set_now(at(18, 0))
    drain(sunday)
    (question,) = [m for m in outbox(sunday) if m.kind == "automatic"]
    assert question.body == "Hej Sara! Hvordan har du det i dag? Svar med et tal fra 1 (skidt) til 5 (rigtig godt)."
    assert answer(sunday, "4") == ["Tak! Vil du fortælle lidt mere? Du behøver ikke."]
    assert answer(sunday, "Fin dag i skolen") == ["Tak fordi du svarede. Vi ses!"]
    (prompt,) = prompts(sunday)
    assert (prompt.status, prompt.score, prompt.note) == ("answered", 4, "Fin dag i skolen")


def test_on_instagram_the_question_goes_from_the_communitys_own_profile(sunday, tmp_path):
    own, other = "17841400000000111", "17841400000000222"
    onsdag = tmp_path / "onsdag.yaml"
    onsdag.write_text(onsdag.read_text().replace("  place: Huset\n", f'  place: Huset\n  instagram: "{own}"\n', 1))
    member_id = join(sunday, "onsdag")
    with sunday.db.session() as session:
        contact = session.get(Member, member_id).contact
        contact.last_channel = "instagram"
        contact.urns += [
            ContactURN(scheme="instagram", path=f"{own}:9", last_inbound_at=at(10)),
            ContactURN(scheme="instagram", path=f"{other}:8", last_inbound_at=at(11)),  # written to last
        ]
    planning.plan(sunday, clock.now())
    clock.set_now(at(18, 0))
    planning.send_due(sunday, clock.now())
    (question,) = [m for m in outbox(sunday) if m.kind == "automatic"]
    assert (question.channel, question.to_address) == ("instagram", f"{own}:9")


def test_no_thanks_to_telling_more_is_not_kept_as_a_note(sunday, twilio):
    answered(sunday, [5])
    assert answer(sunday, "nej tak") == ["Tak fordi du svarede. Vi ses!"]
    assert [p.note for p in prompts(sunday)] == [None]


@pytest.mark.parametrize(
    "paused_until, stopped, left, status",
    [
        (at(12, 0, day=30), False, False, "paused"),
        (at(12, 0, day=28), False, False, "sent"),  # the pause is over
        (None, True, False, "stopped"),
        (None, False, True, "cancelled"),
    ],
)
def test_a_pause_a_stop_or_leaving_holds_the_question(sunday, twilio, paused_until, stopped, left, status):
    member_id = join(sunday, "onsdag")
    planning.plan(sunday, clock.now())
    with sunday.db.session() as session:
        contact = session.scalars(select(Contact)).one()
        contact.checkins_paused_until = paused_until
        contact.checkins_stopped_at = clock.now() if stopped else None
        if left:
            session.get(Member, member_id).status = "left"
    clock.set_now(at(18, 1))
    planning.send_due(sunday, clock.now())
    assert [p.status for p in prompts(sunday)] == [status]


@pytest.mark.parametrize(
    "text, days",
    [
        ("PAUSE", None),
        ("pause 2 uger", 14),
        ("Pause 1 uge", 7),
        ("pause 3 dage", 3),
        ("pause en måned", 30),
        ("PAUSE two weeks", 14),
        ("pause 0 dage", None),
        ("pause 99 uger", 365),
    ],
)
def test_how_long_a_pause_is(text, days):
    length = pause_length(text)
    assert (length.days if length else None) == days


def answered(runtime, scores: list[int], **member_fields) -> list[str]:
    """Answer ``scores`` on consecutive Sundays; what the young person was told on the last one."""
    join(runtime, "onsdag", **member_fields)
    told = []
    for week, score in enumerate(scores):
        clock.set_now(at(17, 0) + timedelta(days=7 * week))
        planning.plan(runtime, clock.now())
        clock.set_now(at(18, 0) + timedelta(days=7 * week))
        drain(runtime)
        told = answer(runtime, str(score))
    return told


def staff_sms(runtime) -> list:
    return outbox(runtime, kind="staff")


def test_a_very_low_answer_reaches_the_contact_person_the_young_person_agreed_to(sunday, twilio):
    told = answered(sunday, [1], contact_person_name="Bente", contact_person_phone="+4529888777", contact_person_consent=True)
    assert told == ["Tak fordi du fortæller det. Bente fra onsdagsgruppen tager kontakt til dig snart.", "Tak! Vil du fortælle lidt mere? Du behøver ikke."]
    (sms,) = staff_sms(sunday)
    assert sms.to_address == "+4529888777"
    assert sms.body.startswith("Ungebot: Sara (onsdagsgruppen) har svaret 1 af 5 på humør-tjek. Tag kontakt. https://"), "a lock screen shows the display_name"
    assert "/console/members/" in sms.body, "the young person's page in the console"
    in_the_console = sms.body.replace("(onsdagsgruppen)", "(Queergruppen)")
    with sunday.db.session() as session:
        assert session.scalars(select(StaffNotification.text)).all() == [in_the_console]
        member = session.scalars(select(Member)).one()
        assert [n.text for n in notifications.latest(session, [member.community])] == [in_the_console], "the community's staff see it"


def test_without_consent_the_staff_are_told_not_the_contact_person(sunday, twilio):
    told = answered(sunday, [1], contact_person_name="Bente", contact_person_phone="+4529888777")
    assert told[0] == "Tak fordi du fortæller det. Karim fra onsdagsgruppen tager kontakt til dig snart."
    assert [m.to_address for m in staff_sms(sunday)] == ["+4512345603"]


@pytest.mark.parametrize(
    "scores, alerted",
    [
        ([2, 2, 2], True),
        ([2, 3, 2], False),
        ([3, 2, 2], False),
        ([4, 4, 1], True),
        ([5, 5, 5], False),
    ],
)
def test_three_low_answers_in_a_row(sunday, twilio, scores, alerted):
    answered(sunday, scores)
    assert bool(staff_sms(sunday)) is alerted


def test_words_of_danger_in_the_free_text_get_help_at_once_and_the_words_stay_here(sunday, twilio):
    answered(sunday, [3])
    secret = "jeg har tænkt på selvmord"
    told = answer(sunday, secret)
    assert told[0].startswith("Det du skriver lyder alvorligt") and "70 201 201" in told[0]
    assert told[1] == "Tak fordi du fortæller det. Karim fra onsdagsgruppen tager kontakt til dig snart."
    (sms,) = staff_sms(sunday)
    assert secret not in sms.body and "har svaret 3 af 5" in sms.body


# -- staff views ------------------------------------------------------------------------------------


def test_staff_see_the_timeline_chart_and_weeks_but_not_the_words(sunday, twilio):
    from bot.api.auth import create_token
    from bot.web import create_app

    answered(sunday, [4, 2, 1])
    answer(sunday, "det er min far igen")
    with sunday.db.session() as session:
        staff = {"Authorization": "Bearer " + create_token(session, name="kirsten", role="staff", now=clock.now())}
        admin = {"Authorization": "Bearer " + create_token(session, name="anne", role="admin", now=clock.now())}
        counsellor = {"Authorization": "Bearer " + create_token(session, name="sofie", role="counsellor", now=clock.now())}
        member_id = session.scalars(select(Member.id)).one()
    client = create_app(sunday).test_client()
    timeline = client.get(f"/api/members/{member_id}/mood", headers=staff)
    assert timeline.status_code == 200
    assert [(p["score"], p["has_note"], p["note"], p["alerted"]) for p in timeline.json["points"]] == [
        (4, False, None, False),
        (2, False, None, False),
        (1, True, None, True),
    ]
    assert "min far" not in timeline.get_data(as_text=True)
    assert client.get(f"/api/members/{member_id}/mood?notes=true", headers=staff).status_code == 403
    with_notes = client.get(f"/api/members/{member_id}/mood?notes=true", headers=admin)
    assert with_notes.json["points"][-1]["note"] == "det er min far igen"
    assert client.get(f"/api/members/{member_id}/mood", headers=counsellor).status_code == 403
    chart = client.get(f"/api/members/{member_id}/mood.svg", headers=staff)
    assert chart.content_type.startswith("image/svg+xml") and chart.get_data(as_text=True).count("<circle") == 3
    assert 'role="img"' in chart.get_data(as_text=True)
    weeks = client.get("/api/mood/humoer/weeks?from=2026-11-23&to=2026-12-20", headers=staff).json["weeks"]
    assert [(w["week"], w["asked"], w["answered"], w["low"]) for w in weeks] == [
        ("2026-W48", 1, 1, 0), ("2026-W49", 1, 1, 1), ("2026-W50", 1, 1, 1), ("2026-W51", 0, 0, 0),
    ]
    assert client.get("/api/mood/nope/weeks", headers=staff).status_code == 404


def test_a_programme_without_meetings_gets_its_check_in_and_nothing_else(runtime_factory, tmp_path, twilio):
    from bot.api.auth import create_token
    from bot.domain.communities import reminders
    from bot.storage.models import Event, Reminder
    from bot.web import create_app

    for name in ("eftervaern.yaml", "eftervaern-tjek.yaml"):
        shutil.copy(PROJECT / "flows" / name, tmp_path)
    clock.set_now(datetime(2026, 11, 30, 12, 0, tzinfo=CPH))  # a Monday
    runtime = runtime_factory(flows_dir=tmp_path)
    programme = runtime.flows.current().communities["eftervaern"]
    assert (programme.meets, programme.reminder) == (False, None)
    join(runtime, "eftervaern")
    reminders.plan(runtime)
    assert planning.plan(runtime, clock.now()) == 1
    with runtime.db.session() as session:
        assert session.scalars(select(Event)).all() == [] and session.scalars(select(Reminder)).all() == []
    clock.set_now(datetime(2026, 11, 30, 17, 0, tzinfo=CPH))
    drain(runtime)
    assert [m.body for m in outbox(runtime) if m.kind == "automatic"] == ["Hej Sara! Hvordan har du det i dag? 😞 🙁 😐 🙂 😄"]
    assert answer(runtime, "🙂") == ["Tak! Vil du fortælle lidt mere? Du behøver ikke."]
    with runtime.db.session() as session:
        staff = {"Authorization": "Bearer " + create_token(session, name="jonas", role="staff", now=clock.now())}
    weeks = create_app(runtime).test_client().get("/api/mood/eftervaern-tjek/weeks?from=2026-11-30&to=2026-12-06", headers=staff)
    assert [(w["week"], w["asked"], w["answered"], w["low"]) for w in weeks.json["weeks"]] == [("2026-W49", 1, 1, 0)]


@pytest.mark.parametrize(
    "scale, question",
    [
        ("numbers", "Hej Sara! Hvordan har du det i dag? Svar med et tal fra 1 (skidt) til 5 (rigtig godt)."),
        ("words", "Hej Sara! Hvordan har du det i dag? Skidt, okay, godt eller noget helt andet?"),
        ("emoji", "Hej Sara! Hvordan har du det i dag? 😞 🙁 😐 🙂 😄"),
    ],
)
def test_each_scale_asks_its_own_way_and_every_answer_form_is_understood(sunday, twilio, tmp_path, scale, question):
    (tmp_path / "humoer.yaml").write_text(MOOD + f"  scale: {scale}\n  follow_up: null\n")
    join(sunday, "onsdag")
    said = {"fire": 4, "😄": 5, "rigtig godt": 5, "not great": 2}
    for week, text in enumerate(said):
        clock.set_now(at(18, 0) + timedelta(days=7 * week))
        drain(sunday)
        assert [m.body for m in outbox(sunday) if m.kind == "automatic"][-1] == question
        assert answer(sunday, text) == ["Tak fordi du svarede. Vi ses!"]
    assert [p.score for p in prompts(sunday)] == list(said.values())
