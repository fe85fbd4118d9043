"""Mood in the emoji people use: every face, hand and heart in tests/corpus/mood_emoji.yaml
gets its score, the unclear ones are asked about again, and docs/flows.md shows them all."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.core import textmatch
from bot.core.textmatch import MOOD, classify_mood
from bot.engine import actions
from bot.engine.context import Context
from bot.engine.steps.mood import MoodStep

PROJECT = Path(__file__).resolve().parent.parent
TABLE = yaml.safe_load((PROJECT / "tests" / "corpus" / "mood_emoji.yaml").read_text(encoding="utf-8"))
SCORED = [(emoji, score) for score, emojis in TABLE.items() if score != "unclear" for emoji in emojis]


@pytest.mark.parametrize("emoji, score", SCORED)
def test_each_emoji_has_its_score(emoji, score):
    assert classify_mood(emoji) == score


@pytest.mark.parametrize("emoji", TABLE["unclear"])
def test_an_emoji_that_means_too_many_things_is_asked_about_again(emoji):
    assert classify_mood(emoji) is None


def test_the_table_is_every_emoji_the_bot_knows():
    known = {textmatch.fold(phrase) for phrases in MOOD.values() for phrase in phrases if not any(ch.isalnum() for ch in phrase)}
    assert known == {textmatch.fold(emoji) for emoji, _ in SCORED}


def test_the_guide_for_staff_shows_every_emoji():
    guide = (PROJECT / "docs" / "flows.md").read_text(encoding="utf-8")
    section = guide[guide.index("### Mood check-ins"):guide.index("### Testing a community")]
    assert [emoji for emoji, _ in SCORED if emoji not in section] == []
    assert [emoji for emoji in TABLE["unclear"] if emoji not in section] == []


@pytest.mark.parametrize(
    "message, score",
    [
        ("😡😡😡", 2),  # the same face, held down
        ("😠 idag", 2),
        ("👍🏽", 4),  # a skin tone is the same thumb
        ("👎🏿", 2),
        ("❤️‍🩹", 3),  # a mending heart is not the red heart it is drawn with
        ("🥰❤️", 5),
        ("😭😂", None),  # crying and laughing: asked again rather than guessed
        ("ok 😡", 3),  # words beat emoji
        ("dårligt 🙂", 2),
    ],
)
def test_emoji_together_and_with_words(message, score):
    assert classify_mood(message) == score


def test_an_angry_face_is_an_answer_not_a_misunderstanding():
    step = MoodStep(mood="humoer", ask_again="Det forstod jeg ikke helt.", follow_up="Vil du fortælle mere?", thanks="Tak!")
    ctx = Context(actions.ContactView(), datetime(2026, 11, 29, 17, 0, tzinfo=UTC), ZoneInfo("Europe/Copenhagen"), "😡")
    ctx.data = {"prompt_id": 7}
    step.resume(ctx, "😡")
    assert actions.RecordMood(7, 2, "😡") in ctx.actions
    assert [a.text for a in ctx.actions if isinstance(a, actions.SendText)] == ["Vil du fortælle mere?"]
