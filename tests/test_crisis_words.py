"""Words of acute danger, found anywhere in what a young person writes, typos and all."""
from __future__ import annotations

import pytest

from bot.core.phrases import find_phrase

# A small list in the shape a real one takes: Danish and English, whole words and stems.
DANGER = [
    "selvmord*",
    "suicid*",
    "slå mig selv ihjel",
    "skærer i mig selv",
    "kill myself",
    "kill my self",
    "hits me",
    "dø",
    "vil dø",
    "mord",
    "🔪",
]


@pytest.mark.parametrize(
    "message, phrases, found",
    [
        ("Jeg har tænkt på selvmord", ["selvmord"], "selvmord"),
        ("Jeg har tænkt på selvmord", ["selvmord*"], "selvmord*"),
        ("jeg har selvmordstanker", ["selvmord*"], "selvmord*"),
        ("han snakker om selvmordet", ["selvmord*"], "selvmord*"),
        ("SELVMORD!!", ["selvmord*"], "selvmord*"),
        ("jeg tænker på selvmoord", ["selvmord"], "selvmord"),
        ("jeg tænker på selvmoord", ["selvmord*"], "selvmord*"),
        ("tænker på selvmor", ["selvmord"], "selvmord"),
        ("tænker på selvmor", ["selvmord*"], "selvmord*"),
        ("jeg har selvmorstanker", ["selvmord*"], "selvmord*"),  # a slip inside the stem part
        ("jeg har selvmoordstanker", ["selvmord*"], "selvmord*"),
        ("jeg tænker på selv mord", ["selvmord*"], "selvmord*"),  # a space too many
        ("jeg vil slå mig selv ihjel", ["slå mig selv ihjel"], "slå mig selv ihjel"),
        ("jeg vil slaa mig selv ihjel", ["slå mig selv ihjel"], "slå mig selv ihjel"),  # no æøå
        ("jeg vil sla mig selv ihjel", ["slå mig selv ihjel"], "slå mig selv ihjel"),  # å stripped
        ("vil slå mig selv ihjel", ["slaa mig selv ihjel"], "slaa mig selv ihjel"),
        ("vil slå mig slev ihjel", ["slå mig selv ihjel"], "slå mig selv ihjel"),
        ("jeg skærer i mig selv", ["skærer i mig selv"], "skærer i mig selv"),
        ("jeg skaerer i mig selv", ["skærer i mig selv"], "skærer i mig selv"),
        ("jeg skære i mig selv nogle gange", ["skærer i mig selv"], "skærer i mig selv"),
        ("I want to kill myself", ["kill myself"], "kill myself"),
        ("I want to kill my self", ["kill my self"], "kill my self"),
        ("I want to kill my self", ["kill myself"], "kill myself"),
        ("I want to kill myslef", ["kill myself"], "kill myself"),
        ("i want to killmyself", ["kill myself"], "kill myself"),
        ("i want to killmyself", ["kill my self"], "kill my self"),
        ("suicide", ["suicid*"], "suicid*"),
        ("I feel suicidal tonight", ["suicid*"], "suicid*"),
        ("I feel sucidal", ["suicid*"], "suicid*"),
        ("he hits me when he is drunk", ["hits me"], "hits me"),
        ("jeg vil dø", ["dø"], "dø"),
        ("jeg vil bare doe", ["dø"], "dø"),
        ("🔪🔪", ["🔪"], "🔪"),
        ("nu 🔪 mig", ["🔪"], "🔪"),
    ],
)
def test_finds_phrase_anywhere(message, phrases, found):
    assert find_phrase(message, phrases) == found


@pytest.mark.parametrize(
    "message, phrase",
    [
        ("jeg vil ikke begå selvmord", "selvmord"),
        ("jeg vil ikke begå selvmord", "begå selvmord"),
        ("jeg har ikke selvmordstanker, nej", "selvmord*"),
        ("I don't want to kill myself", "kill myself"),
        ("not suicidal, never", "suicid*"),
        ("he never hits me, no", "hits me"),
        ("jeg vil ikke dø", "dø"),
    ],
)
def test_a_negation_does_not_hide_danger(message, phrase):
    # For danger words a false alarm is far better than a miss.
    assert find_phrase(message, [phrase]) == phrase


@pytest.mark.parametrize(
    "message, phrases",
    [
        ("selvfølgelig kommer jeg", DANGER),
        ("jeg slår op med ham", ["slå mig selv ihjel"]),
        ("jeg slår op med ham", DANGER),
        ("skal til skærmen", ["skærer i mig selv"]),
        ("skal til skærmen", DANGER),
        ("let's kill time before practice", ["kill myself", "kill my self"]),
        ("let's kill time before practice", DANGER),
        ("god morgen", ["mord"]),
        ("god morgen", DANGER),
        ("jeg er vågen hele døgnet", ["dø"]),
        ("jeg er vågen hele døgnet", DANGER),
        ("døgn", ["dø"]),
        ("luk døren", ["dø"]),
        ("dør", ["dø"]),
        ("he hit the ball", ["hits me"]),
        # a space too many is forgiven only when the words are otherwise exact
        ("jeg har selv mod på det", ["selvmord*"]),
        ("I'll hit some balls", ["hits me"]),
        ("ja tak, vi ses 👍", DANGER),
        ("", DANGER),
        ("?!", DANGER),
    ],
)
def test_does_not_find(message, phrases):
    assert find_phrase(message, phrases) is None


@pytest.mark.parametrize(
    "message, phrases, found",
    [
        # the phrase with the most words wins, wherever it stands in the list
        ("jeg vil dø", ["dø", "vil dø"], "vil dø"),
        ("jeg vil dø", ["vil dø", "dø"], "vil dø"),
        # then the longer phrase
        ("jeg har selvmordstanker", ["selvmord*", "selvmordstanker"], "selvmordstanker"),
        # then the one listed first, as written
        ("jeg har tænkt på selvmord", ["selvmord*", "selvmord"], "selvmord*"),
        ("jeg har tænkt på selvmord", ["selvmord", "selvmord*"], "selvmord"),
        ("Selvmord og kniv", ["Selvmord", "kniv"], "Selvmord"),
        ("Selvmord og kniv", ["kniv", "Selvmord"], "Selvmord"),
        ("kniv og selvmord", ["kniv", "selvmord"], "selvmord"),
    ],
)
def test_which_phrase_is_returned(message, phrases, found):
    assert find_phrase(message, phrases) == found


def test_phrases_can_be_any_iterable():
    assert find_phrase("jeg vil dø", (phrase for phrase in DANGER)) == "vil dø"
    assert find_phrase("jeg vil dø", []) is None
    assert find_phrase("jeg vil dø", ["", "*", "  "]) is None


def test_a_short_stem_must_be_exact():
    assert find_phrase("jeg vil dø nu", ["dø*"]) == "dø*"
    assert find_phrase("jeg vil døøø", ["dø*"]) == "dø*"
    assert find_phrase("jeg vil da", ["dø*"]) is None
