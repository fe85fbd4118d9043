"""The anonymous counselling service, described by staff in YAML next to the flows.

A file with the top-level key ``counselling:`` gives the opening hours (the same schedule rules
as a community: ``schedule``, ``cancelled``, ``extra``), who is on call, how long a young person
may wait for an answer before the on-call counsellor is alerted, the words of acute danger, and
(optionally) the bot's own texts. The words that open a case (RÅD, RAAD, ANONYM, ADVICE) and
delete it (SLET, DELETE) are built in, like STOP.
"""
from __future__ import annotations

import datetime as dt
from datetime import timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from bot.core import danger
from bot.core.phrases import Phrases
from bot.core.schedule import Occurrence, Schedule
from bot.core.when import relative_time
from bot.engine.durations import Duration
from bot.engine.localized import LocalizedText, Text, text_in
from bot.engine.templates import render
from bot.engine.texts import HELP_NOW_DA, HELP_NOW_EN
from bot.flows.communities import InstagramAccountId, StaffPerson

OPEN_WORDS = {"RÅD": "da", "RAAD": "da", "ANONYM": "da", "ADVICE": "en"}
DELETE_WORDS = ("SLET", "DELETE")
CASE_TEXT_VARIABLES = frozenset({"alias", "retention_days", "opens", "answer_by", "text", "minutes"})



def _text(da: str, en: str):
    return Field(default_factory=lambda: LocalizedText(da=da, en=en))


class CaseTexts(BaseModel):
    """What the bot says in a case. Fields: alias, retention_days, opens (e.g. "torsdag kl. 16:00"), text, answer_by (in received)."""

    model_config = ConfigDict(extra="forbid")
    intro: Text = _text(
        "Hej. Du skriver nu anonymt med en rådgiver. Rådgiveren kan ikke se dit nummer eller navn, kun "
        "kaldenavnet {{ alias }}. Dine beskeder gemmes i {{ retention_days }} dage efter den sidste og slettes så; "
        "skriv SLET, så sletter vi alt med det samme. Én grænse: hvis nogens liv eller et barn er i fare, skal vi handle.",
        "Hi. You are now writing anonymously to a counsellor. The counsellor cannot see your number or name, only "
        "the nickname {{ alias }}. Your messages are kept for {{ retention_days }} days after the last one and then "
        "deleted; text DELETE and we delete everything at once. One limit: if someone's life or a child is in danger, we must act.",
    )
    urgent_question: Text = _text("Haster det?", "Is it urgent?")
    urgent_choices: list[Text] = Field(
        default_factory=lambda: [LocalizedText(da="Ja", en="Yes"), LocalizedText(da="Nej", en="No")],
        min_length=2,
        max_length=2,
        description="The answers to the urgent question: yes first, then no",
    )
    urgent_noted: Text = _text(
        "Tak. Rådgiveren ved, at det haster. Skriv her, hvad det handler om.",
        "Thank you. The counsellor knows it is urgent. Write here what it is about.",
    )
    waiting: Text = _text(
        "Tak. Skriv dit spørgsmål her, så svarer en rådgiver dig så hurtigt som muligt.",
        "Thank you. Write your question here and a counsellor will answer as soon as possible.",
    )
    closed_now: Text = _text(
        "Rådgivningen har lukket lige nu. En rådgiver svarer dig {{ opens }}. Skal du tale med nogen nu: " + HELP_NOW_DA,
        "Counselling is closed right now. A counsellor will answer you {{ opens }}. If you need to talk to someone now: " + HELP_NOW_EN,
    )
    safety: Text = _text(
        "Det du skriver lyder alvorligt, og du skal ikke stå alene med det. Ring til " + HELP_NOW_DA
        + " Vi har givet en rådgiver besked.",
        "What you write sounds serious, and you should not be alone with it. Call " + HELP_NOW_EN
        + " We have alerted a counsellor.",
    )
    resumed: Text = _text("Du fortsætter din sag ({{ alias }}). Skriv din besked her.", "You are continuing your case ({{ alias }}). Write your message here.")
    received: Text = _text(
        "Tak, din besked er nået frem til rådgiverne. Du får svar her {{ answer_by }}.",
        "Thank you, your message has reached the counsellors. You will get an answer here {{ answer_by }}.",
    )
    in_case: Text = _text(
        "Du skriver stadig anonymt med rådgivningen ({{ alias }}), så det, du skriver her, går til en rådgiver. "
        "Vil du ud af sagen, så skriv SLET (så sletter vi den og dine beskeder), eller bed rådgiveren om at afslutte den.",
        "You are still writing anonymously with the counselling service ({{ alias }}), so what you write here goes to a counsellor. "
        "To leave the case, text DELETE (we then delete it and your messages), or ask the counsellor to close it.",
    )
    counsellor_reply: Text = _text("Rådgiver: {{ text }}", "Counsellor: {{ text }}")
    case_closed: Text = _text(
        "Rådgiveren har afsluttet din sag. Nu skriver du med botten igen. "
        "Skriv RÅD, hvis du vil spørge om noget nyt, eller SLET, hvis vi skal slette dine beskeder nu.",
        "The counsellor has closed your case. You are now writing to the bot again. "
        "Text ADVICE to ask something new, or DELETE to have your messages deleted now.",
    )
    deleted: Text = _text("Din sag og alle dine beskeder er slettet.", "Your case and all your messages have been deleted.")
    nothing_to_delete: Text = _text(
        "Du har ingen sag hos rådgivningen, så der er intet at slette.", "You have no case with the counselling service, so there is nothing to delete."
    )


class AlertTexts(BaseModel):
    """SMS to the on-call counsellor: only the alias, never who or what. Fields: alias, minutes."""

    model_config = ConfigDict(extra="forbid")
    urgent: str = "Ungebot: En anonym sag haster ({{ alias }}). Se indbakken."
    danger: str = "Ungebot: Ord om akut fare i anonym sag {{ alias }}. Se indbakken nu."
    waiting: str = "Ungebot: Anonym sag {{ alias }} har ventet {{ minutes }} min. på svar."


class DangerWords(BaseModel):
    """Words of danger of the service's own, besides the built-in ones, which always apply (docs/flows.md)."""

    model_config = ConfigDict(extra="forbid")
    da: list[str] = Field(
        default_factory=list,
        description="Danish words and phrases; end a word with * for any ending, # is any number (\"# piller\")",
    )
    en: list[str] = Field(default_factory=list, description="English words and phrases")
    ordinary: list[str] = Field(
        default_factory=list,
        description="Ordinary phrases that contain a word of danger (\"kniv og gaffel\"): a word found inside one is no alarm",
    )


class Counselling(Schedule):
    """Opening hours are the schedule: ``schedule`` rules, ``cancelled`` dates, ``extra`` times."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="The service's name, for staff")
    on_call: list[StaffPerson] = Field(default_factory=list, description="Who is alerted (by SMS) about urgent and waiting cases")
    reply_within: Duration = Field(default=timedelta(minutes=30), description="Alert the on-call counsellor when a case waits this long within opening hours")
    danger_words: DangerWords = Field(
        default_factory=DangerWords, description="Words of acute danger (suicide, self-harm, violence, means and plan) besides the built-in ones"
    )
    texts: CaseTexts = Field(default_factory=CaseTexts)
    alerts: AlertTexts = Field(default_factory=AlertTexts)
    instagram: list[InstagramAccountId] = Field(
        default_factory=list,
        description="Instagram accounts (ids) that are the counselling service's own: every message to them is anonymous, no RÅD needed",
    )

    def say(self, name: str, language: str, **variables) -> str:
        return render(text_in(getattr(self.texts, name), language), {"language": language, **variables})

    def urgent_choices(self, language: str) -> tuple[str, str]:
        yes, no = (text_in(choice, language) for choice in self.texts.urgent_choices)
        return yes, no

    def alert(self, reason: str, **variables) -> str:
        return render(getattr(self.alerts, reason), variables)

    @cached_property
    def _danger(self) -> Phrases:
        return danger.words_of_danger([*self.danger_words.da, *self.danger_words.en], self.danger_words.ordinary)

    def model_post_init(self, context: object, /) -> None:
        # Prepared once, as the file loads, not for every message. A cached property rather than a
        # pydantic private attribute, which costs microseconds to read: this is read for every message.
        _ = self._danger

    def danger_in(self, text: str) -> str | None:
        """The word of danger (built in or the file's) found in ``text``, as written in its list, or None."""
        return self._danger.find(text)

    def opening_at(self, moment: dt.datetime, zone: ZoneInfo) -> Occurrence | None:
        """The opening hours ``moment`` falls in, or None when closed."""
        day = moment.astimezone(zone).date()
        for occurrence in self.occurrences(day - timedelta(days=1), day, zone):
            if occurrence.starts_at <= moment < occurrence.ends_at:
                return occurrence
        return None

    def next_opening(self, moment: dt.datetime, zone: ZoneInfo) -> dt.datetime | None:
        day = moment.astimezone(zone).date()
        upcoming = [o.starts_at for o in self.occurrences(day, day + timedelta(days=30), zone) if o.starts_at > moment]
        return upcoming[0] if upcoming else None


class CounsellingFile(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Ungebot counselling")
    counselling: Counselling


def describe_opening(opens: dt.datetime | None, now: dt.datetime, zone: ZoneInfo, language: str) -> str:
    """When a counsellor will answer: "i dag kl. 16:00" ..., or "så snart vi kan" when no opening is planned."""
    if opens is None:
        return "så snart vi kan" if language != "en" else "as soon as we can"
    return relative_time(opens, now, zone, language)
