"""The console's bookings page: the week of a community's bookable times as a calendar, booked (by
whom) or free; booking, cancelling and moving a time for a young person, who is told by text as
when the staff API does it; a time someone else just took is refused with a message; staff of
another community are refused (403) its times, its bookings and its members.

The gym is tests/helpers.py's BOOKABLE_COMMUNITY_FILE (Mondays and Wednesdays 15-20, an hour each,
two at a time); the clock stands on Sunday 29 November 2026 at noon.
"""
from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.core import clock
from bot.domain.bookings import bookings
from bot.domain.communities import members
from bot.domain.staff import accounts
from bot.storage.models import Booking, Member, StaffAudit
from bot.web import create_app

from helpers import BOOKABLE_COMMUNITY_FILE, outbox
from support.console import PASSWORD, PEOPLE, csrf_of, sign_in

CPH = ZoneInfo("Europe/Copenhagen")
SUNDAY_NOON = datetime(2026, 11, 29, 12, 0, tzinfo=CPH)
GYM, BOXING = "gym", "boksning"
OTHER_STAFF = "lars@kommune.dk"
FIXTURES = Path(__file__).parent / "fixtures" / "communities"
# A second community with bookable times, whose staff must not reach the gym's.
BOXING_FILE = (
    BOOKABLE_COMMUNITY_FILE.replace("Træningsrummet", "Bokseklubben").replace("træningen", "boksningen").replace("keyword: GYM", "keyword: BOKS")
    + "  cancelled:\n    - 2026-12-02\n"
)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=CPH)


MONDAY_3PM, MONDAY_4PM, MONDAY_5PM = local(2026, 11, 30, 15), local(2026, 11, 30, 16), local(2026, 11, 30, 17)


@pytest.fixture
def gym(runtime_factory, tmp_path):
    flows = tmp_path / "flows"
    flows.mkdir()
    shutil.copy(FIXTURES / "torsdag.yaml", flows / "torsdag.yaml")
    (flows / f"{GYM}.yaml").write_text(BOOKABLE_COMMUNITY_FILE, encoding="utf-8")
    (flows / f"{BOXING}.yaml").write_text(BOXING_FILE, encoding="utf-8")
    clock.set_now(SUNDAY_NOON)
    runtime = runtime_factory(flows_dir=flows)
    assert set(runtime.flows.current().communities) == {"torsdag", GYM, BOXING}, runtime.flows.last_result.problems
    return runtime


@pytest.fixture
def app(gym):
    app = create_app(gym)
    with gym.db.session() as db:
        accounts.add_user(db, email=PEOPLE["staff"], role="staff", communities=[GYM, "torsdag"], password=PASSWORD, now=clock.now())
        accounts.add_user(db, email=PEOPLE["admin"], role="admin", communities=[], password=PASSWORD, now=clock.now())
        accounts.add_user(db, email=OTHER_STAFF, role="staff", communities=[BOXING], password=PASSWORD, now=clock.now())
    return app


def join(runtime, phone: str, name: str, community: str = GYM) -> int:
    with runtime.db.session() as db:
        member = members.add_member(db, community=community, phone=phone, name=name, source="api", now=clock.now())
        db.flush()
        return member.id


def book(runtime, member_id: int, starts_at: datetime, by: str = "sms") -> int:
    with runtime.db.session() as db:
        member = db.get(Member, member_id)
        community = runtime.flows.current().communities[member.community]
        return bookings.book(runtime, db, member.community, community, member, starts_at, clock.now(), by).id


def live(runtime) -> list[tuple[int, datetime]]:
    with runtime.db.session() as db:
        rows = db.execute(select(Booking.member_id, Booking.starts_at).where(Booking.status == "booked").order_by(Booking.starts_at, Booking.id))
        return [(member_id, starts_at.astimezone(CPH)) for member_id, starts_at in rows]


def texts_to(runtime, phone: str) -> list[str]:
    return [message.body for message in outbox(runtime, to_address=phone)]


def audit_of(runtime) -> list[tuple[str, str, str | None]]:
    with runtime.db.session() as db:
        rows = db.scalars(select(StaffAudit).where(StaffAudit.action.startswith("booking")).order_by(StaffAudit.id))
        return [(row.actor, row.action, row.detail) for row in rows]


def page_of(answer) -> str:
    return answer.get_data(as_text=True)


def test_the_week_as_a_calendar_with_who_booked_and_what_is_free(app, gym):
    sara, noah = join(gym, "+4529600001", "Sara"), join(gym, "+4529600002", "Noah")
    join(gym, "+4529600009", "Bo", community=BOXING)
    booking = book(gym, sara, MONDAY_3PM)
    book(gym, noah, MONDAY_3PM)
    book(gym, sara, local(2026, 12, 2, 19))
    browser = sign_in(app, "staff")

    listing = page_of(browser.get("/console/bookings"))
    assert "Træningsrummet" in listing and "Bokseklubben" not in listing, "only the viewer's own communities"
    assert "De næste 14 dage: 3 af 40 pladser er booket." in listing and "Næste ledige tid: mandag 30. nov. kl. 16:00-17:00" in listing

    week = browser.get("/console/communities/gym/bookings?week=2026-W49")
    html = page_of(week)
    assert week.status_code == 200 and "Træningsrummet: tider i uge 49" in html
    assert "mandag 30.11." in html and "onsdag 2.12." in html and "tirsdag" not in html, "the days with times, as columns"
    assert html.count('class="seat booked"') == 3 and f'/console/bookings/{booking}"' in html
    assert "Sara" in html and "Noah" in html and "Bo<" not in html
    assert "15:00–16:00" in html and "Optaget" in html, "both seats of 15:00 are taken"
    assert html.count('class="booking-book"') == 9, "each free time of the week can be booked"
    assert 'aria-label="Book mandag 30. nov. kl. 16:00-17:00"' in html
    assert 'href="/console/communities/gym/bookings?week=2026-W48"' in html and 'href="/console/communities/gym/bookings?week=2026-W50"' in html
    earlier = page_of(browser.get("/console/communities/gym/bookings?week=2026-W48"))
    assert "Tiden er forbi" in earlier and 'class="booking-book"' not in earlier, "last week's times are over"
    assert "Kan ikke bookes endnu" in page_of(browser.get("/console/communities/gym/bookings?week=2026-W51")), "beyond the two weeks ahead"
    assert browser.get("/console/communities/gym/bookings?week=2026-W99").status_code == 404
    assert browser.get("/console/communities/torsdag/bookings").status_code == 404, "a community without bookable times"
    browser.post("/console/language", data={"language": "en", "csrf_token": csrf_of(listing)})
    english = page_of(browser.get("/console/communities/gym/bookings?week=2026-W49"))
    assert "Monday 30 Nov" in english and "Previous week" in english and "Book Monday 30 Nov 16:00-17:00" in english


def test_staff_book_a_free_time_for_a_young_person_who_is_told_as_through_the_api(app, gym):
    join(gym, "+4529600001", "Sara")
    noah = join(gym, "+4529600002", "Noah")
    gone = join(gym, "+4529600003", "Gone")
    with gym.db.session() as db:
        members.leave(db, db.get(Member, gone), clock.now())
    browser = sign_in(app, "staff")
    form = browser.get("/console/communities/gym/bookings/new", query_string={"starts_at": MONDAY_4PM.isoformat()})
    html = page_of(form)
    assert form.status_code == 200 and "mandag 30. nov. kl. 16:00-17:00" in html
    assert ">Noah<" in html and ">Sara<" in html and "Gone" not in html, "the community's active members to choose from"
    done = browser.post(
        "/console/communities/gym/bookings", data={"csrf_token": csrf_of(html), "starts_at": MONDAY_4PM.isoformat(), "member_id": str(noah)}
    )
    assert done.status_code == 302 and done.location.endswith("/console/communities/gym/bookings?week=2026-W49&done=booked")
    assert "Tiden er booket, og den unge får en sms om den." in page_of(browser.get(done.location))
    assert live(gym) == [(noah, MONDAY_4PM)]
    assert texts_to(gym, "+4529600002") == [
        "Hej Noah! Der er booket en tid til dig i træningen mandag 30. nov. kl. 16:00-17:00. Skriv AFLYS, hvis du ikke kan, eller FLYT for at skifte tid."
    ]
    with gym.db.session() as db:
        assert db.scalars(select(Booking.booked_by)).one() == PEOPLE["staff"]
    ((actor, action, detail),) = audit_of(gym)
    assert (actor, action) == (PEOPLE["staff"], "booking_book") and "Noah" not in detail and "+45" not in detail
    again = browser.post(
        "/console/communities/gym/bookings", data={"csrf_token": csrf_of(html), "starts_at": MONDAY_4PM.isoformat(), "member_id": str(noah)}
    )
    assert again.status_code == 409 and "Noah har allerede den tid." in page_of(again)
    assert len(texts_to(gym, "+4529600002")) == 1, "nothing is sent twice"
    nobody = browser.post("/console/communities/gym/bookings", data={"csrf_token": csrf_of(html), "starts_at": MONDAY_4PM.isoformat()})
    assert nobody.status_code == 422 and "Vælg den unge, der skal have tiden." in page_of(nobody)
    odd = browser.post(
        "/console/communities/gym/bookings", data={"csrf_token": csrf_of(html), "starts_at": local(2026, 11, 30, 16, 30).isoformat(), "member_id": str(noah)}
    )
    assert odd.status_code == 404, "no time starts then"


def test_a_time_someone_else_just_took_is_refused_with_a_clear_message(app, gym):
    sara, ida, noah = join(gym, "+4529600001", "Sara"), join(gym, "+4529600003", "Ida"), join(gym, "+4529600002", "Noah")
    browser = sign_in(app, "staff")
    form = page_of(browser.get("/console/communities/gym/bookings/new", query_string={"starts_at": MONDAY_3PM.isoformat()}))
    book(gym, sara, MONDAY_3PM)
    book(gym, ida, MONDAY_3PM)  # both seats go by text while the form is open
    late = browser.post("/console/communities/gym/bookings", data={"csrf_token": csrf_of(form), "starts_at": MONDAY_3PM.isoformat(), "member_id": str(noah)})
    assert late.status_code == 409
    assert "En anden har lige taget den tid, så den er ikke ledig længere. Vælg en anden tid." in page_of(late)
    assert texts_to(gym, "+4529600002") == [] and audit_of(gym) == []
    full = page_of(browser.get("/console/communities/gym/bookings/new", query_string={"starts_at": MONDAY_3PM.isoformat()}))
    assert "Alle pladser på den tid er optaget." in full and "Book tiden" not in full


def test_cancel_and_move_a_booking_and_the_young_person_is_told_each_time(app, gym):
    sara = join(gym, "+4529600001", "Sara")
    booking = book(gym, sara, MONDAY_3PM)
    browser = sign_in(app, "staff")
    page = browser.get(f"/console/bookings/{booking}")
    html = page_of(page)
    assert page.status_code == 200 and "Booket tid: Sara" in html and "den unge selv (sms)" in html
    moved = browser.post(f"/console/bookings/{booking}/move", data={"csrf_token": csrf_of(html), "starts_at": MONDAY_5PM.isoformat()})
    assert moved.status_code == 302 and moved.location.endswith("week=2026-W49&done=moved")
    assert live(gym) == [(sara, MONDAY_5PM)]
    assert texts_to(gym, "+4529600001")[-1] == (
        "Så er din tid til træningen flyttet til mandag 30. nov. kl. 17:00-18:00. Skriv AFLYS, hvis du ikke kan alligevel."
    )
    with gym.db.session() as db:
        new = db.scalars(select(Booking.id).where(Booking.status == "booked")).one()
    cancelled = browser.post(f"/console/bookings/{new}/cancel", data={"csrf_token": csrf_of(html)})
    assert cancelled.status_code == 302 and cancelled.location.endswith("done=cancelled")
    assert live(gym) == []
    assert texts_to(gym, "+4529600001")[-1] == "Hej Sara! Din tid i træningen mandag 30. nov. kl. 17:00-18:00 er aflyst. Skriv BOOK, hvis du vil have en ny."
    assert len(texts_to(gym, "+4529600001")) == 2
    again = browser.post(f"/console/bookings/{new}/cancel", data={"csrf_token": csrf_of(html)})
    assert again.status_code == 409 and "Tiden er allerede aflyst." in page_of(again) and len(texts_to(gym, "+4529600001")) == 2
    assert [action for _, action, _ in audit_of(gym)] == ["booking_move", "booking_cancel"]


def test_moving_to_a_time_just_taken_keeps_the_old_one_and_a_started_time_stays(app, gym):
    sara, ida, noah = join(gym, "+4529600001", "Sara"), join(gym, "+4529600003", "Ida"), join(gym, "+4529600002", "Noah")
    booking = book(gym, sara, MONDAY_3PM)
    browser = sign_in(app, "staff")
    form = page_of(browser.get(f"/console/bookings/{booking}"))
    book(gym, ida, MONDAY_4PM)
    book(gym, noah, MONDAY_4PM)
    taken = browser.post(f"/console/bookings/{booking}/move", data={"csrf_token": csrf_of(form), "starts_at": MONDAY_4PM.isoformat()})
    assert taken.status_code == 409
    assert "En anden har lige taget den nye tid. Den unge har stadig sin tid mandag 30. nov. kl. 15:00-16:00." in page_of(taken)
    assert (sara, MONDAY_3PM) in live(gym) and texts_to(gym, "+4529600001") == []
    clock.set_now(local(2026, 11, 30, 15, 20))
    browser = sign_in(app, "staff")  # a day later: the session from yesterday has ended
    started = browser.post(f"/console/bookings/{booking}/cancel", data={"csrf_token": csrf_of(browser.get("/console/bookings"))})
    assert started.status_code == 409 and "Tiden er gået i gang eller forbi." in page_of(started)
    assert "Aflys tiden" not in page_of(browser.get(f"/console/bookings/{booking}")), "nothing to cancel or move once it has started"
    assert (sara, MONDAY_3PM) in live(gym)


def test_staff_of_another_community_are_refused_its_times_bookings_and_members(app, gym):
    sara = join(gym, "+4529600001", "Sara")
    bo = join(gym, "+4529600009", "Bo", community=BOXING)
    booking = book(gym, sara, MONDAY_3PM)
    theirs = book(gym, bo, MONDAY_3PM)
    lars = sign_in(app, "staff", email=OTHER_STAFF)
    token = csrf_of(lars.get("/console/bookings"))
    assert "Bokseklubben" in page_of(lars.get("/console/bookings")) and "Træningsrummet" not in page_of(lars.get("/console/bookings"))
    assert lars.get("/console/communities/gym/bookings").status_code == 403
    assert lars.get("/console/communities/gym/bookings/new", query_string={"starts_at": MONDAY_4PM.isoformat()}).status_code == 403
    assert lars.get(f"/console/bookings/{booking}").status_code == 403
    assert lars.post(f"/console/bookings/{booking}/cancel", data={"csrf_token": token}).status_code == 403
    assert lars.post(f"/console/bookings/{booking}/move", data={"csrf_token": token, "starts_at": MONDAY_4PM.isoformat()}).status_code == 403
    for_sara = {"csrf_token": token, "starts_at": MONDAY_4PM.isoformat(), "member_id": str(sara)}
    assert lars.post("/console/communities/gym/bookings", data=for_sara).status_code == 403
    assert lars.post("/console/communities/boksning/bookings", data=for_sara).status_code == 403, "a member of another community, through one's own"
    kirsten = sign_in(app, "staff")
    token = csrf_of(kirsten.get("/console/bookings"))
    assert kirsten.get(f"/console/bookings/{theirs}").status_code == 403
    for_bo = {"csrf_token": token, "starts_at": MONDAY_4PM.isoformat(), "member_id": str(bo)}
    assert kirsten.post("/console/communities/gym/bookings", data=for_bo).status_code == 403
    assert kirsten.get("/console/bookings/2147483648").status_code == 404
    assert live(gym) == [(sara, MONDAY_3PM), (bo, MONDAY_3PM)] and audit_of(gym) == []
    admin = sign_in(app, "admin")
    assert admin.get(f"/console/bookings/{theirs}").status_code == 200
    assert "Bokseklubben" in page_of(admin.get("/console/bookings")) and "Træningsrummet" in page_of(admin.get("/console/bookings"))


def test_a_closed_day_says_so(app, gym):
    html = page_of(sign_in(app, "staff", email=OTHER_STAFF).get("/console/communities/boksning/bookings?week=2026-W49"))
    wednesday = html.split("onsdag 2.12.", 1)[1].split("</section>", 1)[0]
    assert "Lukket denne dag." in wednesday and "booking-time" not in wednesday
    assert html.count('class="booking-book"') == 5, "Monday's times only"
