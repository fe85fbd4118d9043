"""Bookable times (the gym): BOOK, AFLYS and FLYT by text, the staff API, and no double booking.

The gym in these tests is tests/helpers.py's BOOKABLE_COMMUNITY_FILE: Mondays and Wednesdays
15-20, an hour each, two at a time, two weeks ahead. Most tests start on Sunday 29 November 2026
at noon, so the first times on offer are Monday 30 November 15:00-19:00.
"""
from __future__ import annotations

import threading
import time
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from bot.core import clock
from bot.domain.attendance.attendance import silent_misses
from bot.domain.bookings import bookings
from bot.domain.communities import members, reminders
from bot.domain.inbound import receive
from bot.engine.time_choice import named_time, pick
from bot.flows.communities import CommunityFile
from bot.jobs import processing
from bot.storage.models import Attendance, Booking, Event, Member, Reminder
from bot.web import create_app

from helpers import BOOKABLE_COMMUNITY_FILE, COMMUNITY_FILE, drain, outbox
from support.staff_api import CPH, check_roles, local, tokens_per_role

GYM = "gym"
SUNDAY_NOON = datetime(2026, 11, 29, 12, 0, tzinfo=CPH)
SARA, NOAH, IDA, EMMA = "+4529600001", "+4529600002", "+4529600003", "+4529600004"
PHONES = (SARA, NOAH, IDA, EMMA)
SWIMMING = """community:
  name: Svømmehallen
  display_name: svømning
  keyword: SVOM
  bookable:
    days: tirsdag
    time: "16:00-18:00"
  reminder:
    text: Hej {{ name }}! Svømning i dag kl. {{ start | time }}.
"""
FIRST_LIST = (
    "Hvilken tid vil du have til træningen? Svar med nummeret, eller skriv dag og tid.\n"
    "1 mandag 30. nov. kl. 15:00\n2 mandag 30. nov. kl. 16:00\n3 mandag 30. nov. kl. 17:00\n"
    "4 mandag 30. nov. kl. 18:00\n5 mandag 30. nov. kl. 19:00"
)


@pytest.fixture
def flows_dir(tmp_path):
    directory = tmp_path / "flows"
    directory.mkdir()
    (directory / f"{GYM}.yaml").write_text(BOOKABLE_COMMUNITY_FILE, encoding="utf-8")
    (directory / "klub.yaml").write_text(COMMUNITY_FILE, encoding="utf-8")
    return directory


@pytest.fixture
def gym(runtime_factory, flows_dir):
    clock.set_now(SUNDAY_NOON)
    runtime = runtime_factory(flows_dir=flows_dir)
    assert set(runtime.flows.current().communities) == {GYM, "klub"}, runtime.flows.last_result.problems
    return runtime


def join(runtime, phone: str, name: str, community: str = GYM, **fields) -> int:
    with runtime.db.session() as session:
        member = members.add_member(session, community=community, phone=phone, name=name, source="api", now=clock.now(), **fields)
        session.flush()
        return member.id


def text(runtime, phone: str, body: str) -> list[str]:
    """What the bot answers ``body`` from ``phone``."""
    before = len(outbox(runtime, to_address=phone))
    receive(runtime, channel="sms", scheme="tel", address=phone, body=body, provider_id=f"SM{phone}{clock.now().timestamp()}{body}")
    drain(runtime)
    return [message.body for message in outbox(runtime, to_address=phone)[before:]]


def live_bookings(runtime) -> list[tuple[int, datetime, int]]:
    with runtime.db.session() as session:
        rows = session.execute(
            select(Booking.member_id, Booking.starts_at, Booking.seat).where(Booking.status == "booked").order_by(Booking.starts_at, Booking.seat)
        ).all()
        return [(member_id, starts_at.astimezone(CPH), seat) for member_id, starts_at, seat in rows]


def reminder_rows(runtime) -> list[tuple[int, str]]:
    with runtime.db.session() as session:
        return [tuple(row) for row in session.execute(select(Reminder.member_id, Reminder.status).order_by(Reminder.id))]


def community(runtime, slug: str = GYM):
    return runtime.flows.current().communities[slug]


# The times on offer (pure) -------------------------------------------------------------------

def settings(**bookable) -> object:
    data = {"days": "mandag", "time": "15:00-17:00", **bookable}
    file = {"community": {"name": "x", "display_name": "x", "keyword": "X", "bookable": data, "reminder": {"text": "Hej"}}}
    return CommunityFile.model_validate(file).community.bookable


@pytest.mark.parametrize(
    "bookable, day, expected",
    [
        ({}, date(2026, 11, 30), ["15:00", "15:30", "16:00", "16:30"]),  # slot 30m by default
        ({"slot": "1h"}, date(2026, 11, 30), ["15:00", "16:00"]),
        ({"slot": "1h"}, date(2026, 12, 1), []),  # a Tuesday
        ({"slot": "1h", "days": ["man", "TIRSDAG"]}, date(2026, 12, 1), ["15:00", "16:00"]),
        ({"slot": "2h"}, date(2026, 10, 26), ["15:00"]),  # the Monday after summer time ends
        ({"slot": "1h", "time": "23:00-01:00"}, date(2026, 11, 30), ["23:00", "00:00"]),  # past midnight
    ],
)
def test_times_follow_the_days_hours_and_slot(bookable, day, expected):
    found = settings(**bookable).slots(day, day, CPH)
    assert [s.starts_at.astimezone(CPH).strftime("%H:%M") for s in found] == expected
    assert all(s.ends_at - s.starts_at == settings(**bookable).slot for s in found)


def test_a_time_stays_local_across_daylight_saving_and_closed_dates_have_none():
    monday = settings(slot="1h")
    before, after = monday.slots(date(2026, 3, 23), date(2026, 3, 23), CPH), monday.slots(date(2026, 3, 30), date(2026, 3, 30), CPH)
    assert [s.starts_at.strftime("%H:%M") for s in before] == ["14:00", "15:00"], "UTC+1"
    assert [s.starts_at.strftime("%H:%M") for s in after] == ["13:00", "14:00"], "UTC+2, still 15:00 local"
    assert monday.slots(date(2026, 3, 30), date(2026, 3, 30), CPH, closed={date(2026, 3, 30)}) == []
    assert monday.slot_at(local(2026, 3, 30, 16, 0), CPH).local_date == date(2026, 3, 30)
    assert monday.slot_at(local(2026, 3, 30, 16, 30), CPH) is None


@pytest.mark.parametrize(
    "bookable, message",
    [
        ({"slot": "45m", "time": "15:00-20:00"}, "45m does not divide 15:00-20:00 (5h) into whole times; use e.g. 30m or 1h"),
        ({"slot": "3h"}, "3h does not divide 15:00-17:00 (2h) into whole times; use e.g. 1h or 2h"),
        ({"slot": "90s"}, "a time must be whole minutes, at least 5m"),
        ({"at_once": 0}, "greater than or equal to 1"),
        ({"ahead": "400d"}, "at most 366d"),
        ({"days": "mandagg"}, "'mandagg' is not a weekday (did you mean 'mandag'?)"),
        ({"time": 900}, "write it in quotes"),
    ],
)
def test_the_yaml_is_checked_with_clear_messages(bookable, message):
    with pytest.raises(Exception) as raised:
        settings(**bookable)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    "said, expected",
    [
        ("2", 1), ("nr. 2", 1), ("2)", 1), ("den første", 0), ("sidste", 3),
        ("onsdag kl. 16", 3), ("onsdag 16:00", 3), ("2/12 kl 15", 2), ("mandag 15", 0), ("i morgen kl 16", 1), ("2. dec 15.00", 2),
        ("16", None),  # Monday or Wednesday?
        ("onsdag", None), ("torsdag kl 15", None), ("hej", None), ("9", None),
    ],
)
def test_a_time_is_picked_by_its_number_or_by_day_and_hour(said, expected):
    options = [local(2026, 11, 30, 15), local(2026, 11, 30, 16), local(2026, 12, 2, 15), local(2026, 12, 2, 16)]
    assert pick(said, options, date(2026, 11, 29)) == expected


@pytest.mark.parametrize(
    "said, expected",
    [("onsdag kl. 17", local(2026, 12, 2, 17)), ("14/12 kl 15", local(2026, 12, 14, 15)), ("onsdag", None), ("kl 17", None)],
)
def test_a_day_and_hour_not_on_the_list_name_a_time(said, expected):
    assert named_time(said, date(2026, 11, 29), CPH) == expected


def test_the_engine_asks_the_edge_and_books_only_what_it_is_told(flows_dir):
    """Pure: BOOK becomes a look-up, the facts become a list, a pick becomes a BookTime."""
    from bot import engine
    from bot.engine import actions
    from bot.flows.loader import load_flows

    flows = load_flows(flows_dir).flowset
    contact, now = actions.ContactView(name="Sara"), SUNDAY_NOON
    asked = engine.handle(flows, contact, None, actions.IncomingText("book"), now, CPH)
    assert asked.actions == [actions.LookUpTimes(None)] and asked.state.flow == "booking.book"
    gym_place = actions.BookableCommunity(GYM, "træningen", "GYM", member=True)
    free = tuple((local(2026, 11, 30, h), local(2026, 11, 30, h + 1)) for h in (15, 16))
    listed = engine.handle(flows, contact, asked.state, actions.BookingFacts((gym_place,), GYM, free, ()), now, CPH)
    assert [a.choices for a in listed.actions] == [("mandag 30. nov. kl. 15:00", "mandag 30. nov. kl. 16:00")]
    picked = engine.handle(flows, contact, listed.state, actions.IncomingText("2"), now, CPH)
    assert picked.actions == [actions.BookTime(GYM, local(2026, 11, 30, 16), None)]
    booked = actions.BookedTime(7, GYM, *free[1])
    told = engine.handle(flows, contact, picked.state, actions.BookingFacts((gym_place,), GYM, free[:1], (booked,), "booked", booked), now, CPH)
    assert [a.text for a in told.actions] == [
        "Så er du booket til træningen mandag 30. nov. kl. 16:00-17:00. Skriv AFLYS, hvis du ikke kan, eller FLYT for at skifte tid."
    ]
    assert told.state is None


# Booking by text ------------------------------------------------------------------------------

def test_book_a_number_and_the_time_is_theirs_with_its_own_reminder(gym, twilio):
    sara = join(gym, SARA, "Sara")
    join(gym, NOAH, "Noah")  # a member who books nothing gets no reminder
    join(gym, IDA, "Ida", community="klub")
    assert text(gym, SARA, "BOOK") == [FIRST_LIST]
    assert text(gym, SARA, "2") == [
        "Så er du booket til træningen mandag 30. nov. kl. 16:00-17:00. Skriv AFLYS, hvis du ikke kan, eller FLYT for at skifte tid."
    ]
    assert live_bookings(gym) == [(sara, local(2026, 11, 30, 16), 1)]
    with gym.db.session() as session:
        event = session.scalars(select(Event).where(Event.community == GYM)).one()
        assert (event.kind, event.starts_at.astimezone(CPH), event.ends_at.astimezone(CPH)) == ("booking", local(2026, 11, 30, 16), local(2026, 11, 30, 17))
    reminders.plan(gym)
    assert reminder_rows(gym) == [(sara, "planned")], "only the one who booked, not every member"
    clock.set_now(local(2026, 11, 30, 10, 0, 30))
    drain(gym)
    assert [m["body"] for m in twilio.messages if m["to"] == SARA][-1] == (
        "Hej Sara! Du har en tid i træningen i dag kl. 16:00-17:00. Kommer du?"
    )
    assert not [m for m in twilio.messages if m["to"] == NOAH]
    assert text(gym, SARA, "kommer lidt senere") == ["Helt fint, vi ses når du kommer."]
    with gym.db.session() as session:
        (row,) = session.scalars(select(Attendance)).all()
        assert (row.member_id, row.event_id, row.reply) == (sara, event.id, "late")


@pytest.mark.parametrize(
    "language, words, answer",
    [
        ("da", ["BOOKE", "1"], "Så er du booket til træningen mandag 30. nov. kl. 15:00-16:00. Skriv AFLYS, hvis du ikke kan, eller FLYT for at skifte tid."),
        ("da", ["booking", "onsdag kl 18"], "Så er du booket til træningen onsdag 2. dec. kl. 18:00-19:00. ..."),
        ("da", ["book", "mandag 7. dec kl. 15"], "Så er du booket til træningen mandag 7. dec. kl. 15:00-16:00. ..."),
        ("da", ["book", "ingen af dem"], "Okay, ingen tid. Skriv BOOK, når du vil have en."),
        ("en", ["BOOK", "3"], "You're booked for træningen Monday 30 Nov 17:00-18:00. Text CANCEL if you can't make it, or MOVE to change the time."),
        ("en", ["book", "no thanks"], "Okay, no time. Text BOOK when you want one."),
    ],
)
def test_book_in_different_words(gym, language, words, answer):
    from bot.transcripts import matches

    join(gym, SARA, "Sara", language=language)
    replies = [text(gym, SARA, word) for word in words]
    assert matches(answer, replies[-1][0]), replies


def test_a_time_that_cannot_be_booked_gets_the_list_again(gym):
    join(gym, SARA, "Sara")
    text(gym, SARA, "book")
    (answer,) = text(gym, SARA, "torsdag kl 15")  # no times on Thursdays
    assert answer.startswith("Den tid kan ikke bookes. Her er de næste ledige:\n1 mandag 30. nov. kl. 15:00")
    (answer,) = text(gym, SARA, "mandag 28. dec kl 15")  # more than two weeks ahead
    assert answer.startswith("Den tid kan ikke bookes.")
    assert live_bookings(gym) == []


def test_three_misunderstandings_go_to_a_person(gym):
    join(gym, SARA, "Sara")
    text(gym, SARA, "book")
    assert text(gym, SARA, "hvad?")[0].startswith("Det forstod jeg ikke helt. Hvilken tid vil du have til træningen?")
    assert text(gym, SARA, "øh")[0].startswith("Det forstod jeg ikke helt.")
    (answer,) = text(gym, SARA, "hmm")
    assert answer.startswith("Jeg forstår dig ikke helt, så jeg har sagt det videre til en voksen her.")


def test_onsdag_picks_a_time_and_does_not_join_the_wednesday_group(gym, flows_dir):
    (flows_dir / "onsdag.yaml").write_text(COMMUNITY_FILE.replace("Ungdomsklubben", "Onsdagsgruppen").replace("KLUB", "ONSDAG"), encoding="utf-8")
    time.sleep(1.1)  # the registry looks for changed files once a second
    assert "onsdag" in gym.flows.current().communities
    join(gym, SARA, "Sara")
    text(gym, SARA, "book")
    assert text(gym, SARA, "onsdag kl. 16")[0].startswith("Så er du booket til træningen onsdag 2. dec. kl. 16:00-17:00.")
    assert text(gym, SARA, "book")[0].startswith("Hvilken tid")
    assert text(gym, SARA, "onsdag")[0].startswith("Det forstod jeg ikke helt."), "a day with no time is asked about, not a keyword"
    with gym.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Member).where(Member.community == "onsdag")) == 0


def test_not_a_member_is_told_how_to_join_and_several_are_asked_which(gym, flows_dir):
    assert text(gym, SARA, "BOOK") == ["For at booke en tid skal du først være med i træningen. Skriv GYM for at melde dig til."]
    (flows_dir / "svom.yaml").write_text(SWIMMING, encoding="utf-8")
    time.sleep(1.1)
    assert text(gym, NOAH, "BOOK") == [
        "For at booke en tid skal du først være med i træningen eller svømning. Skriv GYM eller SVOM for at melde dig til."
    ]
    join(gym, SARA, "Sara")
    join(gym, SARA, "Sara", community="svom")
    assert text(gym, SARA, "book") == ["Hvor vil du booke en tid?\n1 træningen\n2 svømning"]
    (answer,) = text(gym, SARA, "svømning")
    assert answer.startswith("Hvilken tid vil du have til svømning? Svar med nummeret, eller skriv dag og tid.\n1 tirsdag 1. dec. kl. 16:00\n")
    assert text(gym, SARA, "1")[0].startswith("Så er du booket til svømning tirsdag 1. dec. kl. 16:00-16:30.")
    assert [starts_at for _, starts_at, _ in live_bookings(gym)] == [local(2026, 12, 1, 16, 0)]


def test_a_time_taken_meanwhile_is_said_kindly_with_new_times(gym):
    join(gym, SARA, "Sara")
    others = [join(gym, phone, name) for phone, name in ((NOAH, "Noah"), (IDA, "Ida"))]
    assert text(gym, SARA, "book") == [FIRST_LIST]
    with gym.db.session() as session:
        for member_id in others:  # both seats at 15:00 go while Sara reads the list
            bookings.book(gym, session, GYM, community(gym), session.get(Member, member_id), local(2026, 11, 30, 15), clock.now(), "test")
    assert text(gym, SARA, "1") == [
        "Øv, den tid nåede en anden at tage lige før dig. Her er de næste ledige:\n"
        "1 mandag 30. nov. kl. 16:00\n2 mandag 30. nov. kl. 17:00\n3 mandag 30. nov. kl. 18:00\n"
        "4 mandag 30. nov. kl. 19:00\n5 onsdag 2. dec. kl. 15:00"
    ]
    assert text(gym, SARA, "1")[0].startswith("Så er du booket til træningen mandag 30. nov. kl. 16:00-17:00.")


def test_aflys_confirms_which_frees_the_seat_and_cancels_the_reminder(gym):
    sara = join(gym, SARA, "Sara")
    assert text(gym, SARA, "aflys") == ["Du har ingen booket tid. Skriv BOOK, hvis du vil have en."]
    text(gym, SARA, "book")
    text(gym, SARA, "1")
    assert reminder_rows(gym) == [(sara, "planned")]
    assert text(gym, SARA, "AFLYS") == ["Vil du aflyse din tid til træningen mandag 30. nov. kl. 15:00? Svar ja eller nej."]
    assert text(gym, SARA, "nej") == ["Okay, du beholder din tid mandag 30. nov. kl. 15:00."]
    assert len(live_bookings(gym)) == 1
    text(gym, SARA, "aflys")
    assert text(gym, SARA, "ja") == [
        "Din tid til træningen mandag 30. nov. kl. 15:00 er aflyst. Tak fordi du siger til, så kan en anden få den. Skriv BOOK, hvis du vil have en ny."
    ]
    assert live_bookings(gym) == []
    assert reminder_rows(gym) == [(sara, "cancelled")]
    text(gym, SARA, "book")
    text(gym, SARA, "1")
    assert reminder_rows(gym) == [(sara, "planned")], "booked again: the reminder is back"


def test_aflys_with_several_times_asks_which(gym):
    join(gym, SARA, "Sara")
    for pick_ in ("1", "onsdag kl 17"):
        text(gym, SARA, "book")
        text(gym, SARA, pick_)
    assert text(gym, SARA, "aflys") == ["Hvilken tid vil du aflyse?\n1 mandag 30. nov. kl. 15:00\n2 onsdag 2. dec. kl. 17:00"]
    assert text(gym, SARA, "onsdag")[0].startswith("Din tid til træningen onsdag 2. dec. kl. 17:00 er aflyst.")
    assert [starts_at for _, starts_at, _ in live_bookings(gym)] == [local(2026, 11, 30, 15)]


def test_flyt_keeps_the_old_time_until_the_new_one_is_booked(gym):
    sara = join(gym, SARA, "Sara")
    assert text(gym, SARA, "flyt") == ["Du har ingen booket tid at flytte. Skriv BOOK, hvis du vil have en."]
    text(gym, SARA, "book")
    text(gym, SARA, "1")
    (offer,) = text(gym, SARA, "FLYT")
    assert offer.startswith("Din tid er mandag 30. nov. kl. 15:00. Hvilken ny tid vil du have?")
    assert "kl. 15:00\n" not in offer.split("\n", 1)[1], "their own time is not offered"
    assert text(gym, SARA, "nej tak") == ["Okay, du beholder din tid mandag 30. nov. kl. 15:00."]
    assert live_bookings(gym) == [(sara, local(2026, 11, 30, 15), 1)]
    text(gym, SARA, "flyt")
    assert text(gym, SARA, "onsdag kl 19") == [
        "Så er din tid til træningen flyttet til onsdag 2. dec. kl. 19:00-20:00. Skriv AFLYS, hvis du ikke kan alligevel."
    ]
    assert live_bookings(gym) == [(sara, local(2026, 12, 2, 19), 1)]
    with gym.db.session() as session:
        statuses = dict(session.execute(select(Event.local_date, Reminder.status).join(Event, Event.id == Reminder.event_id)).all())
    assert statuses == {date(2026, 11, 30): "cancelled", date(2026, 12, 2): "planned"}


def test_leaving_frees_the_times_and_nobody_misses_a_time_they_did_not_book(gym):
    sara, noah = join(gym, SARA, "Sara"), join(gym, NOAH, "Noah")
    text(gym, SARA, "book")
    text(gym, SARA, "1")
    text(gym, NOAH, "book")
    text(gym, NOAH, "onsdag kl 15")
    clock.set_now(local(2026, 12, 1, 12, 0))  # Monday's time is over; Sara did not come or answer
    with gym.db.session() as session:
        assert [e.local_date for e in silent_misses(session, session.get(Member, sara), clock.now())] == [date(2026, 11, 30)]
        assert silent_misses(session, session.get(Member, noah), clock.now()) == [], "Monday was not Noah's"
        members.leave(session, session.get(Member, noah), clock.now())
    assert live_bookings(gym) == [(sara, local(2026, 11, 30, 15), 1)]
    with gym.db.session() as session:
        assert session.scalars(select(Booking.cancelled_by).where(Booking.member_id == noah)).one() == "left"


def test_her_checks_in_to_ones_own_booked_time_only(gym):
    sara, noah = join(gym, SARA, "Sara"), join(gym, NOAH, "Noah")
    text(gym, SARA, "book")
    text(gym, SARA, "1")  # Monday 15:00
    text(gym, NOAH, "book")
    text(gym, NOAH, "2")  # Monday 16:00
    clock.set_now(local(2026, 11, 30, 15, 10))
    assert text(gym, SARA, "her") == ["Velkommen, Sara! Du er tjekket ind til træningen."]
    (answer,) = text(gym, NOAH, "HER")
    assert answer.startswith("Der er ikke træningen lige nu, næste gang er i dag kl. 16:00."), "Sara's time is not Noah's"
    clock.set_now(local(2026, 11, 30, 15, 40))
    assert text(gym, NOAH, "tjek ind") == ["Velkommen, Noah! Du er tjekket ind til træningen."]
    with gym.db.session() as session:
        came = session.execute(
            select(Attendance.member_id, Event.starts_at, Attendance.presence, Attendance.presence_set_by).join(Event).order_by(Event.starts_at)
        ).all()
    assert [(m, at.astimezone(CPH).hour, presence, by) for m, at, presence, by in came] == [
        (sara, 15, "attended", "tjek ind"),
        (noah, 16, "attended", "tjek ind"),
    ]


# Double booking is impossible ---------------------------------------------------------------

def race(runtime, racers, book_one, monkeypatch) -> list:
    """Run ``book_one(member_id)`` in a thread per racer, all at once; their results in order.

    On PostgreSQL every racer reads the free seats before any of them writes (they wait for each
    other right after that read), so all go for the same seat at the same instant. SQLite takes
    its write lock at BEGIN: there the racers start together and the database lines them up.
    """
    start = threading.Barrier(len(racers), timeout=30)
    if not runtime.db.is_sqlite:
        after_reading = threading.Barrier(len(racers), timeout=30)
        read = bookings.taken_seats

        def taken_then_wait(*args):
            seats = read(*args)
            after_reading.wait()
            return seats

        monkeypatch.setattr(bookings, "taken_seats", taken_then_wait)
    results: list = [None] * len(racers)

    def run(index: int, member_id: int) -> None:
        start.wait()
        try:
            results[index] = book_one(member_id)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, m)) for i, m in enumerate(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.parametrize("already, racers, winners", [(1, 2, 1), (1, 4, 1), (0, 3, 2)], ids=["last-seat-2", "last-seat-4", "two-seats-3"])
def test_racers_for_the_same_seats_only_as_many_win_as_there_are_seats(gym, monkeypatch, already, racers, winners):
    phones = [f"+452961{index:04d}" for index in range(racers + 1)]
    ids = [join(gym, phone, f"Ung{index}") for index, phone in enumerate(phones)]
    monday = local(2026, 11, 30, 15)
    with gym.db.session() as session:
        first = bookings.book(gym, session, GYM, community(gym), session.get(Member, ids[0]), monday, clock.now(), "test")
        if not already:  # the time's event exists, so the race is for the seats alone
            bookings.cancel(session, first, clock.now(), "test")

    def book_one(member_id):
        with gym.db.session() as session:
            return bookings.book(gym, session, GYM, community(gym), session.get(Member, member_id), monday, clock.now(), "test").seat

    results = race(gym, ids[1:], book_one, monkeypatch)
    won = [r for r in results if isinstance(r, int)]
    lost = [r for r in results if not isinstance(r, int)]
    assert len(won) == winners, results
    assert all(isinstance(r, bookings.BookingRefused) and r.reason == "taken" for r in lost), results
    assert sorted(seat for _, _, seat in live_bookings(gym)) == [1, 2]


def test_a_stale_view_of_the_seats_is_corrected_by_the_database(gym, monkeypatch):
    """The insert of a seat someone took since it was read fails, and the next seat is tried."""
    first, second = join(gym, SARA, "Sara"), join(gym, NOAH, "Noah")
    monday = local(2026, 11, 30, 15)
    with gym.db.session() as session:
        bookings.book(gym, session, GYM, community(gym), session.get(Member, first), monday, clock.now(), "test")
    monkeypatch.setattr(bookings, "taken_seats", lambda *args: set())
    with gym.db.session() as session:
        booking = bookings.book(gym, session, GYM, community(gym), session.get(Member, second), monday, clock.now(), "test")
        assert booking.seat == 2
    third = join(gym, IDA, "Ida")
    with gym.db.session() as session, pytest.raises(bookings.BookingRefused) as refused:
        bookings.book(gym, session, GYM, community(gym), session.get(Member, third), monday, clock.now(), "test")
    assert refused.value.reason == "taken"


def test_two_young_people_answer_the_same_second_one_gets_the_last_seat(gym, monkeypatch):
    """Through the whole SMS path: two workers process two answers "1" at the same instant."""
    sara, noah, ida = join(gym, SARA, "Sara"), join(gym, NOAH, "Noah"), join(gym, IDA, "Ida")
    text(gym, SARA, "book")
    text(gym, NOAH, "book")
    with gym.db.session() as session:  # Ida has had the first seat at 15:00 for a while
        bookings.book(gym, session, GYM, community(gym), session.get(Member, ida), local(2026, 11, 30, 15), clock.now(), "test")
    contacts = {}
    for phone in (SARA, NOAH):
        contacts[phone] = receive(gym, channel="sms", scheme="tel", address=phone, body="1", provider_id=f"race{phone}").contact_id
    before = {phone: len(outbox(gym, to_address=phone)) for phone in (SARA, NOAH)}
    results = race(gym, [contacts[SARA], contacts[NOAH]], processing.process_contact, monkeypatch)
    assert results == [None, None]
    replies = [outbox(gym, to_address=phone)[before[phone]:][0].body for phone in (SARA, NOAH)]
    assert sorted(reply.split(".")[0] for reply in replies) == ["Så er du booket til træningen mandag 30", "Øv, den tid nåede en anden at tage lige før dig"]
    monday = [member for member, starts_at, _ in live_bookings(gym) if starts_at == local(2026, 11, 30, 15)]
    assert sorted(monday) == sorted([ida, sara if replies[0].startswith("Så") else noah])


# The staff API ------------------------------------------------------------------------------

@pytest.fixture
def client(gym):
    return create_app(gym).test_client()


@pytest.fixture
def tokens(gym) -> dict[str, dict[str, str]]:
    return tokens_per_role(gym)


def test_every_booking_route_needs_staff_or_admin(gym, client, tokens, caplog):
    sara = join(gym, SARA, "Sara")
    with gym.db.session() as session:
        booking = bookings.book(gym, session, GYM, community(gym), session.get(Member, sara), local(2026, 11, 30, 16), clock.now(), "sms")
    check_roles(client, tokens, [
        ("GET", f"/api/communities/{GYM}/slots", None, 200),
        ("GET", f"/api/communities/{GYM}/slots?date=2026-11-30", None, 200),
        ("GET", f"/api/communities/{GYM}/bookings?date=2026-11-30", None, 200),
        ("POST", f"/api/communities/{GYM}/bookings", {"member_id": sara, "starts_at": "2026-11-30T16:00:00+01:00"}, 200),
        ("POST", f"/api/communities/{GYM}/bookings", {"member_id": sara, "starts_at": "2026-11-30T16:30:00+01:00"}, 422),
        ("DELETE", f"/api/bookings/{booking.id}", None, 200),
        ("GET", "/api/communities/klub/slots", None, 404),
    ], caplog)
    assert not any(phone[-8:] in caplog.text for phone in PHONES)


def test_staff_see_free_and_taken_seats_and_book_for_a_young_person(gym, client, tokens):
    staff = tokens["staff"]
    sara, noah, ida = join(gym, SARA, "Sara"), join(gym, NOAH, "Noah"), join(gym, IDA, "Ida")
    text(gym, SARA, "book")
    text(gym, SARA, "1")
    created = client.post(f"/api/communities/{GYM}/bookings", json={"member_id": noah, "starts_at": "2026-11-30T15:00:00+01:00"}, headers=staff)
    assert created.status_code == 201, created.json
    assert {k: created.json[k] for k in ("member_id", "name", "seat", "status", "booked_by", "starts_at", "ends_at")} == {
        "member_id": noah, "name": "Noah", "seat": 2, "status": "booked", "booked_by": "kirsten",
        "starts_at": "2026-11-30T15:00:00+01:00", "ends_at": "2026-11-30T16:00:00+01:00",
    }
    again = client.post(f"/api/communities/{GYM}/bookings", json={"member_id": noah, "starts_at": "2026-11-30T14:00:00Z"}, headers=staff)
    assert (again.status_code, again.json["id"]) == (200, created.json["id"]), "the same time in UTC: booked once"
    full = client.post(f"/api/communities/{GYM}/bookings", json={"member_id": ida, "starts_at": "2026-11-30T15:00:00+01:00"}, headers=staff)
    assert (full.status_code, full.json["detail"]) == (409, "every seat of that time is taken")
    slots = client.get(f"/api/communities/{GYM}/slots?date=2026-11-30", headers=staff).json
    assert slots["slots"][0] == {
        "starts_at": "2026-11-30T15:00:00+01:00", "ends_at": "2026-11-30T16:00:00+01:00", "seats": 2, "booked": 2, "free": 0, "bookable": True,
    }
    assert [(s["booked"], s["free"]) for s in slots["slots"][1:]] == [(0, 2)] * 4
    assert client.get(f"/api/communities/{GYM}/slots?date=2026-12-01", headers=staff).json["slots"] == [], "a Tuesday"
    day = client.get(f"/api/communities/{GYM}/bookings?date=2026-11-30", headers=staff).json
    assert [(b["name"], b["seat"], b["booked_by"]) for b in day["bookings"]] == [("Sara", 1, "sms"), ("Noah", 2, "kirsten")]
    reminders.plan(gym)
    assert sorted(reminder_rows(gym)) == [(sara, "planned"), (noah, "planned")]


@pytest.mark.parametrize(
    "body, status, detail",
    [
        ({"starts_at": "2026-11-30T15:30:00+01:00"}, 422, {"starts_at": "no bookable time starts at 2026-11-30 15:30"}),
        ({"starts_at": "2026-11-29T15:00:00+01:00"}, 422, {"starts_at": "no bookable time starts at 2026-11-29 15:00"}),
        ({"starts_at": "2026-12-16T15:00:00+01:00"}, 422, {"starts_at": "times can be booked until 2026-12-13 12:00"}),
        ({"starts_at": "2026-11-30T15:00:00"}, 422, None),  # no offset: which 15:00?
        ({"starts_at": "2026-11-30T15:00:00+01:00", "member_id": 99999}, 404, None),
        ({"starts_at": "2026-11-30T15:00:00+01:00", "member_id": "club"}, 404, None),
    ],
)
def test_a_booking_staff_cannot_make_says_why(gym, client, tokens, body, status, detail):
    sara = join(gym, SARA, "Sara")
    member_ids = {99999: 99999, "club": join(gym, IDA, "Ida", community="klub")}
    body = {"member_id": member_ids.get(body.get("member_id"), sara), "starts_at": body["starts_at"]}
    response = client.post(f"/api/communities/{GYM}/bookings", json=body, headers=tokens["staff"])
    assert response.status_code == status, response.json
    if detail:
        assert response.json["fields"] == detail


def test_staff_cancel_a_booking_once_and_not_after_it_started(gym, client, tokens):
    staff = tokens["staff"]
    sara = join(gym, SARA, "Sara")
    text(gym, SARA, "book")
    text(gym, SARA, "1")
    with gym.db.session() as session:
        booking_id = session.scalars(select(Booking.id)).one()
    cancelled = client.delete(f"/api/bookings/{booking_id}", headers=staff)
    assert (cancelled.status_code, cancelled.json["status"], cancelled.json["cancelled_by"]) == (200, "cancelled", "kirsten")
    assert reminder_rows(gym) == [(sara, "cancelled")]
    assert client.delete(f"/api/bookings/{booking_id}", headers=staff).json["cancelled_at"] == cancelled.json["cancelled_at"]
    assert client.delete("/api/bookings/123456", headers=staff).status_code == 404
    text(gym, SARA, "book")
    text(gym, SARA, "1")
    with gym.db.session() as session:
        later = session.scalars(select(Booking.id).where(Booking.status == "booked")).one()
    clock.set_now(local(2026, 11, 30, 15, 5))
    started = client.delete(f"/api/bookings/{later}", headers=staff)
    assert started.status_code == 409 and "has started" in started.json["detail"]


def test_a_time_staff_book_or_cancel_is_never_a_surprise(gym, client, tokens, twilio):
    noah = join(gym, NOAH, "Noah")
    made = client.post(f"/api/communities/{GYM}/bookings", json={"member_id": noah, "starts_at": "2026-11-30T16:00:00+01:00"}, headers=tokens["staff"])
    assert made.status_code == 201
    drain(gym)
    assert [m["body"] for m in twilio.messages if m["to"] == NOAH] == [
        "Hej Noah! Der er booket en tid til dig i træningen mandag 30. nov. kl. 16:00-17:00. Skriv AFLYS, hvis du ikke kan, eller FLYT for at skifte tid."
    ]
    clock.set_now(local(2026, 11, 29, 22, 30))  # quiet hours: the news waits for the morning
    assert client.delete(f"/api/bookings/{made.json['id']}", headers=tokens["staff"]).status_code == 200
    drain(gym)
    assert len([m for m in twilio.messages if m["to"] == NOAH]) == 1
    (waiting,) = outbox(gym, status="pending")
    assert waiting.body == "Hej Noah! Din tid i træningen mandag 30. nov. kl. 16:00-17:00 er aflyst. Skriv BOOK, hvis du vil have en ny."
    assert waiting.send_after.astimezone(CPH) == local(2026, 11, 30, 8, 0)
    assert client.delete(f"/api/bookings/{made.json['id']}", headers=tokens["staff"]).status_code == 200
    assert len(outbox(gym, to_address=NOAH)) == 2, "cancelling again tells nobody again"


def test_staff_see_a_booked_time_with_only_those_who_booked_it(gym, client, tokens):
    staff = tokens["staff"]
    sara, noah = join(gym, SARA, "Sara"), join(gym, NOAH, "Noah")
    text(gym, SARA, "book")
    text(gym, SARA, "1")
    with gym.db.session() as session:
        event_id = session.scalars(select(Event.id)).one()
    attendance = client.get(f"/api/events/{event_id}/attendance", headers=staff).json
    assert [m["name"] for m in attendance["members"]] == ["Sara"]
    assert attendance["event"]["kind"] == "booking"
    clock.set_now(local(2026, 11, 30, 21, 0))
    history = {m: client.get(f"/api/members/{m}/attendance", headers=staff).json for m in (sara, noah)}
    assert [e["event"]["id"] for e in history[sara]["events"]] == [event_id]
    assert (history[sara]["silent_misses_in_a_row"], history[noah]["events"]) == (1, []), "the time was Sara's, not Noah's"
    csv = client.get(f"/api/communities/{GYM}/attendance.csv?from=2026-11-30&to=2026-11-30", headers=staff).get_data(as_text=True)
    assert "Sara" in csv and "Noah" not in csv
