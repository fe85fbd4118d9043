"""Community schedules (bot/core/schedule.py): YAML in, events with UTC times out.

Most cases are data: a YAML schedule as staff write it, a window of local dates, and the events
expected, written as local wall-clock times ("2026-12-10 17:00-20:00"; "+1" marks an end on
the next day). Times are Europe/Copenhagen; DST 2026 starts Sunday 29 March and ends Sunday
25 October.
"""
import calendar
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
import yaml
from dateutil.rrule import rrulestr
from pydantic import ValidationError

from bot.core.schedule import ANCHOR, Occurrence, RRuleRule, Schedule, WeeklyRule, error_lines

ZONE = ZoneInfo("Europe/Copenhagen")
UTC = dt.UTC
D = dt.date.fromisoformat


def load(text: str) -> Schedule:
    return Schedule.model_validate(yaml.safe_load(text))


def local(occurrence: Occurrence) -> str:
    start, end = occurrence.starts_at.astimezone(ZONE), occurrence.ends_at.astimezone(ZONE)
    next_day = "+1" if end.date() != start.date() else ""
    return f"{start:%Y-%m-%d %H:%M}-{end:%H:%M}{next_day}"


def utc(occurrence: Occurrence) -> str:
    return f"{occurrence.starts_at:%Y-%m-%d %H:%M}Z-{occurrence.ends_at:%H:%M}Z"


def events(schedule: Schedule, start: str, end: str) -> list[str]:
    return [local(o) for o in schedule.occurrences(D(start), D(end), ZONE)]


CASES = [
    pytest.param(
        """
        schedule:
          - days: torsdag
            time: "16:00-21:00"
        """,
        "2026-10-01", "2026-10-31",
        # 29 October is after the switch to winter time: still 16:00 local
        ["2026-10-01 16:00-21:00", "2026-10-08 16:00-21:00", "2026-10-15 16:00-21:00",
         "2026-10-22 16:00-21:00", "2026-10-29 16:00-21:00"],
        id="every-thursday-for-a-month",
    ),
    pytest.param(
        """
        schedule:
          - days: Torsdag
            weeks: even
            time: "17:00-20:00"
        """,
        "2026-12-01", "2027-01-31",
        # weeks 50 and 52, then not 53 (31 Dec) nor 1 (7 Jan), then weeks 2 and 4
        ["2026-12-10 17:00-20:00", "2026-12-24 17:00-20:00", "2027-01-14 17:00-20:00", "2027-01-28 17:00-20:00"],
        id="even-iso-weeks-across-new-year",
    ),
    pytest.param(
        """
        schedule:
          - days: thursday
            weeks: odd
            time: "17:00-20:00"
        """,
        "2026-12-01", "2027-01-31",
        # week 53 and week 1 are both odd: two weeks in a row
        ["2026-12-03 17:00-20:00", "2026-12-17 17:00-20:00", "2026-12-31 17:00-20:00",
         "2027-01-07 17:00-20:00", "2027-01-21 17:00-20:00"],
        id="odd-iso-weeks-across-new-year",
    ),
    pytest.param(
        """
        schedule:
          - days: onsdag
            time: "17-21"
            note: Queer-gruppe
        """,
        "2026-03-01", "2026-03-31",
        ["2026-03-04 17:00-21:00", "2026-03-11 17:00-21:00", "2026-03-18 17:00-21:00", "2026-03-25 17:00-21:00"],
        id="wednesdays-17-21",
    ),
    pytest.param(
        """
        schedule:
          - days: tirsdag
            time: "16:30-19:00"
            from: 2026-01-12
            until: 2026-06-05
            note: forår
          - days: tirsdag
            time: "16:30-19:00"
            from: 2026-08-10
            until: 2026-12-11
            note: efterår
        """,
        "2026-05-20", "2026-08-20",
        ["2026-05-26 16:30-19:00", "2026-06-02 16:30-19:00", "2026-08-11 16:30-19:00", "2026-08-18 16:30-19:00"],
        id="seasons-with-summer-break",
    ),
    pytest.param(
        """
        schedule:
          - days: tirsdag
            time: "16.30-19.00"
            from: 2026-01-12
            until: 2026-06-05
        """,
        "2026-06-06", "2026-08-09",
        [],
        id="no-events-in-summer",
    ),
    pytest.param(
        """
        schedule:
          - days: torsdag
            time: "16:00-21:00"
        cancelled:
          - 2026-12-24
          - date: 2026-12-31
            reason: Nytårsaften
        extra:
          - date: 2026-12-19
            time: "14:00-17:00"
            note: Julehygge
          - date: 2026-12-31
            time: "20:00-01:00"
            note: Nytårsfest
        """,
        "2026-12-01", "2026-12-31",
        # an extra on a cancelled date still happens
        ["2026-12-03 16:00-21:00", "2026-12-10 16:00-21:00", "2026-12-17 16:00-21:00",
         "2026-12-19 14:00-17:00", "2026-12-31 20:00-01:00+1"],
        id="cancelled-and-extra",
    ),
    pytest.param(
        """
        schedule:
          - days: fredag
            time: "20:00-01:00"
        """,
        "2026-01-01", "2026-01-16",
        ["2026-01-02 20:00-01:00+1", "2026-01-09 20:00-01:00+1", "2026-01-16 20:00-01:00+1"],
        id="past-midnight",
    ),
    pytest.param(
        """
        schedule:
          - days: [lørdag, loerdag, LØR, søndag, soendag]
            time: "12:00-15:00"
        """,
        "2026-05-01", "2026-05-10",
        ["2026-05-02 12:00-15:00", "2026-05-03 12:00-15:00", "2026-05-09 12:00-15:00", "2026-05-10 12:00-15:00"],
        id="danish-names-with-and-without-oe",
    ),
    pytest.param(
        """
        schedule:
          - rrule: FREQ=MONTHLY;BYDAY=1WE
            time: "17:00-19:00"
            note: Værkstedsmøde
        """,
        "2026-01-01", "2026-06-30",
        ["2026-01-07 17:00-19:00", "2026-02-04 17:00-19:00", "2026-03-04 17:00-19:00",
         "2026-04-01 17:00-19:00", "2026-05-06 17:00-19:00", "2026-06-03 17:00-19:00"],
        id="rrule-first-wednesday",
    ),
    pytest.param(
        """
        schedule:
          - days: [mandag, torsdag]
            time: "17:00-20:00"
            note: Café
          - days: thu
            time: "17:00-19:00"
            note: Musik
        """,
        "2026-09-07", "2026-09-13",
        # same start from two rules: one event (the first rule's)
        ["2026-09-07 17:00-20:00", "2026-09-10 17:00-20:00"],
        id="duplicates-removed",
    ),
    pytest.param(
        """
        schedule:
          - days: torsdag
            time: "17:00-20:00"
        extra:
          - date: 2026-09-10
            time: "17:00-22:00"
            note: Koncert
        """,
        "2026-09-07", "2026-09-17",
        # an extra at the same start as a regular event replaces it
        ["2026-09-10 17:00-22:00", "2026-09-17 17:00-20:00"],
        id="extra-replaces-regular-at-same-start",
    ),
    pytest.param(
        """
        schedule:
          - days: torsdag
            time: "17:00-20:00"
            until: 2026-03-12
        """,
        "2026-03-01", "2026-03-31",
        ["2026-03-05 17:00-20:00", "2026-03-12 17:00-20:00"],
        id="until-is-inclusive",
    ),
    pytest.param(
        """
        schedule:
          - rrule: FREQ=WEEKLY;INTERVAL=2;BYDAY=TH
            from: 2026-01-08
            time: "17:00-20:00"
          - rrule: FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20260331
            time: "18:00-22:00"
        """,
        "2026-03-01", "2026-04-30",
        ["2026-03-05 17:00-20:00", "2026-03-19 17:00-20:00", "2026-03-27 18:00-22:00",
         "2026-04-02 17:00-20:00", "2026-04-16 17:00-20:00", "2026-04-30 17:00-20:00"],
        id="rrule-interval-from-and-until-date",
    ),
    pytest.param("{}", "2026-01-01", "2026-12-31", [], id="empty-schedule"),
]


@pytest.mark.parametrize(("text", "start", "end", "expected"), CASES)
def test_occurrences(text, start, end, expected):
    assert events(load(text), start, end) == expected


def test_occurrence_fields():
    schedule = load("""
        schedule: [{days: torsdag, time: "17:00-20:00", note: Musikaften}]
        extra: [{date: 2026-12-19, time: "14-17"}]
    """)
    regular, extra = schedule.occurrences(D("2026-12-17"), D("2026-12-19"), ZONE)
    assert regular == Occurrence(
        starts_at=dt.datetime(2026, 12, 17, 16, 0, tzinfo=UTC),
        ends_at=dt.datetime(2026, 12, 17, 19, 0, tzinfo=UTC),
        local_date=D("2026-12-17"),
        kind="regular",
        note="Musikaften",
    )
    assert regular.starts_at.utcoffset() == dt.timedelta(0)
    assert (extra.kind, extra.note, extra.local_date) == ("extra", None, D("2026-12-19"))
    with pytest.raises(AttributeError):
        regular.note = "changed"  # frozen


# --- ISO weeks ------------------------------------------------------------------------------

EVEN_THURSDAYS = load("""
    schedule:
      - days: torsdag
        weeks: even
        time: "17:00-20:00"
""")


def test_2026_has_53_iso_weeks_and_week_53_is_not_even():
    assert D("2026-12-31").isocalendar()[:2] == (2026, 53)
    assert D("2027-01-14").isocalendar()[:2] == (2027, 2)
    dates = [o.local_date for o in EVEN_THURSDAYS.occurrences(D("2026-12-28"), D("2027-01-17"), ZONE)]
    assert dates == [D("2027-01-14")]


def test_interval_2_is_not_even_weeks_across_new_year():
    """Counting every second Thursday from an even week drifts onto odd weeks after week 53."""
    interval = load("""
        schedule:
          - rrule: FREQ=WEEKLY;INTERVAL=2;BYDAY=TH
            from: 2026-01-08
            time: "17:00-20:00"
    """)
    january = (D("2027-01-01"), D("2027-01-31"))
    by_interval = [o.local_date for o in interval.occurrences(*january, ZONE)]
    by_week_number = [o.local_date for o in EVEN_THURSDAYS.occurrences(*january, ZONE)]
    assert by_interval == [D("2027-01-07"), D("2027-01-21")]  # ISO weeks 1 and 3
    assert by_week_number == [D("2027-01-14"), D("2027-01-28")]  # ISO weeks 2 and 4
    # ... while in 2026 both agree
    year = (D("2026-01-01"), D("2026-12-31"))
    assert [o.local_date for o in interval.occurrences(*year, ZONE)] == [o.local_date for o in EVEN_THURSDAYS.occurrences(*year, ZONE)]


@pytest.mark.parametrize("weeks", ["even", "odd"])
def test_week_parity_matches_iso_calendar_around_every_new_year(weeks):
    """Every weekday, every window start from 20 Dec to 10 Jan, 2020-2045, against date.isocalendar().

    dateutil 4.0 misnumbers 1-2 January when DTSTART is on them and the year before had 52 weeks
    (2022-01-01 is ISO week 52 of 2021; dateutil PR #1537); WeeklyRule starts its DTSTART on a
    Monday to stay clear of that.
    """
    rule = WeeklyRule(days=["man", "tir", "ons", "tor", "fre", "lør", "søn"], weeks=weeks, time="17-20")
    parity = 0 if weeks == "even" else 1
    for year in range(2020, 2046):
        for offset in range(22):
            first = dt.date(year, 12, 20) + dt.timedelta(days=offset)
            last = first + dt.timedelta(days=20)
            got = [start.date() for start in rule.local_starts(first, last)]
            days = (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
            assert got == [day for day in days if day.isocalendar().week % 2 == parity], (first, weeks)


def test_saturday_1_january_2022_is_in_even_week_52():
    saturdays = load("""
        schedule: [{days: lørdag, weeks: even, time: "10-12"}]
    """)
    assert events(saturdays, "2022-01-01", "2022-01-15") == ["2022-01-01 10:00-12:00", "2022-01-15 10:00-12:00"]


def test_weeks_start_on_monday_whatever_calendar_firstweekday_says():
    """dateutil's default WKST is calendar.firstweekday(), a process-wide setting."""
    every_other = load("""
        schedule:
          - rrule: FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,SU
            from: 2026-01-05
            time: "17:00-19:00"
    """)
    previous = calendar.firstweekday()
    calendar.setfirstweekday(calendar.SUNDAY)
    try:
        even = [o.local_date for o in EVEN_THURSDAYS.occurrences(D("2026-12-01"), D("2027-01-31"), ZONE)]
        other = [o.local_date for o in every_other.occurrences(D("2026-01-01"), D("2026-01-31"), ZONE)]
    finally:
        calendar.setfirstweekday(previous)
    assert even == [D("2026-12-10"), D("2026-12-24"), D("2027-01-14"), D("2027-01-28")]
    # weeks Monday-Sunday: 5-11 January, 19-25 January
    assert other == [D("2026-01-05"), D("2026-01-11"), D("2026-01-19"), D("2026-01-25")]


# --- daylight saving time -----------------------------------------------------------------

SUNDAY_EVENING = load("""
    schedule: [{days: søndag, time: "18:00-20:00"}]
""")


@pytest.mark.parametrize(
    ("day", "expected_utc"),
    [
        ("2026-03-22", "2026-03-22 17:00Z-19:00Z"),  # winter time, +01:00
        ("2026-03-29", "2026-03-29 16:00Z-18:00Z"),  # the switch day, already summer time
        ("2026-10-18", "2026-10-18 16:00Z-18:00Z"),  # summer time, +02:00
        ("2026-10-25", "2026-10-25 17:00Z-19:00Z"),  # the switch day, winter time again
    ],
)
def test_wall_clock_time_stays_across_dst(day, expected_utc):
    (occurrence,) = SUNDAY_EVENING.occurrences(D(day), D(day), ZONE)
    assert utc(occurrence) == expected_utc
    assert local(occurrence) == f"{day} 18:00-20:00"


NIGHT = load("""
    schedule: [{days: søndag, time: "02:30-04:00"}]
""")


def test_nonexistent_spring_forward_time_is_skipped():
    assert events(NIGHT, "2026-03-22", "2026-04-05") == ["2026-03-22 02:30-04:00", "2026-04-05 02:30-04:00"]


def test_ambiguous_fall_back_time_happens_once_at_the_first_instance():
    (occurrence,) = NIGHT.occurrences(D("2026-10-25"), D("2026-10-25"), ZONE)
    assert occurrence.starts_at == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30+02:00 (fold=0)
    assert occurrence.ends_at == dt.datetime(2026, 10, 25, 3, 0, tzinfo=UTC)  # 04:00+01:00
    assert occurrence.ends_at - occurrence.starts_at == dt.timedelta(hours=2, minutes=30)


def test_event_past_midnight_into_spring_forward_ends_at_wall_clock_time():
    schedule = load("""
        schedule: [{days: lørdag, time: "22:00-03:00"}]
    """)
    (occurrence,) = schedule.occurrences(D("2026-03-28"), D("2026-03-28"), ZONE)
    assert local(occurrence) == "2026-03-28 22:00-03:00+1"
    assert utc(occurrence) == "2026-03-28 21:00Z-01:00Z"  # 4 hours, not 5
    assert occurrence.local_date == D("2026-03-28")


def test_extra_event_at_nonexistent_time_moves_forward_by_the_gap():
    schedule = load("""
        extra: [{date: 2026-03-29, time: "02:30-05:00", note: Natløb}]
    """)
    (occurrence,) = schedule.occurrences(D("2026-03-29"), D("2026-03-29"), ZONE)
    assert local(occurrence) == "2026-03-29 03:30-05:00"


def test_occurrences_do_not_depend_on_now_or_tz_of_the_process():
    """dateutil uses datetime.now() when DTSTART is missing; we always give one."""
    text = """
        schedule:
          - {rrule: "FREQ=MONTHLY;BYDAY=1WE", time: "17-19"}
          - {days: torsdag, weeks: even, time: "17-20"}
    """
    results = []
    for now in ("2026-03-29 01:59:59+01:00", "2031-07-01 12:00:00+00:00"):
        with time_machine.travel(dt.datetime.fromisoformat(now), tick=False):
            results.append(events(load(text), "2026-12-01", "2027-01-31"))
    assert results[0] == results[1]
    assert results[0][0] == "2026-12-02 17:00-19:00"


# --- expansion near the window ----------------------------------------------------------------

@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY",
        "FREQ=DAILY;INTERVAL=3",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
        "FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,FR;BYSETPOS=1",
        "FREQ=WEEKLY",
        "FREQ=MONTHLY;BYDAY=1WE",
        "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=15,-1",
        "FREQ=MONTHLY",
        "FREQ=MONTHLY;BYDAY=TU,TH;BYSETPOS=-1",
        "FREQ=YEARLY;INTERVAL=2;BYMONTH=6;BYDAY=-1SA",
        "FREQ=YEARLY",
    ],
)
@pytest.mark.parametrize("from_", ["2003-05-31", "2019-01-02", "2025-12-30"])
def test_rrule_started_near_the_window_gives_what_expanding_from_the_start_gives(rule, from_):
    """Expansion starts DTSTART shortly before the window; windows start on every weekday."""
    parsed = RRuleRule.model_validate({"rrule": rule, "from": from_, "time": "17:00-19:00"})
    everything = rrulestr(rule + ";WKST=MO", dtstart=dt.datetime.combine(D(from_), dt.time(17)))
    reference = everything.between(dt.datetime(2026, 1, 1), dt.datetime(2027, 3, 1))
    for first in [D("2026-02-16") + dt.timedelta(days=n) for n in range(28)] + [D("2026-12-14"), D("2026-12-31")]:
        last = first + dt.timedelta(days=13 if first.month == 2 else 40)
        expected = [start for start in reference if first <= start.date() <= last]
        assert parsed.local_starts(first, last) == expected, (rule, from_, first)


def test_rrule_without_from_starts_at_a_fixed_anchor():
    assert D("2000-01-03") == ANCHOR and ANCHOR.weekday() == 0
    rule = RRuleRule.model_validate({"rrule": "FREQ=WEEKLY;BYDAY=SA", "time": "10-12"})
    assert [d.date() for d in rule.local_starts(D("2026-05-01"), D("2026-05-14"))] == [D("2026-05-02"), D("2026-05-09")]


def test_rrule_count_counts_from_from():
    schedule = load("""
        schedule:
          - rrule: FREQ=WEEKLY;BYDAY=MO;COUNT=3
            from: 2026-09-01
            time: "17:00-19:00"
    """)
    assert [o.local_date for o in schedule.occurrences(D("2026-09-01"), D("2026-12-31"), ZONE)] == [
        D("2026-09-07"), D("2026-09-14"), D("2026-09-21")]
    assert [o.local_date for o in schedule.occurrences(D("2026-09-10"), D("2026-12-31"), ZONE)] == [
        D("2026-09-14"), D("2026-09-21")]


# --- parsing --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("17:00-20:00", "17:00", "20:00"),
        ("17-20", "17:00", "20:00"),
        ("16.30-19.00", "16:30", "19:00"),
        ("16:30 - 19:00", "16:30", "19:00"),
        ("9-11:15", "09:00", "11:15"),
        ("kl. 17–20", "17:00", "20:00"),
        ("20:00-01:00", "20:00", "01:00"),
        ("20-24", "20:00", "00:00"),
    ],
)
def test_time_ranges(text, start, end):
    rule = WeeklyRule.model_validate({"days": "man", "time": text})
    assert (rule.time.start, rule.time.end) == (dt.time.fromisoformat(start), dt.time.fromisoformat(end))
    assert str(rule.time) == f"{start}-{end}"


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("mandag", "monday"), ("Monday", "monday"), ("man", "monday"), ("MON", "monday"),
        ("tirsdag", "tuesday"), ("tue", "tuesday"), ("onsdag", "wednesday"), ("Wed", "wednesday"),
        ("torsdag", "thursday"), ("torsdage", "thursday"), ("tor.", "thursday"), ("thu", "thursday"),
        ("fredag", "friday"), ("fri", "friday"),
        ("lørdag", "saturday"), ("Loerdag", "saturday"), ("LØRDAG", "saturday"), ("sat", "saturday"),
        ("søndag", "sunday"), ("soendag", "sunday"), ("Søn", "sunday"), ("sunday", "sunday"),
    ],
)
def test_weekday_names(written, day):
    assert WeeklyRule.model_validate({"days": written, "time": "17-20"}).days == [day]


def test_days_are_one_or_a_list_sorted_without_repeats():
    rule = WeeklyRule.model_validate({"days": ["torsdag", "Mandag", "thu"], "time": "17-20"})
    assert rule.days == ["monday", "thursday"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"schedule": [{"days": "torsdag", "time": "25:00-20:00"}]},
         "schedule[0].time: '25:00-20:00' is not a time range like 17:00-20:00"),
        ({"schedule": [{"days": "torsdag", "time": "17:60-20:00"}]},
         "schedule[0].time: '17:60-20:00' is not a time range like 17:00-20:00"),
        ({"schedule": [{"days": "torsdag", "time": "om aftenen"}]},
         "schedule[0].time: 'om aftenen' is not a time range like 17:00-20:00"),
        ({"schedule": [{"days": "torsdag", "time": "17:00-17:00"}]},
         "schedule[0].time: '17:00-17:00' starts and ends at the same time"),
        ({"schedule": [{"days": "torsdag", "time": 1020}]},  # YAML 1.1 reads 17:00 as 1020
         "schedule[0].time: '1020' is not a time range like 17:00-20:00 (write it in quotes)"),
        ({"schedule": [{"days": "torsdagg", "time": "17-20"}]},
         "schedule[0].days: 'torsdagg' is not a weekday (did you mean 'torsdag'?)"),
        ({"schedule": [{"days": ["mandag", "xyz"], "time": "17-20"}]},
         "schedule[0].days: 'xyz' is not a weekday (write e.g. torsdag or thursday)"),
        ({"schedule": [{"days": [], "time": "17-20"}]},
         "schedule[0].days: give at least one weekday"),
        ({"schedule": [{"days": "ons", "time": "17-20", "weeks": "hver anden"}]},
         "schedule[0].weeks: 'hver anden' is not every, even or odd"),
        ({"schedule": [{"days": "tirsdag", "time": "17-20", "from": "2026-06-05", "until": "2026-01-12"}]},
         "schedule[0]: from (2026-06-05) is after until (2026-01-12)"),
        ({"schedule": [{"day": "tirsdag", "time": "17-20"}]},
         "schedule[0].days: Field required"),
        ({"schedule": [{"rrule": "FREQ=MONTLY;BYDAY=1WE", "time": "17-20"}]},
         "schedule[0].rrule: 'FREQ=MONTLY;BYDAY=1WE' is not a valid RRULE: FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY"),
        ({"schedule": [{"rrule": "FREQ=MONTHLY;BYDAY=1WX", "time": "17-20"}]},
         "schedule[0].rrule: 'FREQ=MONTHLY;BYDAY=1WX' is not a valid RRULE: invalid 'BYDAY': 1WX"),
        ({"schedule": [{"rrule": "FREQ=MONTHLY;BYDAY", "time": "17-20"}]},
         "schedule[0].rrule: 'FREQ=MONTHLY;BYDAY' is not a valid RRULE: 'BYDAY' is not NAME=VALUE"),
        ({"schedule": [{"rrule": "FREQ=MONTHLY;BYDAY=1WE;BYHOUR=17", "time": "17-20"}]},
         "schedule[0].rrule: 'FREQ=MONTHLY;BYDAY=1WE;BYHOUR=17' is not a valid RRULE: BYHOUR is not allowed: the time comes from `time`"),
        ({"schedule": [{"rrule": "DTSTART:20260107T170000 RRULE:FREQ=MONTHLY;BYDAY=1WE", "time": "17-20"}]},
         "schedule[0].rrule: 'DTSTART:20260107T170000 RRULE:FREQ=MONTHLY;BYDAY=1WE' is not a valid RRULE: "
         "leave DTSTART out: the rule starts on `from` at `time`"),
        ({"schedule": [{"rrule": "FREQ=MONTHLY;BYDAY=1WE;UNTIL=20261231T230000Z", "time": "17-20"}]},
         "schedule[0].rrule: 'FREQ=MONTHLY;BYDAY=1WE;UNTIL=20261231T230000Z' is not a valid RRULE: "
         "UNTIL must be a date like 20261231 (or use `until`)"),
        ({"schedule": [{"rrule": "FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2,4", "time": "17-20"}]},
         "schedule[0].rrule: 'FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2,4' is not a valid RRULE: it never happens"),
        ({"schedule": [{"rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", "time": "17-20"}]},
         "schedule[0]: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=TH' needs `from`: INTERVAL=2 counts from `from`"),
        ({"schedule": [{"rrule": "FREQ=MONTHLY;BYDAY=1WE;UNTIL=20260101", "from": "2026-03-01", "time": "17-20"}]},
         "schedule[0]: from (2026-03-01) is after until (2026-01-01)"),
        ({"schedule": [{"rrule": "FREQ=MONTHLY;BYDAY=1WE", "days": "onsdag", "time": "17-20"}]},
         "schedule[0].days: Extra inputs are not permitted"),
        ({"cancelled": [{"date": "2026-12-24", "why": "jul"}]},
         "cancelled[0].why: Extra inputs are not permitted"),
        ({"extra": [{"date": "2026-12-19"}]},
         "extra[0].time: Field required"),
    ],
)
def test_validation_errors(data, message):
    with pytest.raises(ValidationError) as caught:
        Schedule.model_validate(data)
    assert message in error_lines(caught.value)


def test_validation_error_locations_and_types():
    with pytest.raises(ValidationError) as caught:
        load("""
            schedule:
              - {days: torsdagg, time: "25:00-20:00"}
        """)
    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [
        (("schedule", 0, "weekly", "days"), "weekday"),
        (("schedule", 0, "weekly", "time"), "time_range"),
    ]


def test_occurrences_takes_dates_in_order():
    schedule = load("{}")
    with pytest.raises(TypeError):
        schedule.occurrences(dt.datetime(2026, 1, 1), D("2026-01-31"), ZONE)
    with pytest.raises(ValueError):
        schedule.occurrences(D("2026-02-01"), D("2026-01-31"), ZONE)
    assert schedule.occurrences(D("2026-01-01"), D("2026-01-01"), "Europe/Copenhagen") == []


# --- the model ---------------------------------------------------------------------------

FULL_EXAMPLE = """
schedule:
  - days: torsdag
    weeks: even
    time: "17:00-20:00"
    note: Musikaften
  - days: [tirsdag]
    time: "16:30-19:00"
    from: 2026-01-12
    until: 2026-06-05
  - rrule: FREQ=MONTHLY;BYDAY=1WE
    time: "17:00-19:00"
cancelled:
  - 2026-12-24
  - date: 2026-12-31
    reason: Nytårsaften
extra:
  - date: 2026-12-19
    time: "14:00-17:00"
    note: Julehygge
"""


def test_round_trip_through_yaml():
    schedule = load(FULL_EXAMPLE)
    dumped = yaml.safe_dump(schedule.model_dump(mode="json", exclude_none=True), allow_unicode=True, sort_keys=False)
    assert "from: '2026-01-12'" in dumped and "- '2026-12-24'" in dumped and "time: 17:00-20:00" in dumped
    assert load(dumped) == schedule


def test_another_model_can_embed_it():
    class Community(Schedule):
        name: str

    community = Community.model_validate(yaml.safe_load("name: Musikaften\n" + FULL_EXAMPLE))
    assert community.name == "Musikaften"
    # 24 Dec (week 52) is cancelled
    assert [o.local_date for o in community.occurrences(D("2026-12-01"), D("2026-12-31"), ZONE)] == [
        D("2026-12-02"), D("2026-12-10"), D("2026-12-19")]
    with pytest.raises(ValidationError):
        Community.model_validate({"name": "x", "unknown": 1})


def test_python_construction_by_field_name():
    rule = WeeklyRule(days="torsdag", time="17-20", from_=D("2026-01-01"), weeks="lige")
    assert (rule.from_, rule.weeks) == (D("2026-01-01"), "even")
    assert rule.model_dump()["from"] == D("2026-01-01")


def test_json_schema_describes_every_field():
    schema = Schedule.model_json_schema()
    definitions = schema["$defs"]
    assert set(definitions) >= {"WeeklyRule", "RRuleRule", "TimeRange", "Cancellation", "ExtraEvent"}
    objects = [schema, *(d for d in definitions.values() if "properties" in d)]
    objects += [option for d in definitions.values() for option in d.get("anyOf", []) if "properties" in option]
    for obj in objects:
        for name, prop in obj["properties"].items():
            assert prop.get("description"), name
    assert "from" in definitions["WeeklyRule"]["properties"]
    assert definitions["WeeklyRule"]["additionalProperties"] is False
    assert definitions["TimeRange"]["type"] == "string"
    assert "torsdag" in definitions["WeeklyRule"]["properties"]["days"]["anyOf"][0]["enum"]
    assert {"type": "string", "format": "date"}.items() <= definitions["Cancellation"]["anyOf"][0].items()


# --- describe() ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "danish", "english"),
    [
        ("""schedule: [{days: torsdag, weeks: even, time: "17:00-20:00"}]""",
         "torsdage i lige uger kl. 17:00-20:00", "Thursdays in even weeks 17:00-20:00"),
        ("""schedule: [{days: [man, tor], time: "16-21"}]""",
         "mandage og torsdage kl. 16:00-21:00", "Mondays and Thursdays 16:00-21:00"),
        ("""schedule: [{days: tirsdag, time: "16:30-19:00", from: 2026-01-12, until: 2026-06-05}]""",
         "tirsdage kl. 16:30-19:00 fra 12.01.2026 til 05.06.2026",
         "Tuesdays 16:30-19:00 from 2026-01-12 until 2026-06-05"),
        ("""schedule: [{rrule: "FREQ=MONTHLY;BYDAY=1WE", time: "17-19"}]""",
         "første onsdag i måneden kl. 17:00-19:00", "the first Wednesday of the month 17:00-19:00"),
        ("""schedule: [{rrule: "FREQ=MONTHLY;BYDAY=-1FR", time: "18-22"}]""",
         "sidste fredag i måneden kl. 18:00-22:00", "the last Friday of the month 18:00-22:00"),
        ("""schedule: [{rrule: "FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=23", time: "20-23"}]""",
         "efter reglen FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=23 kl. 20:00-23:00",
         "by the rule FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=23 20:00-23:00"),
        ("""{cancelled: [2026-12-24, {date: 2026-12-31, reason: Nytår}], extra: [{date: 2026-12-19, time: "14-17"}]}""",
         "ingen faste tider; aflyst 24.12.2026, 31.12.2026 (Nytår); ekstra 19.12.2026 kl. 14:00-17:00",
         "no regular times; cancelled 2026-12-24, 2026-12-31 (Nytår); extra 2026-12-19 14:00-17:00"),
    ],
)
def test_describe(text, danish, english):
    schedule = load(text)
    assert schedule.describe() == danish
    assert schedule.describe("en") == english


def test_describe_other_language():
    with pytest.raises(ValueError):
        load("{}").describe("de")
