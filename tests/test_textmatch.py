"""Real messages young people send, and what the bot should make of them."""
from __future__ import annotations

import pytest

from bot.core.textmatch import YES_NO, classify, edit_distance, fold, is_exactly, match_choice, matches_keyword, tokens


@pytest.mark.parametrize(
    "typed, folded",
    [
        ("HJÆLP", "hjaelp"),
        ("HJAELP", "hjaelp"),
        ("RÅD", "raad"),
        ("RAAD", "raad"),
        ("Søren Ærø", "soeren aeroe"),
        ("a\u030ar", "aar"),  # "år" as a decomposed å, the way some phones send it
        ("café über", "cafe uber"),
        ("Ｊａ", "ja"),  # full-width letters from an Asian keyboard
        ("Hjælp!!!", "hjaelp"),
        ("  ja ,   tak  ", "ja tak"),
        ("don’t", "dont"),
        ("tjek-ind", "tjek ind"),
        ("👍🏽", "👍"),
        ("👍🏿👍", "👍 👍"),
        ("ok👍", "ok 👍"),
        ("✔️", "✔"),
        ("🙅‍♀️", "🙅 ♀"),
        ("🇩🇰", "🇩🇰"),
        ("1️⃣", "1"),
        ("kl. 17.00", "kl 17 00"),
        ("", ""),
        ("?!...", ""),
    ],
)
def test_fold(typed, folded):
    assert fold(typed) == folded


def test_tokens_are_the_folded_words():
    assert tokens("Hjælp mig 🙏🏻!") == ["hjaelp", "mig", "🙏"]


@pytest.mark.parametrize(
    "a, b, distance",
    [
        ("hjaelp", "hjaelp", 0),
        ("hjelp", "hjaelp", 1),  # the æ typed as e
        ("hjalep", "hjaelp", 1),  # two letters swapped
        ("hjlp", "hjaelp", 2),
        ("hjul", "hjaelp", 3),
        ("", "abc", 3),
        ("ca", "abc", 3),  # optimal string alignment, not full Damerau-Levenshtein
    ],
)
def test_edit_distance(a, b, distance):
    assert edit_distance(a, b) == distance
    assert edit_distance(b, a) == distance


@pytest.mark.parametrize(
    "message, keyword",
    [
        ("HJÆLP", "HJÆLP"),
        ("HJAELP", "HJÆLP"),
        ("hjælp!", "HJÆLP"),
        ("Hjælp mig 🙏", "HJÆLP"),
        ("hjelp", "HJÆLP"),  # one slip in a 6-letter word
        ("hjæpl", "HJÆLP"),  # swapped letters
        ("🙏 hjælp", "HJÆLP"),  # an emoji in front is decoration
        ("HELP", "HELP"),
        ("help me pls", "HELP"),
        ("RÅD", "RÅD"),
        ("RAAD", "RÅD"),
        ("råd", "RÅD"),
        ("Råd om penge?", "RÅD"),
        ("tjek ind", "TJEK IND"),
        ("Tjek ind!", "TJEK IND"),
        ("TJEK-IND kl 10", "TJEK IND"),
        ("tjekind", "TJEK IND"),  # the space is the first thing a thumb leaves out
        ("tjeck ind", "TJEK IND"),
        ("📍", "📍"),
        ("📍 Nørrebro station", "📍"),
        ("stip", "STOP"),  # 4 letters: one slip allowed here; opt-out itself uses is_exactly
    ],
)
def test_matches_keyword(message, keyword):
    assert matches_keyword(message, keyword)


@pytest.mark.parametrize(
    "message, keyword",
    [
        ("hjul", "HJÆLP"),
        ("hjlp", "HJÆLP"),  # two slips in a 6-letter word is too many
        ("help", "HJÆLP"),  # a different word: flows list HELP as its own keyword
        ("jeg har brug for hjælp", "HJÆLP"),  # the keyword must open the message
        ("tjek", "TJEK IND"),
        ("ind", "TJEK IND"),
        ("tjek ud", "TJEK IND"),
        ("hej 📍", "📍"),
        ("👍", "📍"),
        ("jo", "JA"),  # under 4 letters: no slips at all
        ("ny", "NU"),
        ("", "HJÆLP"),
        ("!!!", "HJÆLP"),
        ("hjælp", "!!!"),
    ],
)
def test_does_not_match_keyword(message, keyword):
    assert not matches_keyword(message, keyword)


@pytest.mark.parametrize(
    "message, keyword, expected",
    [
        ("STOP", "STOP", True),
        ("stop", "STOP", True),
        ("Stop!", "STOP", True),
        (" STOP 🛑", "STOP", True),
        ("🛑stop🛑", "STOP", True),
        ("stop.", "STOP", True),
        ("Afmeld", "AFMELD", True),
        ("stop nu", "STOP", False),
        ("jeg kan ikke stoppe", "STOP", False),
        ("stoppe", "STOP", False),
        ("stip", "STOP", False),  # no typo tolerance: a false STOP silences a young person
        ("stopp", "STOP", False),
        ("s t o p", "STOP", False),
        ("", "STOP", False),
        ("🛑", "STOP", False),
        ("tjek ind", "TJEK IND", True),
        ("TJEK IND!", "TJEK IND", True),
        ("📍", "📍", True),
        ("📍📍", "📍", False),
        ("👍", "📍", False),
    ],
)
def test_is_exactly(message, keyword, expected):
    assert is_exactly(message, keyword) is expected


@pytest.mark.parametrize(
    "message, meaning",
    [
        ("ja", "yes"),
        ("Ja!", "yes"),
        ("JA TAK", "yes"),
        ("ja tak, vi ses", "yes"),
        ("jatak", "yes"),
        ("jaaaaa", "yes"),
        ("jep", "yes"),
        ("jeps 😊", "yes"),
        ("jo da", "yes"),
        ("yes", "yes"),
        ("YEAH", "yes"),
        ("ok", "yes"),
        ("okey", "yes"),
        ("oki", "yes"),
        ("klart", "yes"),
        ("selvfølgelig", "yes"),
        ("selvfolgelig", "yes"),
        ("gerne", "yes"),
        ("det gør jeg", "yes"),
        ("det gor jeg", "yes"),
        ("jeg kommer", "yes"),
        ("👍", "yes"),
        ("👍🏽", "yes"),
        ("ok 👍", "yes"),
        ("haha 👍", "yes"),  # an emoji answer counts wherever it stands
        ("😊 ja", "yes"),
        ("✔️", "yes"),
        ("Nej", "no"),
        ("nej tak", "no"),
        ("neeeej", "no"),
        ("næ", "no"),
        ("nope", "no"),
        ("kan ikke", "no"),  # longer than "kan" (yes)
        ("kan ikke i dag, sorry", "no"),
        ("ikke i dag", "no"),
        ("syg 🤒", "no"),
        ("jeg er syg", "no"),
        ("desværre", "no"),
        ("desvære", "no"),
        ("jeg kommer ikke 👍", "no"),
        ("nej 👍", "no"),
        ("👎", "no"),
        ("❌", "no"),
        ("🙅‍♀️", "no"),
    ],
)
def test_yes_no(message, meaning):
    assert classify(message, YES_NO) == meaning


@pytest.mark.parametrize(
    "message",
    [
        "måske",
        "hvad er klokken",
        "ikke sikker",  # must never be yes
        "ok ... ikke rigtig",
        "ja nej ved ikke",
        "not sure",
        "never ok",
        "no problem",  # means yes, but opens with "no": ask again rather than guess
        "ikke 👍",
        "",
        "?",
        "🤒",
    ],
)
def test_not_understood_as_yes_or_no(message):
    assert classify(message, YES_NO) is None


@pytest.mark.parametrize("message", ["ikke ok", "not ok", "no ok", "nej ja", "never 👍", "ikke sikkert", "jeg er ikke sikker"])
def test_a_negation_is_never_yes(message):
    assert classify(message, YES_NO) != "yes"


def test_yes_no_lexicon_is_plain_data_that_can_grow():
    assert set(YES_NO) == {"yes", "no"}
    assert all(isinstance(phrase, str) and phrase for phrases in YES_NO.values() for phrase in phrases)
    lexicon = {"late": ["kommer lidt senere", "bliver forsinket", "⏰"], **YES_NO, "unsure": ["måske", "ved ikke"]}
    assert classify("kommer lidt senere", lexicon) == "late"  # beats "kommer" (yes)
    assert classify("kommer", lexicon) == "yes"
    assert classify("måske 🤔", lexicon) == "unsure"
    assert classify("ved ikke", lexicon) == "unsure"


@pytest.mark.parametrize(
    "message, expected",
    [
        ("kan", "first"),  # equally long: the category listed first wins
        ("kan godt", "second"),  # longer wins
        ("kam", None),  # under 4 letters: exact only
        ("hest", "third"),  # exact beats a one-letter slip ("test")
    ],
)
def test_classify_ranking(message, expected):
    lexicon = {"first": ["kan"], "second": ["kan", "kan godt"], "third": ["hest"], "fourth": ["test"]}
    assert classify(message, lexicon) == expected


MOOD = [["godt", "fint", "super", "😀"], ["sådan midt imellem", "okay", "meh"], ["skidt", "dårligt", "træt", "😢"]]


@pytest.mark.parametrize(
    "message, choice",
    [
        ("1", 0),
        ("2.", 1),
        ("3)", 2),
        ("2 tror jeg", 1),
        ("nr 3", 2),
        ("nr. 3", 2),
        ("nr3", 2),
        ("Nummer 1", 0),
        ("2️⃣", 1),
        ("#1", 0),
        ("fint", 0),
        ("fint tak", 0),
        ("SUPER!", 0),
        ("😀", 0),
        ("okey", 1),  # one slip in "okay"
        ("sådan midt imellem", 1),
        ("dårligt", 2),
        ("darligt", 2),
        ("træt og sur", 2),
        ("😢😢", 2),
        ("4", None),  # no fourth answer, and no word for it either
        ("0", None),
        ("midt", None),
        ("hvem er du", None),
        ("", None),
    ],
)
def test_match_choice(message, choice):
    assert match_choice(message, MOOD) == choice


def test_match_choice_ties_are_not_guessed():
    assert match_choice("bus", [["bus", "tog"], ["bus", "cykel"]]) is None
    assert match_choice("tog", [["bus", "tog"], ["bus", "cykel"]]) == 0
    assert match_choice("hest", [["test"], ["hest"]]) == 1  # exact beats a slip
    assert match_choice("pest", [["test"], ["hest"]]) is None  # one slip from both
    assert match_choice("1", []) is None


def test_match_choice_with_built_in_yes_no():
    options = [["ja", *YES_NO["yes"]], ["nej", *YES_NO["no"]], ["ved ikke", "måske"]]
    assert match_choice("jep", options) == 0
    assert match_choice("nej tak", options) == 1
    assert match_choice("ved ikke", options) == 2
    assert match_choice("ikke 👍", options) is None
    assert match_choice("3", options) == 2
