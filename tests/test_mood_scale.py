"""Answers to "Hvordan har du det i dag? 1-5", the way young people type them on a phone."""
from __future__ import annotations

import pytest

from bot.core import textmatch
from bot.core.textmatch import MOOD, classify_mood


@pytest.mark.parametrize(
    "message, score",
    [
        # numbers, wherever they stand and however they are dressed
        ("1", 1),
        ("5", 5),
        ("3.", 3),
        ("nr 4", 4),
        ("nr. 2", 2),
        ("4/5", 4),
        ("5 / 5", 5),
        ("en 2'er", 2),
        ("en 4’er", 4),  # a curly apostrophe from the phone keyboard
        ("2 ud af 5", 2),
        ("I'd say 4 out of 5", 4),
        ("jeg vil sige 4", 4),
        ("3 tror jeg", 3),
        ("2️⃣", 2),
        ("en firer", 4),
        # a number word only as the whole message
        ("en", 1),
        ("To", 2),
        ("tre", 3),
        ("FIRE!", 4),
        ("fem", 5),
        ("three", 3),
        ("five", 5),
        # a number beats the words around it
        ("2, men det er fint", 2),
        ("4 selvom i går var træls", 4),
        # 1: very bad
        ("rigtig dårligt", 1),
        ("rigtig skidt i dag", 1),
        ("Elendigt", 1),
        ("forferdeligt", 1),  # æ typed as e
        ("meget dårligt", 1),
        ("en lorte dag", 1),
        ("lortedag", 1),  # the space left out
        ("terrible", 1),
        ("awful tbh", 1),
        ("really bad", 1),
        ("slet ikke godt", 1),
        ("mega træls", 1),
        # 2: bad
        ("dårligt", 2),
        ("darligt", 2),  # å stripped
        ("skidt", 2),
        ("ikke så godt", 2),
        ("ikke sa godt", 2),
        ("ik godt", 2),
        ("ikke rigtig godt", 2),
        ("træls", 2),
        ("lidt nedtrykt", 2),
        ("bad", 2),
        ("not good", 2),
        ("not great tbh", 2),
        ("I'm not feeling good", 2),
        # 3: in between
        ("ok", 3),
        ("okay", 3),
        ("okkk", 3),  # a held key
        ("middel", 3),
        ("sådan", 3),
        ("både og", 3),
        ("meeeh", 3),
        ("fine-ish", 3),
        ("ikke så dårligt", 3),
        ("not bad", 3),
        ("not too bad", 3),
        ("ok, ikke super", 3),
        # 4: good
        ("godt", 4),
        ("fint", 4),
        ("har det fint", 4),
        ("ret godt", 4),
        ("good", 4),
        ("pretty good", 4),
        ("kan ikke klage", 4),
        ("nej, det går fint", 4),  # "nej" answers something else; it does not negate "fint"
        # 5: very good
        ("rigtig godt", 5),
        ("jeg har det rigtig godt i dag", 5),
        ("rigtiggodt", 5),
        ("super", 5),
        ("suuuper!!", 5),
        ("fantastisk", 5),
        ("mega godt", 5),
        ("great", 5),
        ("amazing", 5),
        ("really good", 5),
        # emoji, skin tones aside, anywhere in the message
        ("😭", 1),
        ("💔💔", 1),
        ("🙁", 2),
        ("☹️", 2),
        ("😐", 3),
        ("🤷🏽‍♀️", 3),
        ("🙂", 4),
        ("👍🏿", 4),
        ("haha 😊", 4),
        ("😁", 5),
        ("❤️", 5),
        ("🥳🥳", 5),
        # words beat emoji
        ("dårligt 🙂", 2),
        ("ikke så godt 😊", 2),
    ],
)
def test_classify_mood(message, score):
    assert classify_mood(message) == score


@pytest.mark.parametrize(
    "message",
    [
        "hvad mener du?",
        "",
        "?!",
        "hmm",
        "jeg ved det ikke",
        "idk",
        "6",
        "0",
        "10/10",
        "3 eller 4",
        "3-4",
        "3,5",
        "jeg vil sige fire",  # a number word inside a sentence is too often a word
        "har ikke haft det godt",  # a "not" in front of a good word: never read as fine
        "ikke mega godt",
        "ikke 🙂",
        "ok, skidt",  # two answers as good as each other
        "😊😢",
    ],
)
def test_classify_mood_unclear(message):
    assert classify_mood(message) is None


def test_every_phrase_in_the_lexicon_reads_as_its_own_score():
    assert sorted(MOOD) == ["1", "2", "3", "4", "5"]  # no "yes": classify's yes-guard stays out
    for score, phrases in MOOD.items():
        for phrase in phrases:
            assert classify_mood(phrase) == int(score), phrase


def test_exported():
    assert {"MOOD", "classify_mood"} <= set(textmatch.__all__)
