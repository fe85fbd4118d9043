"""Today, the youth worker's day in the console: every member's message as it will be sent, a
personal line and the day's announcement saved as they are typed, a skip, replies as they arrive,
who came; any coming day prepared ahead; another community's rows refused."""
from __future__ import annotations

import re

from sqlalchemy import select

from bot.core import clock
from bot.domain.attendance.attendance import record_reply
from bot.domain.staff import accounts
from bot.storage.models import Attendance, Contact, Member, Reminder, StaffAudit

from helpers import drain
from support.console import PASSWORD, csrf_of, sign_in
from support.staff_api import FREJA, OLIVER, join, local

TEXT = "Hej {name}! Caféen har åbent i dag kl. 16:00. Kommer du?"
HTMX = {"HX-Request": "true"}


def reminders_of(cafe) -> dict[str, Reminder]:
    with cafe.db.session() as db:
        rows = db.execute(select(Reminder, Contact.name).join(Member, Member.id == Reminder.member_id).join(Contact, Contact.id == Member.contact_id))
        return {name: reminder for reminder, name in rows}


def contact_of(cafe, member_id: int) -> int:
    with cafe.db.session() as db:
        return db.get_one(Member, member_id).contact_id


def today(browser, day: str | None = None) -> str:
    page = browser.get("/console/today" + (f"?date={day}" if day else ""))
    assert page.status_code == 200, page.get_data(as_text=True)
    return page.get_data(as_text=True)


def test_staff_start_their_day_on_today_with_each_message_as_it_will_be_sent(console, cafe):
    join(cafe, FREJA, "Freja")
    join(cafe, OLIVER, "Oliver")
    browser = sign_in(console, "staff")
    assert browser.get("/console/").location.endswith("/console/today"), "the start page for staff"
    html = today(browser)
    assert "Torsdag 26. november" in html and "Testcaféen · 16:00–21:00" in html
    assert TEXT.format(name="Freja") in html and TEXT.format(name="Oliver") in html
    assert "Sendes kl. 10:00" in html and "1 sms (56 tegn)" in html
    assert "I morgen" in html and "Næste gang: torsdag 3. december" in html
    assert "0 kommer · 0 senere · 0 kommer ikke · 0 måske · 0 ikke svaret · 0 kom" in html


def test_a_personal_line_is_saved_as_it_is_typed_and_the_preview_follows(console, cafe, twilio):
    join(cafe, FREJA, "Freja")
    browser = sign_in(console, "staff")
    token = csrf_of(today(browser))
    freja = reminders_of(cafe)["Freja"]
    saved = browser.post(f"/console/reminders/{freja.id}/personal-line", data={"text": "Vi har nye højttalere! /Ali", "csrf_token": token}, headers=HTMX)
    assert saved.status_code == 200 and f'id="preview-{freja.id}"' in saved.get_data(as_text=True)
    assert f"{TEXT.format(name='Freja')}\nVi har nye højttalere! /Ali" in saved.get_data(as_text=True)
    plain = browser.post(f"/console/reminders/{freja.id}/personal-line", data={"text": "Vi ses! /Ali", "csrf_token": token})
    assert plain.status_code == 302 and plain.location.endswith(f"/console/today?date=2026-11-26#reminder-{freja.id}"), "works without JavaScript"
    clock.set_now(local(2026, 11, 26, 10, 0, 30))
    drain(cafe)
    assert twilio.sent_bodies_to(FREJA) == [f"{TEXT.format(name='Freja')}\nVi ses! /Ali"]
    too_late = browser.post(f"/console/reminders/{freja.id}/personal-line", data={"text": "for sent", "csrf_token": token}, headers=HTMX)
    assert too_late.status_code == 409 and "Beskeden er allerede sendt eller på vej" in too_late.get_data(as_text=True)
    with cafe.db.session() as db:
        actions = [(a.actor, a.action, a.detail) for a in db.scalars(select(StaffAudit).where(StaffAudit.action == "personal_line"))]
    assert actions == [("kirsten@kommune.dk", "personal_line", f"reminder {freja.id}")] * 2, "who, not what"


def test_the_days_announcement_reaches_every_preview(console, cafe):
    join(cafe, FREJA, "Freja")
    join(cafe, OLIVER, "Oliver")
    browser = sign_in(console, "staff")
    html = today(browser)
    event_id = re.search(r'id="event-(\d+)"', html).group(1)
    saved = browser.post(
        f"/console/events/{event_id}/announcement", data={"announcement": "I dag kommer Sara fra jobcentret", "csrf_token": csrf_of(html)}, headers=HTMX
    )
    answer = saved.get_data(as_text=True)
    assert saved.status_code == 200 and "Gemt. Alle beskeder herunder har den med." in answer
    assert answer.count('hx-swap-oob="true"') == 2 and f"{TEXT.format(name='Oliver')}\nI dag kommer Sara fra jobcentret" in answer
    assert "I dag kommer Sara fra jobcentret</textarea>" in today(browser)
    exposing = browser.post(f"/console/events/{event_id}/announcement", data={"announcement": "Queer-aften!", "csrf_token": csrf_of(html)}, headers=HTMX)
    assert "Pas på: &#34;queer&#34; kan ses på en låseskærm" in exposing.get_data(as_text=True), "a warning: staff may know better"
    long = browser.post(f"/console/events/{event_id}/announcement", data={"announcement": "x" * 301, "csrf_token": csrf_of(html)}, headers=HTMX)
    assert long.status_code == 422 and "For lang: højst 300 tegn." in long.get_data(as_text=True)


def test_skip_and_send_after_all(console, cafe, twilio):
    join(cafe, FREJA, "Freja")
    browser = sign_in(console, "staff")
    token = csrf_of(today(browser))
    freja = reminders_of(cafe)["Freja"]
    skipped = browser.post(f"/console/reminders/{freja.id}/skip", data={"csrf_token": token}, headers=HTMX)
    assert skipped.status_code == 200 and "Springes over" in skipped.get_data(as_text=True) and "Send alligevel" in skipped.get_data(as_text=True)
    assert reminders_of(cafe)["Freja"].skipped_by == "kirsten@kommune.dk"
    again = browser.post(f"/console/reminders/{freja.id}/unskip", data={"csrf_token": token}, headers=HTMX)
    assert again.status_code == 200 and reminders_of(cafe)["Freja"].status == "planned"


def test_replies_arrive_on_the_page_without_a_reload_and_staff_mark_who_came(console, cafe):
    join(cafe, FREJA, "Freja")
    join(cafe, OLIVER, "Oliver")
    browser = sign_in(console, "staff")
    token = csrf_of(today(browser))
    clock.set_now(local(2026, 11, 26, 10, 0, 30))
    drain(cafe)
    freja, oliver = reminders_of(cafe)["Freja"], reminders_of(cafe)["Oliver"]
    with cafe.db.session() as db:
        record_reply(db, contact_of(cafe, freja.member_id), freja.event_id, "late", clock.now())
    replies = browser.get("/console/today/replies?date=2026-11-26").get_data(as_text=True)
    assert f'<div class="reply-state" id="reply-{freja.id}" hx-swap-oob="true">' in replies
    assert f'<p class="when" id="status-{freja.id}" hx-swap-oob="true">Sendt kl. 10:00</p>' in replies, "sent, without a reload"
    assert "◷ Kommer senere" in replies and "… Ikke svaret" in replies
    assert "0 kommer · 1 senere · 0 kommer ikke · 0 måske · 1 ikke svaret · 0 kom" in replies
    assert "Markér at" in replies, "on the day itself"
    clock.set_now(local(2026, 11, 26, 16, 10))
    came = browser.post(f"/console/events/{oliver.event_id}/members/{oliver.member_id}/arrived", data={"arrived": "1", "csrf_token": token}, headers=HTMX)
    assert came.status_code == 200 and "✓ Kom" in came.get_data(as_text=True)
    with cafe.db.session() as db:
        row = db.scalars(select(Attendance).where(Attendance.member_id == oliver.member_id)).one()
        assert (row.presence, row.presence_set_by) == ("attended", "kirsten@kommune.dk")
    assert "1 kom" in browser.get("/console/today/replies?date=2026-11-26").get_data(as_text=True)


def test_a_day_weeks_ahead_is_planned_when_opened_and_too_far_says_so(console, cafe):
    join(cafe, FREJA, "Freja")
    browser = sign_in(console, "staff")
    html = today(browser, "2026-12-17")
    assert "Torsdag 17. december" in html and TEXT.format(name="Freja") in html and "personal-line" in html
    assert "mere end 92 dage fremme" in today(browser, "2027-03-04")
    assert browser.get("/console/today?date=ikke-en-dato").status_code == 404


def test_staff_of_another_community_cannot_touch_this_ones_day(console, cafe):
    join(cafe, FREJA, "Freja")
    sign_in(console, "staff").get("/console/today")
    freja = reminders_of(cafe)["Freja"]
    with cafe.db.session() as db:
        accounts.add_user(db, email="lars@kommune.dk", role="staff", communities=["andet"], password=PASSWORD, now=clock.now())
    other = sign_in(console, "staff", email="lars@kommune.dk")
    html = today(other)
    assert "Freja" not in html and "Ingen af dine fællesskaber mødes denne dag." in html
    token = csrf_of(html)
    for path in (
        f"/console/reminders/{freja.id}/personal-line", f"/console/reminders/{freja.id}/skip", f"/console/reminders/{freja.id}/unskip",
        f"/console/events/{freja.event_id}/announcement", f"/console/events/{freja.event_id}/members/{freja.member_id}/arrived",
    ):
        assert other.post(path, data={"csrf_token": token, "text": "x", "announcement": "x"}).status_code == 403, path
    assert reminders_of(cafe)["Freja"].personal_line is None
