"""Communities: who meets when and where, described by staff in YAML next to the flows.

A community file has one top-level key, ``community:``. From it Ungebot derives two flows:
joining by keyword (name, what to expect, consent) and understanding replies to the day-of
reminder. Staff never write those flows, but they are checked and run like any other.
"""
from __future__ import annotations

from datetime import date, time, timedelta
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator, model_validator

from bot.core import textmatch
from bot.core.schedule import Schedule
from bot.engine.durations import Duration
from bot.engine.localized import LocalizedText, Text, text_variants
from bot.flows.bookable import BookableSettings
from bot.flows.model import Flow, KeywordsByLanguage


def _time_of_day(value: object) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, int):  # YAML reads 10:00 as sexagesimal 600
        return time(value // 60, value % 60)
    text = str(value).strip().replace(".", ":")
    try:
        hours, minutes = (text.split(":") + ["0"])[:2]
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{value!r} is not a time like 10:00") from None


TimeOfDay = Annotated[time, BeforeValidator(_time_of_day), Field(json_schema_extra={"type": "string", "examples": ["10:00"]})]

# Words that must not show on a lock screen unless the community's YAML allows them: they could
# out a young person as queer, in treatment or in the care of the municipality.
SENSITIVE_STEMS = (
    "queer", "lgbt", "homo", "bøsse", "lesbisk", "transkøn", "nonbinær", "rusmiddel", "rusmidl",
    "misbrug", "afvænning", "behandling", "uturn", "u turn", "psykiatri", "diagnose", "anbragt",
    "anbring", "sagsbehandl", "socialforvaltning", "kriminal", "fængsel",
)
SENSITIVE_WORDS = ("trans", "stof", "stoffer", "hash", "sex")
_FOLDED_STEMS = tuple((stem, textmatch.fold(stem).replace(" ", "")) for stem in SENSITIVE_STEMS)

DEFAULT_REPLIES = {
    "confirmed": {"da": "Fedt, vi ses!", "en": "Great, see you!"},
    "late": {"da": "Helt fint, vi ses når du kommer.", "en": "No problem, see you when you get here."},
    "declined": {"da": "Tak fordi du siger det. Der er en ny chance næste gang.", "en": "Thanks for letting us know. There's a new chance next time."},
    "unsure": {"da": "Okay, du er velkommen, hvis du får lyst.", "en": "Okay, you're welcome if you feel like it."},
    "welcome_back": {"da": "Hvor dejligt! Velkommen tilbage, vi glæder os til at se dig.", "en": "How lovely! Welcome back, we look forward to seeing you."},
}


# An Instagram account's id as Meta shows it (digits; YAML may read an unquoted one as a number).
InstagramAccountId = Annotated[
    str,
    BeforeValidator(lambda value: str(value) if isinstance(value, int) and not isinstance(value, bool) else value),
    StringConstraints(pattern=r"^[0-9]{5,25}$"),
]


class StaffPerson(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="First name, as the young people know them")
    phone: str | None = Field(default=None, description="Gets notes about members (no-shows) by SMS")
    email: str | None = None


class ReminderSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    time: TimeOfDay = Field(default=time(10, 0), description="When the day-of message goes out, unless a member prefers another time")
    text: Text = Field(
        description="The day-of message. Fields: name, community, place, start, end, staff, last_activity, note"
    )


class ReplyTexts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    confirmed: Text = Field(default_factory=lambda: LocalizedText(**DEFAULT_REPLIES["confirmed"]))
    late: Text = Field(default_factory=lambda: LocalizedText(**DEFAULT_REPLIES["late"]))
    declined: Text = Field(default_factory=lambda: LocalizedText(**DEFAULT_REPLIES["declined"]))
    unsure: Text = Field(default_factory=lambda: LocalizedText(**DEFAULT_REPLIES["unsure"]))
    welcome_back: Text = Field(
        default_factory=lambda: LocalizedText(**DEFAULT_REPLIES["welcome_back"]),
        description="A yes from someone who has been away for two months or more",
    )


class NoShowSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    after: int = Field(default=2, ge=1, le=20, description="Missed events in a row, without a word, before someone is told")
    miss_you: Text | None = Field(default=None, description="One friendly message to the young person then (none if left out)")


class CheckinSettings(BaseModel):
    """Arrival: texting a check-in word (or "er her" to the day-of message) during an event."""

    model_config = ConfigDict(extra="forbid")
    words: list[str] = Field(
        default_factory=lambda: ["TJEK IND", "HER", "ER HER", "📍"],
        min_length=1,
        description="Whole-message words that check a member in (\"her er mit spørgsmål\" is not one)",
    )
    opens_before: Duration = Field(default=timedelta(minutes=30), description="How long before the start one can check in")
    arrived: Text = Field(
        default_factory=lambda: LocalizedText(
            da="Velkommen, {{ name }}! Du er tjekket ind til {{ community }}.", en="Welcome, {{ name }}! You're checked in at {{ community }}."
        ),
        description="The answer to a check-in. Fields: name, community",
    )
    not_now: Text = Field(
        default_factory=lambda: LocalizedText(
            da="Der er ikke {{ community }} lige nu{% if next %}, næste gang er {{ next }}{% endif %}. Du kan tjekke ind fra {{ minutes }} minutter før start.",
            en=(
                "There's no {{ community }} right now{% if next %}, next time is {{ next }}{% endif %}. "
                "You can check in from {{ minutes }} minutes before the start."
            ),
        ),
        description="The answer outside the check-in window. Fields: name, community, next (e.g. torsdag 26. nov. kl. 16:00), minutes",
    )


ANNOUNCEMENT_MAX = 300
# Staff's own words, as written (never read as a template), one line in every member's message.
Announcement = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=ANNOUNCEMENT_MAX, pattern=r"^[^\n]*$")]

CHECKIN_VARIABLES = frozenset({"community", "next", "minutes"})


class Community(Schedule):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="The community's name, for staff")
    display_name: str = Field(
        description="The discreet name used in texts, safe to show on a lock screen (e.g. onsdagsgruppen)",
        pattern=r"^[^{}]+$",
    )
    keyword: str | list[str] | KeywordsByLanguage = Field(description="The word a young person texts to join")
    place: str | None = Field(default=None, description="Where it happens")
    staff: list[StaffPerson] = Field(default_factory=list, description="Who runs it")
    reminder: ReminderSettings | None = Field(
        default=None, description="The day-of message; a programme without meetings (e.g. aftercare) has none"
    )
    replies: ReplyTexts = Field(default_factory=ReplyTexts, description="Answers to yes, late, no and maybe")
    no_show: NoShowSettings = Field(default_factory=NoShowSettings)
    allow_words: list[str] = Field(default_factory=list, description="Words normally kept off lock screens that this community may use")
    checkin: CheckinSettings = Field(default_factory=CheckinSettings, description="Checking in on arrival")
    instagram: InstagramAccountId | None = Field(
        default=None, description="The community's own Instagram account (its id): its members' messages on Instagram go from it"
    )
    bookable: BookableSettings | None = Field(
        default=None, description="1:1 times young people book by text (BOOK, AFLYS, FLYT) instead of a schedule"
    )
    announcements: dict[date, Announcement] = Field(
        default_factory=dict,
        description="The day's announcement by date (2026-12-10: I dag kommer Sara fra jobcentret): one line that every member's "
        "day-of message that day carries, under the community's text. Staff may also write it in the console.",
    )

    @field_validator("bookable")
    @classmethod
    def _bookable_instead_of_schedule(cls, value, info: ValidationInfo):
        # One event per start time and community: a group evening and a booked time cannot share it.
        if value is not None and (info.data.get("schedule") or info.data.get("extra")):
            raise ValueError("a community with bookable times has no schedule or extra events; make the group evenings a community of their own")
        return value

    @field_validator("announcements", mode="before")
    @classmethod
    def _dates_as_written(cls, value):
        # YAML reads 2026-12-10 as a date; as text, an error names the date as staff wrote it (and its line).
        return {str(day): text for day, text in value.items()} if isinstance(value, dict) else value

    @field_validator("announcements")
    @classmethod
    def _announced_days_are_meeting_days(cls, value: dict[date, str], info: ValidationInfo):
        if not value:
            return value
        meetings = Schedule(schedule=info.data.get("schedule", []), cancelled=info.data.get("cancelled", []), extra=info.data.get("extra", []))
        for day in sorted(value):
            # The local dates of meetings do not depend on the zone (the rules are local), so any zone answers.
            if not meetings.occurrences(day, day, "UTC"):
                raise ValueError(f"{day.isoformat()} is not a day this community meets ({meetings.describe('en')}); an announcement needs a meeting that day")
        return value

    @model_validator(mode="after")
    def _a_community_that_meets_has_a_reminder(self):
        if self.meets and self.reminder is None:
            raise ValueError(
                "needs 'reminder:' (the day-of message) because it meets (schedule, extra or bookable); "
                "only a programme without meetings leaves it out"
            )
        return self

    @property
    def meets(self) -> bool:
        """Has meetings or booked times; a programme (aftercare) is only a group of members."""
        return bool(self.schedule or self.extra or self.bookable)

    def describe(self, language: str = "da") -> str:
        described = super().describe(language)
        if self.bookable is None:
            return described
        # Without a schedule the first part only says "no regular times"; cancelled dates follow.
        _, _, closed = described.partition("; ")
        return self.bookable.describe(language) + (f"; {closed}" if closed else "")

    @field_validator("keyword")
    @classmethod
    def _keywords_as_model(cls, value):
        if isinstance(value, str):
            return [value]
        return value

    def keywords(self) -> list[tuple[str, str | None]]:
        if isinstance(self.keyword, list):
            return [(word, None) for word in self.keyword]
        return [(word, "da") for word in self.keyword.da] + [(word, "en") for word in self.keyword.en]

    def lock_screen_texts(self) -> list[tuple[tuple, str]]:
        """(where, text) for everything that may show in a phone's message preview."""
        texts = [(("display_name",), self.display_name)]
        texts += [(("announcements", day.isoformat()), text) for day, text in self.announcements.items()]
        named: list[tuple[tuple, Text | None]] = [
            (("reminder", "text"), self.reminder.text if self.reminder else None),
            (("no_show", "miss_you"), self.no_show.miss_you),
        ]
        named += [(("replies", kind), getattr(self.replies, kind)) for kind in DEFAULT_REPLIES]
        named += [(("checkin", "arrived"), self.checkin.arrived), (("checkin", "not_now"), self.checkin.not_now)]
        for where, text in named:
            if text is not None:
                texts += [((*where, *([lang] if lang else [])), source) for lang, source in text_variants(text)]
        return texts

    def sensitive_words_in(self, text: str) -> list[str]:
        allowed = {textmatch.fold(word) for word in self.allow_words}
        found = []
        for token in textmatch.tokens(text.replace("-", " ")):
            stem = next((stem for stem, folded in _FOLDED_STEMS if token.startswith(folded)), None)
            hit = stem or (token if token in SENSITIVE_WORDS else None)
            if hit and token not in allowed and textmatch.fold(hit) not in allowed:
                found.append(token)
        if "u turn" in textmatch.fold(text.replace("-", " ")) and "u turn" not in allowed and "uturn" not in allowed:
            found.append("u-turn")
        return found


class CommunityFile(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Ungebot community")
    community: Community


REMINDER_VARIABLES = frozenset({"community", "place", "start", "end", "staff", "last_activity", "note"})


def join_flow(slug: str, community: Community) -> Flow:
    """Texting the keyword: a name, two plain sentences on what comes, and a yes before anything else."""
    shown = community.display_name
    first_keyword = community.keywords()[0][0].upper()
    comes = {
        "da": f"Du får en sms på dagen, når der er {shown}, og du kan svare, om du kommer.",
        "en": f"You'll get a text on the day when there's {shown}, and you can reply whether you're coming.",
    }
    welcome = {"da": "Vi glæder os til at se dig.", "en": "We look forward to seeing you."}
    if not community.meets:  # a programme: what comes is a check-in now and then, not a meeting
        comes = {
            "da": f"Du får en sms fra {shown} en gang imellem, fx et spørgsmål om hvordan du har det.",
            "en": f"You'll get a text from {shown} now and then, for example asking how you are.",
        }
        welcome = {"da": "Vi er her, hvis du har brug for os.", "en": "We're here if you need us."}
    elif community.bookable is not None:  # no evenings to be told about: times they book themselves
        comes = {
            "da": "Du booker en tid ved at skrive BOOK, og du får en sms på dagen, når du har en tid.",
            "en": "You book a time by texting BOOK, and you'll get a text on the day when you have one.",
        }
        welcome = {"da": "Skriv BOOK, når du vil have en tid.", "en": "Text BOOK when you want a time."}
    return Flow.model_validate(
        {
            "name": f"Tilmelding til {community.name}",
            "triggers": community.keyword.model_dump() if isinstance(community.keyword, KeywordsByLanguage) else community.keyword,
            "expires_after": "1d",
            "steps": {
                "navn": {
                    "ask": {
                        "da": f"Hej! Du er ved at melde dig til {shown}. Hvad skal vi kalde dig? Skriv dit fornavn eller et kaldenavn.",
                        "en": f"Hi! You're joining {shown}. What should we call you? Write your first name or a nickname.",
                    },
                    "save": "name",
                    "skip_if_saved": True,
                },
                "samtykke": {
                    "ask": {
                        "da": f"Tak, {{{{ name }}}}! {comes['da']} Du kan altid skrive STOP, så stopper beskederne. Er det okay?",
                        "en": f"Thanks, {{{{ name }}}}! {comes['en']} You can always text STOP to stop the messages. Is that okay?",
                    },
                    "answers": {"ja": {"go": "meld-ind"}, "nej": {"go": "nej-tak"}},
                },
                "meld-ind": {"join": slug},
                "velkommen": {
                    "end": {"da": f"Velkommen til {shown}, {{{{ name }}}}! {welcome['da']}", "en": f"Welcome to {shown}, {{{{ name }}}}! {welcome['en']}"}
                },
                "nej-tak": {
                    "end": {
                        "da": f"Helt i orden. Du får ingen beskeder om {shown}. Skriv {first_keyword}, hvis du skifter mening.",
                        "en": f"That's fine. You won't get messages about {shown}. Text {first_keyword} if you change your mind.",
                    }
                },
            },
        }
    )


def reply_flow_name(slug: str) -> str:
    return f"{slug}.svar"


def reply_flow(slug: str, community: Community) -> Flow:
    """The replies to a day-of reminder: recorded as attendance, answered warmly, or passed to staff."""
    return Flow.model_validate(
        {
            "name": f"Svar på påmindelse: {community.name}",
            "expires_after": "12h",
            "steps": {"svar": {"attendance": slug, "replies": community.replies.model_dump()}},
        }
    )
