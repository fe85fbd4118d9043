"""What the bot says about bookable times (BOOK, AFLYS, FLYT), in Danish and English.

Short and warm, like the rest of the bot's own words; a taken time is nobody's fault.
Fields in braces are filled by ``say``: ``name`` (the community's discreet name), ``when``.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.lists import format_list

BOOKING_TEXTS: dict[str, dict[str, str]] = {
    "join_first": {
        "da": "For at booke en tid skal du først være med i {names}. Skriv {keywords} for at melde dig til.",
        "en": "To book a time you first need to join {names}. Text {keywords} to join.",
    },
    "nothing_bookable": {
        "da": "Der er ingen tider at booke her.",
        "en": "There are no times to book here.",
    },
    "which_community": {
        "da": "Hvor vil du booke en tid?",
        "en": "Where would you like to book a time?",
    },
    "offer": {
        "da": "Hvilken tid vil du have til {name}? Svar med nummeret, eller skriv dag og tid.",
        "en": "Which time would you like for {name}? Reply with the number, or write a day and time.",
    },
    "none_free": {
        "da": "Der er ingen ledige tider til {name} lige nu. Prøv igen om et par dage, eller spørg en voksen.",
        "en": "There are no free times for {name} right now. Try again in a few days, or ask a staff member.",
    },
    "booked": {
        "da": "Så er du booket til {name} {when}. Skriv AFLYS, hvis du ikke kan, eller FLYT for at skifte tid.",
        "en": "You're booked for {name} {when}. Text CANCEL if you can't make it, or MOVE to change the time.",
    },
    "moved": {
        "da": "Så er din tid til {name} flyttet til {when}. Skriv AFLYS, hvis du ikke kan alligevel.",
        "en": "Your time for {name} is moved to {when}. Text CANCEL if you can't make it after all.",
    },
    "already": {
        "da": "Du er allerede booket til {name} {when}.",
        "en": "You're already booked for {name} {when}.",
    },
    "taken": {
        "da": "Øv, den tid nåede en anden at tage lige før dig. Her er de næste ledige:",
        "en": "Oh no, someone else got that time just before you. Here are the next free ones:",
    },
    "taken_none_left": {
        "da": "Øv, den tid nåede en anden at tage lige før dig, og der er ikke flere ledige tider lige nu. Prøv igen om et par dage.",
        "en": "Oh no, someone else got that time just before you, and there are no more free times right now. Try again in a few days.",
    },
    "gone": {
        "da": "Den tid kan ikke bookes. Her er de næste ledige:",
        "en": "That time can't be booked. Here are the next free ones:",
    },
    "no_time_then": {
        "da": "Okay, ingen tid. Skriv BOOK, når du vil have en.",
        "en": "Okay, no time. Text BOOK when you want one.",
    },
    "no_bookings": {
        "da": "Du har ingen booket tid. Skriv BOOK, hvis du vil have en.",
        "en": "You have no booked time. Text BOOK if you want one.",
    },
    "nothing_to_move": {
        "da": "Du har ingen booket tid at flytte. Skriv BOOK, hvis du vil have en.",
        "en": "You have no booked time to move. Text BOOK if you want one.",
    },
    "booked_for_you": {
        "da": "Hej {person}! Der er booket en tid til dig i {name} {when}. Skriv AFLYS, hvis du ikke kan, eller FLYT for at skifte tid.",
        "en": "Hi {person}! A time at {name} has been booked for you {when}. Text CANCEL if you can't make it, or MOVE to change the time.",
    },
    "cancelled_for_you": {
        "da": "Hej {person}! Din tid i {name} {when} er aflyst. Skriv BOOK, hvis du vil have en ny.",
        "en": "Hi {person}! Your time at {name} {when} is cancelled. Text BOOK if you want a new one.",
    },
    "confirm_cancel": {
        "da": "Vil du aflyse din tid til {name} {when}? Svar ja eller nej.",
        "en": "Do you want to cancel your time for {name} {when}? Reply yes or no.",
    },
    "which_to_cancel": {
        "da": "Hvilken tid vil du aflyse?",
        "en": "Which time do you want to cancel?",
    },
    "which_to_move": {
        "da": "Hvilken tid vil du flytte?",
        "en": "Which time do you want to move?",
    },
    "cancelled": {
        "da": "Din tid til {name} {when} er aflyst. Tak fordi du siger til, så kan en anden få den. Skriv BOOK, hvis du vil have en ny.",
        "en": "Your time for {name} {when} is cancelled. Thanks for letting us know, so someone else can have it. Text BOOK if you want a new one.",
    },
    "already_cancelled": {
        "da": "Den tid er allerede aflyst.",
        "en": "That time is already cancelled.",
    },
    "kept": {
        "da": "Okay, du beholder din tid {when}.",
        "en": "Okay, you keep your time {when}.",
    },
    "move_offer": {
        "da": "Din tid er {when}. Hvilken ny tid vil du have? Svar med nummeret, eller skriv dag og tid.",
        "en": "Your time is {when}. Which new time would you like? Reply with the number, or write a day and time.",
    },
    "nothing_to_move_to": {
        "da": "Der er ingen andre ledige tider lige nu, så du beholder {when}. Prøv igen om et par dage.",
        "en": "There are no other free times right now, so you keep {when}. Try again in a few days.",
    },
}


def booking_text(key: str, language: str, **fields: str) -> str:
    texts = BOOKING_TEXTS[key]
    return (texts.get(language) or texts["da"]).format(**fields)


def when(starts_at: datetime, zone: ZoneInfo, language: str, ends_at: datetime | None = None) -> str:
    """"mandag 30. nov. kl. 15:00" (with ``ends_at``: "kl. 15:00-16:00"); "Monday 30 Nov at 15:00"."""
    local = starts_at.astimezone(zone)
    hours = f"{local:%H:%M}" + (f"-{ends_at.astimezone(zone):%H:%M}" if ends_at is not None else "")
    if language == "en":
        return f"{format_date(local.date(), 'EEEE d MMM', locale='en')} {'at ' if ends_at is None else ''}{hours}"
    return f"{format_date(local.date(), 'EEEE d. MMM', locale='da')} kl. {hours}"


def either(words: list[str], language: str) -> str:
    """"GYM eller KLUB" / "GYM or CLUB"."""
    return format_list(words, style="or", locale="en" if language == "en" else "da")
