"""Danish stays Danish: a typo never changes a contact's language; English comes only from an
English keyword written as it is ("help", "HELP!") or from the young person's own choice."""
from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.core import clock
from bot.domain.cases.intake import opening_words
from bot.domain.inbound import receive
from bot.flows.loader import load_flows
from bot.storage.models import Contact

from helpers import drain, outbox

SHIPPED = Path(__file__).resolve().parent.parent / "flows"
PHONE = "+4520555301"
HELP_DA = "Hej! Jeg er Ungebot"
HELP_EN = "Hi! I'm Ungebot"

_sids = itertools.count()


@pytest.fixture(scope="module")
def shipped():
    return load_flows(SHIPPED).flowset


@pytest.mark.parametrize(
    "message, flow, language",
    [
        ("hjlp", "help", None),  # one slip from HELP, two from HJÆLP: a typo, not a choice
        ("Hjelp", "help", None),
        ("hepl mig", "help", None),
        ("help", "help", "en"),
        ("HELP!", "help", "en"),
        ("Help me please", "help", "en"),
        ("heeelp", "help", "en"),  # a held key is the word itself
        ("hjælp", "help", "da"),
        ("hjaelp", "help", "da"),
        ("🙏 hjælp", "help", "da"),
    ],
)
def test_only_a_keyword_as_written_says_which_language(shipped, message, flow, language):
    trigger = shipped.match_trigger(message)
    assert (trigger.flow, trigger.language) == (flow, language)


@pytest.mark.parametrize(
    "message, language",
    [("ADVICE", "en"), ("advice: how do I get MitID?", "en"), ("advce", "da"), ("adivce", "da"), ("RÅD", "da"), ("rad", "da")],
)
def test_a_typo_of_advice_opens_a_danish_case(message, language):
    assert opening_words(message)[0] == language


def text(runtime, body: str) -> str:
    receive(runtime, channel="sms", scheme="tel", address=PHONE, body=body, provider_id=f"SMlang{next(_sids):028d}")
    drain(runtime)
    return outbox(runtime)[-1].body


def language_of(runtime) -> str:
    with runtime.db.session() as session:
        return session.scalars(select(Contact.language)).one()


@pytest.fixture
def chat(runtime, twilio):
    clock.set_now(datetime(2026, 11, 26, 12, 0, tzinfo=ZoneInfo("Europe/Copenhagen")))
    return runtime


def test_hjlp_answers_in_danish_and_keeps_the_contact_danish(chat):
    assert text(chat, "hjlp").startswith(HELP_DA)
    assert language_of(chat) == "da"
    assert text(chat, "STOP") == "Du får ikke flere beskeder fra os. Skriv START, hvis du vil have dem igen."
    assert text(chat, "START") == "Velkommen tilbage! Du får beskeder fra os igen. Skriv STOP for at stoppe dem."
    assert language_of(chat) == "da"


def test_english_is_chosen_by_the_word_as_written_and_a_typo_does_not_undo_it(chat):
    assert text(chat, "Help").startswith(HELP_EN)
    assert language_of(chat) == "en"
    assert text(chat, "hjelp").startswith(HELP_EN), "a typo changes no language, not even back to Danish"
    assert text(chat, "STOP").startswith("You won't get any more messages")
    assert text(chat, "START").startswith("Welcome back!")
    assert text(chat, "HJÆLP").startswith(HELP_DA)
    assert language_of(chat) == "da"


def test_an_answer_a_typo_away_from_a_keyword_stays_an_answer():
    flows = load_flows(SHIPPED).flowset
    for answer in ("helt klart", "helt fint", "Helt fint tak"):
        assert flows.match_trigger(answer) is None, f"{answer!r} is not a slip of HELP"
    assert flows.match_trigger("hlep").flow == "help" and flows.match_trigger("hjlp").flow == "help", "typos of a keyword still find it"
