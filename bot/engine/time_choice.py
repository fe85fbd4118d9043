"""Which of the offered times a young person means: "2", "nr. 2", "den første", "onsdag kl. 16",
"16:00", "30. nov", "i morgen".

A number from 1 to the length of the list is its place in the list; any other number up to 23
is an hour. Every detail given (day, hour, date) must fit, and exactly one time must be left:
"onsdag" with two Wednesday times on the list is asked about again rather than guessed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core import textmatch
from bot.core.phrases import find_phrase

_WEEKDAYS = {
    **dict.fromkeys(("mandag", "monday"), 0),
    **dict.fromkeys(("tirsdag", "tuesday"), 1),
    **dict.fromkeys(("onsdag", "wednesday"), 2),
    **dict.fromkeys(("torsdag", "thursday"), 3),
    **dict.fromkeys(("fredag", "friday"), 4),
    **dict.fromkeys(("loerdag", "lordag", "saturday"), 5),
    **dict.fromkeys(("soendag", "sondag", "sunday"), 6),
}
_MONTHS = {
    "jan": 1, "januar": 1, "january": 1, "feb": 2, "februar": 2, "february": 2, "mar": 3, "marts": 3, "march": 3,
    "apr": 4, "april": 4, "maj": 5, "may": 5, "jun": 6, "juni": 6, "june": 6, "jul": 7, "juli": 7, "july": 7,
    "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "okt": 10, "oktober": 10, "oct": 10, "october": 10,
    "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_ORDINALS = {
    "foerste": 0, "first": 0, "anden": 1, "andet": 1, "second": 1, "tredje": 2, "third": 2,
    "fjerde": 3, "fourth": 3, "femte": 4, "fifth": 4, "sidste": -1, "last": -1,
}
_NONE_WORDS = ("ingen", "ingen af dem", "ikke nogen", "ingen tak", "none", "none of them", "no thanks", "glem det", "forget it")
_CLOCK = re.compile(r"(?<!\d)([01]?\d|2[0-3])[:.]([0-5]\d)(?!\d)")
_DAY_AND_MONTH = re.compile(r"(?<!\d)([0-3]?\d)\s*/\s*(1[0-2]|0?[1-9])(?!\d)")


def declines(text: str) -> bool:
    """"nej", "ingen af dem", "glem det": no time, thanks."""
    if textmatch.classify(text, textmatch.YES_NO) == "no":
        return True
    return find_phrase(text, _NONE_WORDS) is not None and len(textmatch.tokens(text)) <= 4


def pick(text: str, options: list[datetime], today: date) -> int | None:
    """The index of the time in ``options`` (local, aware) that ``text`` names, or None."""
    said = textmatch.tokens(text)
    if not said or not options:
        return None
    number = textmatch.match_choice(text, [[] for _ in options])
    if number is not None and len([t for t in said if t.isdigit()]) == 1:
        return number
    details = _details(text, len(options), today)
    fits = list(range(len(options)))
    for clock in details.clocks:
        fits = [i for i in fits if (options[i].hour, options[i].minute) == clock]
    if details.hours and not details.clocks:
        # "kl. 16" is 16:00 when that is on the list, else any time in that hour.
        on_the_hour = [i for i in fits if options[i].hour in details.hours and options[i].minute == 0]
        fits = on_the_hour or [i for i in fits if options[i].hour in details.hours]
    if details.weekdays:
        fits = [i for i in fits if options[i].weekday() in details.weekdays]
    if details.days:
        fits = [i for i in fits if options[i].date() in details.days]
    if details.dates:
        fits = [i for i in fits if (options[i].day, options[i].month) in details.dates]
    if details.ordinal is not None and not details.given:
        ordinal = details.ordinal
        return ordinal % len(options) if -len(options) <= ordinal < len(options) else None
    if details.given and len(fits) == 1:
        return fits[0]
    return None


def names_a_time(text: str, count: int, today: date) -> bool:
    """Does the message speak of a time at all (a number, a day, an hour)? Then it is an answer
    to the list, even when it fits none of the times: "onsdag" while choosing a time is not a
    wish to join the Wednesday group."""
    if textmatch.match_choice(text, [[] for _ in range(count)]) is not None:
        return True
    details = _details(text, count, today)
    return details.given or details.ordinal is not None


@dataclass
class _Details:
    clocks: list[tuple[int, int]] = field(default_factory=list)
    hours: list[int] = field(default_factory=list)
    weekdays: set[int] = field(default_factory=set)
    days: set[date] = field(default_factory=set)
    dates: list[tuple[int, int]] = field(default_factory=list)
    ordinal: int | None = None

    @property
    def given(self) -> bool:
        return bool(self.clocks or self.hours or self.weekdays or self.days or self.dates)


def _details(text: str, count: int, today: date) -> _Details:
    raw = text.lower()
    found = _Details()
    # Clock times first ("16:30"), so their digits are not read as anything else.
    found.clocks = [(int(h), int(m)) for h, m in _CLOCK.findall(raw)]
    raw = _CLOCK.sub(" ", raw)
    found.dates = [(int(d), int(m)) for d, m in _DAY_AND_MONTH.findall(raw)]
    raw = _DAY_AND_MONTH.sub(" ", raw)
    words = textmatch.tokens(raw)
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if word.isdigit():
            value = int(word)
            if following in _MONTHS and 1 <= value <= 31:
                found.dates.append((value, _MONTHS[following]))
            elif value <= 23 and (value > count or (index > 0 and words[index - 1] == "kl")):
                found.hours.append(value)
    found.weekdays = {_WEEKDAYS[word] for word in words if word in _WEEKDAYS}
    joined = " ".join(words)
    if re.search(r"\b(i dag|idag|today)\b", joined):
        found.days.add(today)
    if re.search(r"\b(i morgen|imorgen|tomorrow)\b", joined):
        found.days.add(today + timedelta(days=1))
    found.ordinal = next((_ORDINALS[word] for word in words if word in _ORDINALS), None)
    return found


def named_time(text: str, today: date, zone: ZoneInfo) -> datetime | None:
    """A day and an hour not on the list ("onsdag kl. 16", "4/12 15:30"): the next such moment,
    local and aware. None unless both a day and a time are given."""
    details = _details(text, 0, today)
    if details.clocks:
        hour, minute = details.clocks[0]
    elif len(set(details.hours)) == 1:
        hour, minute = details.hours[0], 0
    else:
        return None
    days = sorted(details.days)
    if details.weekdays and not days and not details.dates:
        days = [today + timedelta(days=(weekday - today.weekday()) % 7) for weekday in sorted(details.weekdays)]
    for day_of_month, month in details.dates:
        year = today.year + (1 if month < today.month else 0)  # "4/1" in December is next January
        try:
            days.append(date(year, month, day_of_month))
        except ValueError:
            continue
    if len(days) != 1:
        return None
    return datetime(days[0].year, days[0].month, days[0].day, hour, minute, tzinfo=zone)
