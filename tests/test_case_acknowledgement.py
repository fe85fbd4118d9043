"""Nobody writes into a void: in an open case the young person hears once that their words reached
the counsellors and when to expect an answer (again after a long silence), and a keyword meant for
the bot (HJÆLP) is answered with where they are and how to leave."""
from __future__ import annotations

import itertools
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.core import clock
from bot.domain.cases import conversation, inbox
from bot.domain.inbound import receive
from bot.flows.loader import load_flows
from bot.storage.models import Case, CaseMessage

from helpers import drain, outbox

PROJECT = Path(__file__).resolve().parent.parent
CPH = ZoneInfo("Europe/Copenhagen")
PHONE = "+4520555401"
THURSDAY_EVENING = datetime(2026, 11, 26, 17, 0, tzinfo=CPH)  # open 16-21
RECEIVED = "Tak, din besked er nået frem til rådgiverne. Du får svar her inden for ca. 30 minutter."
WAITING = "Tak. Skriv dit spørgsmål her, så svarer en rådgiver dig så hurtigt som muligt."
IN_CASE = "Du skriver stadig anonymt med rådgivningen (Ung-"
_sids = itertools.count()


@pytest.fixture
def counselling(runtime_factory, tmp_path):
    for name in ("raadgivning.yaml", "help.yaml", "ukendt.yaml"):
        shutil.copy(PROJECT / "flows" / name, tmp_path)
    clock.set_now(THURSDAY_EVENING)
    return runtime_factory(flows_dir=tmp_path, quiet_hours="off")


def text(runtime, body: str) -> list[str]:
    """What the bot answered ``body`` with."""
    seen = max((m.id for m in outbox(runtime)), default=0)
    receive(runtime, channel="sms", scheme="tel", address=PHONE, body=body, provider_id=f"SMack{next(_sids):028d}")
    drain(runtime)
    return [m.body for m in outbox(runtime) if m.id > seen and m.kind != "staff"]


def counsellor_says(runtime, words: str) -> None:
    with runtime.db.session() as session:
        case = session.scalars(select(Case)).one()
        inbox.reply(session, runtime.flows.current().counselling, case, "sofie", words, clock.now())
    drain(runtime)


def test_the_first_message_after_rad_is_acknowledged_once(counselling, twilio):
    text(counselling, "RÅD")
    assert text(counselling, "2") == [WAITING]
    assert text(counselling, "jeg har problemer med min husleje") == [RECEIVED]
    assert text(counselling, "og jeg tør ikke sige det til min mor") == [], "once, not after every message"
    with counselling.db.session() as session:
        kinds = session.scalars(select(CaseMessage.kind).where(CaseMessage.body == RECEIVED)).all()
    assert kinds == ["received"]


def test_a_question_instead_of_an_answer_is_acknowledged_rather_than_asked_for(counselling, twilio):
    text(counselling, "RÅD")
    assert text(counselling, "Hvordan får jeg MitID uden at mine forældre ved det?") == [RECEIVED]


def test_a_question_written_with_rad_is_acknowledged_when_they_say_it_is_not_urgent(counselling, twilio):
    said = text(counselling, "RÅD jeg har problemer med min husleje")
    assert said[-1].startswith("Haster det?")
    assert text(counselling, "nej") == [RECEIVED], "not 'write your question here': they did"
    assert text(counselling, "hallo?") == []


def test_in_a_conversation_with_the_counsellor_nothing_more_is_said_until_a_long_silence(counselling, twilio):
    text(counselling, "RÅD")
    text(counselling, "2")
    text(counselling, "jeg har problemer med min husleje")
    counsellor_says(counselling, "Hej, hvor meget er du bagud?")
    clock.travel(timedelta(minutes=5))
    assert text(counselling, "2 måneder") == []
    clock.set_now(datetime(2026, 11, 27, 10, 0, tzinfo=CPH))  # the next morning, open 9-15
    assert text(counselling, "er du der stadig?") == [RECEIVED]
    assert text(counselling, "?") == []


def test_an_answer_to_a_counsellor_after_a_long_silence_needs_no_receipt(counselling, twilio):
    text(counselling, "RÅD")
    text(counselling, "2")
    text(counselling, "jeg har problemer med min husleje")
    clock.set_now(datetime(2026, 11, 27, 9, 0, tzinfo=CPH))
    counsellor_says(counselling, "Godmorgen, hvor meget er du bagud?")
    clock.travel(timedelta(minutes=5))
    assert text(counselling, "2 måneder") == [], "a counsellor just answered: they know someone is there"


def test_at_night_the_closed_message_says_when_and_the_next_message_hears_it_arrived(counselling, twilio):
    clock.set_now(datetime(2026, 11, 28, 22, 30, tzinfo=CPH))  # Saturday night: open again Monday 09:00
    text(counselling, "ANONYM")
    said = text(counselling, "nej")
    assert said[0] == WAITING and said[1].startswith("Rådgivningen har lukket lige nu. En rådgiver svarer dig mandag kl. 09:00.")
    assert text(counselling, "min kæreste er sur på mig hele tiden") == [
        "Tak, din besked er nået frem til rådgiverne. Du får svar her mandag kl. 09:00."
    ]
    assert text(counselling, "hele tiden altså") == []


def test_at_night_the_closed_message_is_the_receipt_when_both_are_due(counselling, twilio):
    clock.set_now(datetime(2026, 11, 28, 22, 30, tzinfo=CPH))
    text(counselling, "RÅD")
    (said,) = text(counselling, "min kæreste er sur på mig hele tiden")
    assert said.startswith("Rådgivningen har lukket lige nu. En rådgiver svarer dig mandag kl. 09:00."), "when, once, not twice"
    assert text(counselling, "hele tiden altså") == []


def test_hjaelp_after_stop_and_start_in_an_open_case_says_where_they_are_and_how_out(counselling, twilio):
    text(counselling, "RÅD")
    text(counselling, "2")
    text(counselling, "jeg har problemer med min husleje")
    assert text(counselling, "STOP") == ["Du får ikke flere beskeder fra os. Skriv START, hvis du vil have dem igen."]
    assert text(counselling, "START")[0].startswith("Velkommen tilbage!")
    (said,) = text(counselling, "HJÆLP")
    assert said.startswith(IN_CASE) and "SLET" in said and "afslutte" in said
    with counselling.db.session() as session:
        received = session.scalars(select(CaseMessage.body).where(CaseMessage.direction == "in").order_by(CaseMessage.id)).all()
        assert received[-1] == "HJÆLP", "the counsellor sees it too"
    assert text(counselling, "SLET") == ["Din sag og alle dine beskeder er slettet."]
    assert text(counselling, "hjælp")[0].startswith("Hej! Jeg er Ungebot"), "out of the case, the bot answers again"


def test_a_keyword_instead_of_the_urgent_answer_explains_and_asks_again(counselling, twilio):
    text(counselling, "RÅD")
    said = text(counselling, "hjlp")
    assert said[0].startswith(IN_CASE) and said[1].startswith("Haster det?")
    assert text(counselling, "nej") == [RECEIVED], "HJÆLP reached a counsellor, who will answer it"


def test_a_sentence_that_opens_with_a_keyword_is_a_message_like_any(counselling, twilio):
    text(counselling, "RÅD")
    text(counselling, "2")
    assert text(counselling, "hjælp mig med min husleje") == [RECEIVED]


def test_in_english(counselling, twilio):
    text(counselling, "ADVICE")
    text(counselling, "2")
    assert text(counselling, "I can't pay my rent") == [
        "Thank you, your message has reached the counsellors. You will get an answer here within about 30 minutes."
    ]
    (said,) = text(counselling, "help")
    assert said.startswith("You are still writing anonymously") and "DELETE" in said


# -- the conversation, pure ---------------------------------------------------------------------


def service():
    return load_flows(PROJECT / "flows").flowset.counselling


def state(**changes) -> conversation.CaseState:
    values = dict(alias="Ung-1234", language="da", stage="open", urgent=False, closed_told_until=None)
    return conversation.CaseState(**{**values, **changes})


@pytest.mark.parametrize(
    "when, expected",
    [
        (datetime(2026, 11, 26, 10, 0, tzinfo=CPH), "Du får svar her inden for ca. 30 minutter."),
        (datetime(2026, 11, 26, 14, 45, tzinfo=CPH), "Du får svar her i dag kl. 16:00."),  # closes at 15:00
        (datetime(2026, 11, 27, 14, 45, tzinfo=CPH), "Du får svar her mandag kl. 09:00."),  # a Friday
    ],
)
def test_when_to_expect_an_answer(when, expected):
    step = conversation.step(service(), state(), conversation.Incoming("text", "hej"), when, CPH, 90)
    (reply,) = step.replies
    assert reply.text.endswith(expected) and reply.kind == "received"
    assert step.state.acknowledged


def test_acknowledged_once_means_nothing_more():
    step = conversation.step(service(), state(acknowledged=True), conversation.Incoming("text", "hej"), THURSDAY_EVENING, CPH, 90)
    assert step.replies == () and step.content


def test_words_of_danger_get_the_safety_answer_not_the_receipt():
    step = conversation.step(service(), state(), conversation.Incoming("text", "jeg vil ikke leve mere"), THURSDAY_EVENING, CPH, 90)
    assert [r.text.split(".")[0] for r in step.replies] == ["Det du skriver lyder alvorligt, og du skal ikke stå alene med det"]
    assert not step.state.acknowledged, "the next message still hears when to expect an answer"
