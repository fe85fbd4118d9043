"""Anonymous cases: routed before any contact exists, kept apart from members, deleted on time."""
from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.config import ConfigError, load_settings
from bot.core import clock
from bot.domain.cases import conversation, inbox, upkeep
from bot.domain.cases.identity import keys_for, new_key_set
from bot.domain.communities import members, reminders
from bot.domain.inbound import receive
from bot.flows.counselling import Counselling, describe_opening
from bot.flows.loader import load_flows
from bot.storage.models import Attendance, Case, CaseMessage, CaseReceipt, CaseStat, Contact, ContactURN, InboundMessage, OutboundMessage

from helpers import drain, outbox

PROJECT = Path(__file__).resolve().parent.parent
CPH = ZoneInfo("Europe/Copenhagen")
PHONE = "+4520555111"
THURSDAY_EVENING = datetime(2026, 11, 26, 17, 0, tzinfo=CPH)


@pytest.fixture
def counselling(runtime_factory, tmp_path):
    shutil.copy(PROJECT / "flows" / "raadgivning.yaml", tmp_path)
    shutil.copy(PROJECT / "tests" / "fixtures" / "communities" / "torsdag.yaml", tmp_path)
    clock.set_now(THURSDAY_EVENING)
    return runtime_factory(flows_dir=tmp_path, quiet_hours="off")


_sids = iter(range(10**6))


def text(runtime, body: str, phone: str = PHONE, sid: str | None = None):
    received = receive(runtime, channel="sms", scheme="tel", address=phone, body=body, provider_id=sid or f"SM{next(_sids):032d}")
    drain(runtime)
    return received


def count(runtime, model) -> int:
    with runtime.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def the_case(runtime) -> Case:
    with runtime.db.session() as session:
        (case,) = session.scalars(select(Case)).all()
        session.expunge(case)
        return case


def bodies(runtime) -> list[str]:
    return [m.body for m in outbox(runtime)]


# -- routing ------------------------------------------------------------------------------------


def test_a_case_leaves_no_contact_and_no_readable_number(counselling, twilio):
    text(counselling, "RÅD")
    text(counselling, "2")
    text(counselling, "jeg bliver slået derhjemme")
    assert count(counselling, Contact) == count(counselling, ContactURN) == count(counselling, InboundMessage) == 0
    case = the_case(counselling)
    assert PHONE not in case.sealed_address and PHONE[3:] not in case.sender_key
    assert all(m.to_address is None and m.sealed_to for m in outbox(counselling, case_id=case.id))
    assert [m["to"] for m in twilio.messages if m["to"] == PHONE], "yet the answers reach the phone"


def test_a_message_without_a_case_goes_to_the_flows_and_stores_nothing_for_cases(counselling, twilio):
    text(counselling, "hjælp")
    assert count(counselling, Contact) == 1
    assert count(counselling, Case) == count(counselling, CaseReceipt) == 0


def test_the_opening_words_in_any_spelling_and_with_a_question_after_them(counselling, twilio):
    text(counselling, "Raad: hvordan får jeg MitID?", phone="+4520555112")
    text(counselling, "anonym", phone="+4520555113")
    text(counselling, "ADVICE", phone="+4520555114")
    with counselling.db.session() as session:
        cases = session.scalars(select(Case).order_by(Case.id)).all()
        assert [c.language for c in cases] == ["da", "da", "en"]
        first = session.scalars(select(CaseMessage).where(CaseMessage.case_id == cases[0].id, CaseMessage.direction == "in")).one()
        assert (first.kind, first.body) == ("open", "hvordan får jeg MitID?")
        assert cases[0].waiting_since is not None, "a question with the opening word is waiting for an answer"


def test_a_retried_webhook_is_handled_once(counselling, twilio):
    text(counselling, "RÅD", sid="SM" + "1" * 32)
    text(counselling, "RÅD", sid="SM" + "1" * 32)
    assert count(counselling, Case) == 1 and count(counselling, CaseMessage) == 3  # RÅD, intro, question
    text(counselling, "SLET", sid="SM" + "2" * 32)
    text(counselling, "SLET", sid="SM" + "2" * 32)
    assert bodies(counselling) == ["Din sag og alle dine beskeder er slettet."]


def test_slet_deletes_every_case_of_the_sender_and_nobody_elses(counselling, twilio):
    text(counselling, "RÅD")
    text(counselling, "RÅD", phone="+4520555999")
    with counselling.db.session() as session:
        service = counselling.flows.current().counselling
        mine = session.scalars(select(Case).where(Case.sender_key == keys_for(counselling.settings).sender_key("sms", PHONE))).one()
        inbox.close(session, service, mine, "sofie", "besvaret", "housing", clock.now())
    text(counselling, "RÅD")  # a new case after the closed one
    text(counselling, "SLET")
    with counselling.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1, "only the other person's case is left"
        assert session.scalar(select(func.count()).select_from(CaseStat)) == 3, "statistics stay, without a link"
    assert outbox(counselling)[-1].body == "Din sag og alle dine beskeder er slettet."


def test_a_reminder_interrupts_the_case_and_rad_picks_it_up_again(counselling, twilio):
    clock.set_now(datetime(2026, 11, 26, 9, 0, tzinfo=CPH))
    with counselling.db.session() as session:
        members.add_member(session, community="torsdag", phone=PHONE, name="Sara", source="api", now=clock.now())
    text(counselling, "RÅD")
    text(counselling, "2")
    clock.set_now(datetime(2026, 11, 26, 10, 1, tzinfo=CPH))
    reminders.plan(counselling)
    drain(counselling)
    assert "Sara" in outbox(counselling)[-1].body, "the day-of reminder went out"
    assert not the_case(counselling).listening
    text(counselling, "ja")
    with counselling.db.session() as session:
        assert session.scalars(select(Attendance.reply)).all() == ["confirmed"], "the answer was the reminder's"
    text(counselling, "RÅD")
    assert outbox(counselling)[-1].body.startswith("Du fortsætter din sag (Ung-")
    text(counselling, "og så en ting mere")
    with counselling.db.session() as session:
        said = session.scalars(select(CaseMessage.body).where(CaseMessage.direction == "in").order_by(CaseMessage.id)).all()
    assert said == ["", "2", "", "og så en ting mere"]


def test_one_batch_of_reminders_interrupts_every_listening_case_it_reaches(counselling, twilio):
    other = "+4520555999"
    clock.set_now(datetime(2026, 11, 26, 9, 0, tzinfo=CPH))
    with counselling.db.session() as session:
        for phone, name in ((PHONE, "Sara"), (other, "Malik")):
            members.add_member(session, community="torsdag", phone=phone, name=name, source="api", now=clock.now())
    text(counselling, "RÅD")
    text(counselling, "RÅD", phone=other)
    clock.set_now(datetime(2026, 11, 26, 10, 1, tzinfo=CPH))
    reminders.plan(counselling)
    drain(counselling)
    assert {message.to_address for message in outbox(counselling) if message.kind == "automatic"} == {PHONE, other}
    with counselling.db.session() as session:
        assert session.scalars(select(Case.listening)).all() == [False, False]


def test_a_counsellor_reply_makes_the_case_listen_again(counselling, twilio):
    text(counselling, "RÅD")
    with counselling.db.session() as session:
        session.execute(Case.__table__.update().values(listening=False))
    text(counselling, "hej igen")  # not the case's: to the flows
    assert count(counselling, Contact) == 1
    with counselling.db.session() as session:
        case = session.scalars(select(Case)).one()
        inbox.reply(session, counselling.flows.current().counselling, case, "sofie", "Hej, er du der?", clock.now())
    drain(counselling)
    text(counselling, "ja jeg er her")
    with counselling.db.session() as session:
        assert session.scalars(select(CaseMessage.body).where(CaseMessage.direction == "in").order_by(CaseMessage.id)).all()[-1] == "ja jeg er her"


def test_stop_in_the_middle_of_a_case_is_still_stop(counselling, twilio):
    text(counselling, "RÅD")
    text(counselling, "STOP")
    with counselling.db.session() as session:
        assert session.scalars(select(Contact.opted_out_at)).one() is not None
        assert session.scalars(select(CaseMessage.body).where(CaseMessage.direction == "in")).all() == [""]


def test_the_first_two_messages_at_the_same_instant_make_one_case(counselling, twilio):
    receive(counselling, channel="sms", scheme="tel", address=PHONE, body="RÅD", provider_id="SMa")
    receive(counselling, channel="sms", scheme="tel", address=PHONE, body="RÅD hjælp", provider_id="SMb")
    drain(counselling)
    assert count(counselling, Case) == 1


# -- keys ---------------------------------------------------------------------------------------


def test_a_process_without_the_private_key_stores_cases_but_cannot_send_them(runtime_factory, tmp_path, twilio):
    shutil.copy(PROJECT / "flows" / "raadgivning.yaml", tmp_path)
    clock.set_now(THURSDAY_EVENING)
    keys = new_key_set()
    web = runtime_factory(flows_dir=tmp_path, case_hash_key=keys["CASE_HASH_KEY"], case_public_key=keys["CASE_PUBLIC_KEY"])
    receive(web, channel="sms", scheme="tel", address=PHONE, body="RÅD", provider_id="SM1")
    drain(web)
    assert {m.status for m in outbox(web)} == {"pending"}, "held for retry: this worker has no private key"
    assert [m.error_code for m in outbox(web)] == ["no_case_key", None], "the second answer waits behind the first"
    worker = runtime_factory(flows_dir=tmp_path, **{name.lower(): value for name, value in keys.items()})
    clock.travel(timedelta(minutes=1))
    drain(worker)
    assert {m.status for m in outbox(worker)} == {"queued"}
    assert [m["to"] for m in twilio.messages] == [PHONE, PHONE]


def test_case_keys_are_checked_at_start():
    keys = new_key_set()
    with pytest.raises(ConfigError, match=r"^CASE_HASH_KEY: "):
        load_settings(case_hash_key="kort")
    with pytest.raises(ConfigError, match=r"^CASE_HASH_KEY: required"):
        load_settings(case_public_key=keys["CASE_PUBLIC_KEY"])
    with pytest.raises(ConfigError, match=r"^CASE_PUBLIC_KEY: required"):
        load_settings(case_hash_key=keys["CASE_HASH_KEY"])
    other = new_key_set()
    with pytest.raises(ConfigError, match=r"^CASE_PRIVATE_KEY: does not belong"):
        keys_for(load_settings(case_hash_key=keys["CASE_HASH_KEY"], case_public_key=keys["CASE_PUBLIC_KEY"], case_private_key=other["CASE_PRIVATE_KEY"]))


# -- retention and waiting ------------------------------------------------------------------------


def test_cases_are_deleted_90_days_after_their_last_message(counselling, twilio):
    text(counselling, "RÅD")
    text(counselling, "RÅD", phone="+4520555999")
    clock.travel(timedelta(days=60))
    text(counselling, "stadig her", phone="+4520555999")
    clock.travel(timedelta(days=30, minutes=1))
    assert upkeep.purge(counselling, clock.now()) == 1
    with counselling.db.session() as session:
        (left,) = session.scalars(select(Case)).all()
        assert left.sender_key == keys_for(counselling.settings).sender_key("sms", "+4520555999")
        assert session.scalar(select(func.count()).select_from(OutboundMessage).where(OutboundMessage.case_id != left.id)) == 0
        assert session.scalar(select(func.count()).select_from(CaseStat)) == 2
    clock.travel(timedelta(days=60))
    assert upkeep.purge(counselling, clock.now()) == 1
    assert count(counselling, CaseMessage) == count(counselling, CaseReceipt) == 0


def test_the_retention_period_is_configurable(runtime_factory, tmp_path, twilio):
    shutil.copy(PROJECT / "flows" / "raadgivning.yaml", tmp_path)
    clock.set_now(THURSDAY_EVENING)
    runtime = runtime_factory(flows_dir=tmp_path, case_retention_days="7")
    text(runtime, "RÅD")
    assert "gemmes i 7 dage" in outbox(runtime)[0].body
    clock.travel(timedelta(days=7, seconds=1))
    assert upkeep.purge(runtime, clock.now()) == 1


def test_the_waiting_alert_counts_only_opening_hours(counselling, twilio):
    clock.set_now(datetime(2026, 11, 26, 22, 0, tzinfo=CPH))  # closed until 09:00 Friday
    text(counselling, "RÅD")
    text(counselling, "2")
    text(counselling, "er der nogen?")
    clock.set_now(datetime(2026, 11, 27, 9, 20, tzinfo=CPH))
    assert upkeep.alert_waiting(counselling, clock.now()) == 0, "20 minutes of opening hours"
    clock.set_now(datetime(2026, 11, 27, 9, 31, tzinfo=CPH))
    assert upkeep.alert_waiting(counselling, clock.now()) == 1
    assert upkeep.alert_waiting(counselling, clock.now()) == 0, "once per wait"
    drain(counselling)
    alert = outbox(counselling, kind="staff")[-1]
    assert alert.to_address == "+4512345690"
    assert re.fullmatch(rf"Ungebot: Anonym sag {the_case(counselling).alias} har ventet 69[01] min\. på svar\.", alert.body)


# -- the conversation, pure -----------------------------------------------------------------------


def service() -> Counselling:
    return load_flows(PROJECT / "flows").flowset.counselling


def state(**changes) -> conversation.CaseState:
    values = dict(alias="Ung-1234", language="da", stage="open", urgent=False, closed_told_until=None)
    values.update(changes)
    return conversation.CaseState(**values)


@pytest.mark.parametrize(
    "stage, kind, said, when, replies, alerts, urgent",
    [
        ("asking", "open", "", THURSDAY_EVENING, ["Hej. Du skriver nu anonymt", "Haster det?"], [], False),
        ("asking", "text", "1", THURSDAY_EVENING, ["Tak. Rådgiveren ved, at det haster"], ["urgent"], True),
        ("asking", "text", "haster", THURSDAY_EVENING, ["Tak. Rådgiveren ved, at det haster"], ["urgent"], True),
        ("asking", "text", "nej", THURSDAY_EVENING, ["Tak. Skriv dit spørgsmål"], [], False),
        ("asking", "text", "hvad gør jeg med min gæld", THURSDAY_EVENING, ["Tak, din besked er nået frem"], [], False),
        ("open", "text", "tak for svaret", THURSDAY_EVENING, ["Tak, din besked er nået frem"], [], False),
        ("open", "text", "han truer med at slå mig", THURSDAY_EVENING, ["Det du skriver lyder alvorligt"], ["danger"], True),
        ("open", "text", "I want to kill myslf", THURSDAY_EVENING, ["Det du skriver lyder alvorligt"], ["danger"], True),
        (
            "open", "text", "hej", datetime(2026, 11, 28, 12, 0, tzinfo=CPH),
            ["Rådgivningen har lukket lige nu. En rådgiver svarer dig mandag kl. 09:00."], [], False,
        ),
        ("open", "resume", "", THURSDAY_EVENING, ["Du fortsætter din sag (Ung-1234)"], [], False),
        ("asking", "open", "jeg vil ikke leve mere", THURSDAY_EVENING, ["Hej. Du skriver", "Det du skriver lyder alvorligt"], ["danger"], True),
    ],
)
def test_what_the_bot_says_in_a_case(stage, kind, said, when, replies, alerts, urgent):
    step = conversation.step(service(), state(stage=stage), conversation.Incoming(kind, said), when.astimezone(ZoneInfo("UTC")), CPH, 90)
    assert len(step.replies) == len(replies), [r.text for r in step.replies]
    for reply, expected in zip(step.replies, replies, strict=True):
        assert reply.text.startswith(expected), reply.text
    assert [a.reason for a in step.alerts] == alerts
    assert step.state.urgent is urgent


def test_closed_is_said_once_per_closed_spell():
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=CPH)
    first = conversation.step(service(), state(), conversation.Incoming("text", "hej"), saturday, CPH, 90)
    again = conversation.step(service(), first.state, conversation.Incoming("text", "hallo?"), saturday + timedelta(hours=3), CPH, 90)
    assert len(first.replies) == 1 and again.replies == ()
    monday_night = datetime(2026, 11, 30, 22, 0, tzinfo=CPH)
    later = conversation.step(service(), again.state, conversation.Incoming("text", "igen"), monday_night, CPH, 90)
    assert "i morgen kl. 09:00" in later.replies[0].text


def test_christmas_eve_is_closed_and_says_when_it_opens():
    christmas_eve = datetime(2026, 12, 24, 10, 0, tzinfo=CPH)
    assert service().opening_at(christmas_eve, CPH) is None
    opens = service().next_opening(christmas_eve, CPH)
    assert describe_opening(opens, christmas_eve, CPH, "da") == "mandag kl. 09:00"
    assert describe_opening(opens, christmas_eve, CPH, "en") == "on Monday at 09:00"


# -- the counselling file -------------------------------------------------------------------------


def test_a_broken_counselling_file_is_reported_by_line_and_the_flows_keep_working(tmp_path):
    shutil.copy(PROJECT / "flows" / "help.yaml", tmp_path)
    (tmp_path / "raadgivning.yaml").write_text(
        "counselling:\n  name: Rådgivning\n  reply_within: snart\n  texts:\n    intro: Hej {{ navn }}\n"
    )
    result = load_flows(tmp_path)
    assert [str(p) for p in result.errors] == [f"{tmp_path / 'raadgivning.yaml'}:3: 'reply_within': 'snart' is not a duration; write e.g. 30m, 2h, 1d or 1h30m"]
    assert "help" in result.flowset.flows and result.flowset.counselling is None
    (tmp_path / "raadgivning.yaml").write_text("counselling:\n  name: Rådgivning\n  texts:\n    intro: Hej {{ navn }}\n")
    (problem,) = load_flows(tmp_path).errors
    assert str(problem).startswith(f"{tmp_path / 'raadgivning.yaml'}:4: template uses unknown field 'navn'")


def test_a_flow_may_not_take_the_case_words(tmp_path):
    shutil.copy(PROJECT / "flows" / "raadgivning.yaml", tmp_path)
    (tmp_path / "raad.yaml").write_text("triggers: [RÅD]\nsteps:\n  start:\n    end: Hej\n")
    (problem,) = load_flows(tmp_path).errors
    assert "opens or deletes an anonymous case" in str(problem) and str(problem).startswith(f"{tmp_path / 'raad.yaml'}:1:")


def test_a_weeks_topics_read_most_asked_first(runtime):
    """The statistics page lists a week's topics as counsellors read them: the most asked first,
    then by name, whatever order the cases were closed in."""
    with runtime.db.session() as session:
        session.add_all(
            CaseStat(opened_on=datetime(2026, 11, day).date(), topic=topic)
            for day, topic in [(23, "mitid"), (24, "economy"), (24, "housing"), (25, "housing"), (26, None), (26, "economy"), (27, "housing")]
        )
    with runtime.db.session() as session:
        (week,) = inbox.weekly_stats(session, datetime(2026, 11, 23).date(), datetime(2026, 11, 29).date())
    assert week.cases == 7
    assert list(week.topics.items()) == [("housing", 3), ("economy", 2), ("mitid", 1)]
