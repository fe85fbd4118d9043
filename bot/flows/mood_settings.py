"""A mood check-in, described by staff in YAML (top-level key ``mood:``).

Who gets it (the active members of some communities; a programme such as aftercare is a
community without meetings), when (the same schedule rules as a community: the question goes
out at the start of each window, or at the member's own preferred time that day), the question,
an optional "vil du fortælle mere?", and when a person must be told.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.core.schedule import Schedule
from bot.engine.localized import LocalizedText, Text

MOOD_VARIABLES = frozenset({"community", "score", "link", "who"})
# Put in front of ``staff_text`` when words of danger were (among) the reason: the score alone may look fine.
DANGER_REASON = "Ord om fare."


def _text(da: str, en: str):
    return Field(default_factory=lambda: LocalizedText(da=da, en=en))


class MoodAlert(BaseModel):
    """When a low answer reaches a person: the contact person (if the young person agreed), else
    the community's staff with a phone."""

    model_config = ConfigDict(extra="forbid")
    very_low: int = Field(default=1, ge=1, le=5, description="An answer this low or lower alerts at once")
    low: int = Field(default=2, ge=1, le=5, description="An answer this low or lower counts as low")
    low_in_a_row: int = Field(default=3, ge=1, le=20, description="This many low answers in a row alert")
    tell: Text = _text(
        "Tak fordi du fortæller det. {{ who }} fra {{ community }} tager kontakt til dig snart.",
        "Thank you for telling us. {{ who }} from {{ community }} will get in touch with you soon.",
    )
    staff_text: str = Field(
        default="Ungebot: {{ name }} ({{ community }}) har svaret {{ score }} af 5 på humør-tjek. Tag kontakt. {{ link }}",
        description="The SMS to the contact person or staff: no free text, only the score and a link",
    )


class MoodCheckin(Schedule):
    """The schedule says when: ``schedule`` rules (e.g. søndag "18:00-21:00"), ``cancelled``, ``extra``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="The check-in's name, for staff")
    members_of: list[str] = Field(min_length=1, description="Communities (file names) whose active members get it")
    scale: Literal["numbers", "words", "emoji"] = Field(
        default="numbers", description="How the question asks to be answered; numbers, words and emoji are all understood"
    )
    question: Text | None = Field(default=None, description="The question; without it, a short one that fits the scale")
    ask_again: Text = _text(
        "Det forstod jeg ikke helt. Svar med et tal fra 1 til 5, fx 3.",
        "I didn't quite get that. Answer with a number from 1 to 5, e.g. 3.",
    )
    follow_up: Text | None = Field(
        default_factory=lambda: LocalizedText(
            da="Tak! Vil du fortælle lidt mere? Du behøver ikke.", en="Thanks! Do you want to tell a bit more? You don't have to."
        ),
        description="Asked after the answer; leave it out (null) to ask nothing more",
    )
    thanks: Text = _text("Tak fordi du svarede. Vi ses!", "Thanks for answering. See you!")
    alert: MoodAlert = Field(default_factory=MoodAlert)


DEFAULT_QUESTIONS = {
    "numbers": LocalizedText(
        da="Hej {{ name }}! Hvordan har du det i dag? Svar med et tal fra 1 (skidt) til 5 (rigtig godt).",
        en="Hi {{ name }}! How are you today? Answer with a number from 1 (bad) to 5 (really good).",
    ),
    "words": LocalizedText(
        da="Hej {{ name }}! Hvordan har du det i dag? Skidt, okay, godt eller noget helt andet?",
        en="Hi {{ name }}! How are you today? Bad, okay, good or something else?",
    ),
    "emoji": LocalizedText(
        da="Hej {{ name }}! Hvordan har du det i dag? 😞 🙁 😐 🙂 😄",
        en="Hi {{ name }}! How are you today? 😞 🙁 😐 🙂 😄",
    ),
}


def question_of(mood: MoodCheckin) -> Text:
    return mood.question if mood.question is not None else DEFAULT_QUESTIONS[mood.scale]


class MoodFile(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Ungebot mood check-in")
    mood: MoodCheckin
