"""The bookings and check-ins pages in Debian's Chromium, at a phone's width and a desktop's, against
the real app on a real port: a youth worker books a free time for a young person, moves one and
cancels one (each written to the young person's outbox), and reads who answered the mood check-in,
who was alerted and why, and a young person's mood as a chart. axe-core checks every page; the
content security policy is enforced throughout.

The check-ins are answered by text through the real flows on three Sundays (as in
test_console_checkins.py); the pages' clock then stands on Sunday 13 December 2026 at 20:00.
Screenshots go to $CONSOLE_SCREENSHOTS when it is set (`make screenshots` sets docs/console/).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect
from test_console_bookings import GYM, book, live, local
from test_console_browser import DESKTOP, PHONE, new_page, no_accessibility_problems, shot, wait_until
from test_console_browser import sign_in as browser_sign_in
from test_console_checkins import BO, DANGER, EMIL, IDA, MOOD, NOAH, SARA, join, sunday, text, week

from bot.core import clock
from bot.domain.staff import accounts

from conftest import SERVER_DATABASE
from helpers import BOOKABLE_COMMUNITY_FILE, outbox
from support.browser import console_served
from support.console import PASSWORD

PROJECT = Path(__file__).resolve().parent.parent
STAFF = "kirsten@kommune.dk"
MAJA, OSKAR = "+4529700001", "+4529700002"
pytestmark = pytest.mark.parametrize("database_url", [SERVER_DATABASE], indirect=True)


@pytest.fixture
def served(runtime_factory, tmp_path, twilio):
    """The app on a port of its own with the gym and the Wednesday group's Søndagstjek, three
    Sundays of answers, two booked times, and a youth worker who works in both."""
    flows = tmp_path / "flows"
    flows.mkdir()
    for source in (PROJECT / "flows" / "onsdag.yaml", PROJECT / "tests" / "fixtures" / "communities" / "torsdag.yaml", PROJECT / "flows" / "raadgivning.yaml"):
        shutil.copy(source, flows)
    (flows / "humoer.yaml").write_text(MOOD, encoding="utf-8")
    (flows / f"{GYM}.yaml").write_text(BOOKABLE_COMMUNITY_FILE, encoding="utf-8")
    clock.set_now(sunday(0, 12))
    with console_served(lambda url: runtime_factory(flows_dir=flows, quiet_hours="off", public_base_url=url)) as (runtime, url):
        join(runtime, "onsdag", SARA, "Sara", contact_person_name="Bente", contact_person_phone="+4529888777", contact_person_consent=True)
        for phone, name in ((NOAH, "Noah"), (IDA, "Ida"), (EMIL, "Emil")):
            join(runtime, "onsdag", phone, name)
        join(runtime, "torsdag", BO, "Bo")
        week(runtime, 0, {SARA: ["4"], NOAH: ["2"]})
        clock.set_now(sunday(1, 10))
        text(runtime, IDA, "pause 2 uger")
        week(runtime, 1, {SARA: ["2"], NOAH: ["2"], EMIL: ["4"]})
        week(runtime, 2, {SARA: ["1", "det er min far igen"], NOAH: ["2"], EMIL: ["3", DANGER]})
        clock.set_now(sunday(2, 20))
        maja, oskar = join(runtime, GYM, MAJA, "Maja"), join(runtime, GYM, OSKAR, "Oskar")
        book(runtime, maja, local(2026, 12, 14, 15))
        book(runtime, oskar, local(2026, 12, 16, 17))
        with runtime.db.session() as db:
            accounts.add_user(db, email=STAFF, role="staff", communities=[GYM, "onsdag"], password=PASSWORD, now=clock.now())
        yield runtime, url, {"maja": maja, "oskar": oskar}


def fits_the_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def texts_to(runtime, phone: str) -> list[str]:
    return [message.body for message in outbox(runtime, to_address=phone)]


def test_a_youth_worker_books_moves_and_cancels_times_on_a_phone(browser, served):
    runtime, url, ids = served
    policy_problems: list[str] = []
    page = new_page(browser, PHONE, policy_problems)
    browser_sign_in(page, url, STAFF)
    page.get_by_role("link", name="Tider").click()
    expect(page.get_by_role("heading", name="Tider at booke")).to_be_visible()
    no_accessibility_problems(page)
    page.get_by_role("link", name="Se ugens tider for Træningsrummet").click()
    page.get_by_role("link", name="Næste uge").click()
    expect(page.get_by_role("heading", name="Træningsrummet: tider i uge 51")).to_be_visible()
    monday = page.locator(".booking-day", has=page.get_by_role("heading", name="mandag 14.12."))
    expect(monday.get_by_role("link", name="Maja")).to_be_visible()
    assert fits_the_width(page), "no sideways scrolling at 360 px"
    days = page.locator(".booking-day").evaluate_all("days => days.map(day => day.getBoundingClientRect().left)")
    assert len(set(days)) == 1, "on a phone the days are a list, one under the other"
    no_accessibility_problems(page)
    shot(page, "bookings-week-phone")

    page.get_by_role("link", name="Book mandag 14. dec. kl. 16:00-17:00").click()
    expect(page.get_by_role("heading", name="Book en tid")).to_be_visible()
    page.get_by_label("Hvem skal have tiden?").select_option(label="Oskar")
    no_accessibility_problems(page)
    shot(page, "booking-new-phone")
    page.get_by_role("button", name="Book tiden").click()
    expect(page.get_by_role("status")).to_have_text("Tiden er booket, og den unge får en sms om den.")
    expect(monday.get_by_role("link", name="Oskar")).to_be_visible()
    assert texts_to(runtime, OSKAR)[-1].startswith("Hej Oskar! Der er booket en tid til dig i træningen mandag 14. dec. kl. 16:00-17:00.")

    monday.get_by_role("link", name="Maja").click()
    expect(page.get_by_role("heading", name="Booket tid: Maja")).to_be_visible()
    assert fits_the_width(page)
    no_accessibility_problems(page)
    shot(page, "booking-phone")
    page.get_by_label("Ny tid").select_option(label="onsdag 16. dec. kl. 18:00-19:00")
    page.get_by_role("button", name="Flyt tiden").click()
    expect(page.get_by_role("status")).to_have_text("Tiden er flyttet, og den unge får en sms om den nye tid.")
    wednesday = page.locator(".booking-day", has=page.get_by_role("heading", name="onsdag 16.12."))
    expect(wednesday.get_by_role("link", name="Maja")).to_be_visible()
    assert texts_to(runtime, MAJA)[-1].startswith("Så er din tid til træningen flyttet til onsdag 16. dec. kl. 18:00-19:00.")

    wednesday.get_by_role("link", name="Oskar").click()
    page.get_by_role("button", name="Aflys tiden").click()
    expect(page.get_by_role("status")).to_have_text("Tiden er aflyst, og den unge får en sms om det.")
    expect(wednesday.get_by_role("link", name="Oskar")).to_have_count(0)
    assert texts_to(runtime, OSKAR)[-1] == "Hej Oskar! Din tid i træningen onsdag 16. dec. kl. 17:00-18:00 er aflyst. Skriv BOOK, hvis du vil have en ny."
    assert sorted(member for member, _ in live(runtime)) == sorted([ids["maja"], ids["oskar"]]), "Maja moved, one of Oskar's two cancelled"
    assert policy_problems == [], policy_problems


def test_who_answered_who_was_alerted_and_a_mood_chart_on_a_phone(browser, served):
    _, url, _ = served
    policy_problems: list[str] = []
    page = new_page(browser, PHONE, policy_problems)
    browser_sign_in(page, url, STAFF)
    page.get_by_role("link", name="Humør-tjek").click()
    expect(page.get_by_text("Seneste tjek søn. 13. dec.: 3 af 3 svarede.")).to_be_visible()
    no_accessibility_problems(page)
    shot(page, "checkins-phone")
    page.get_by_role("link", name="Se Søndagstjek for Queergruppen").click()
    expect(page.get_by_role("heading", name="Hvem blev advaret, og hvorfor")).to_be_visible()
    expect(page.get_by_text("kontaktpersonen Bente (sms)")).to_be_visible()
    expect(page.get_by_text("pause til søn. 20. dec.")).to_be_visible()
    assert fits_the_width(page), "wide tables scroll inside themselves, not the page"
    no_accessibility_problems(page)
    shot(page, "checkins-community-phone")
    page.get_by_role("link", name="Sara").first.click()
    chart = page.get_by_role("img", name="Graf over svarene fra Sara på humør-tjek. De samme tal står i tabellen under grafen.")
    expect(chart).to_be_visible()
    wait_until(lambda: chart.evaluate("image => image.complete && image.naturalWidth > 0"), "the chart drawn")
    expect(page.get_by_role("cell", name="ja: meget lavt svar (1)")).to_be_visible()
    assert fits_the_width(page)
    no_accessibility_problems(page)
    shot(page, "checkin-member-phone")
    assert policy_problems == [], policy_problems


def test_the_same_pages_on_a_desktop(browser, served):
    _, url, _ = served
    policy_problems: list[str] = []
    page = new_page(browser, DESKTOP, policy_problems)
    browser_sign_in(page, url, STAFF)
    page.goto(f"{url}/console/communities/{GYM}/bookings?week=2026-W51")
    tops = page.locator(".booking-day").evaluate_all("days => days.map(day => Math.round(day.getBoundingClientRect().top))")
    lefts = page.locator(".booking-day").evaluate_all("days => days.map(day => day.getBoundingClientRect().left)")
    assert len(set(tops)) == 1 and len(set(lefts)) == len(lefts) == 2, "on a desktop the days are columns side by side"
    no_accessibility_problems(page)
    shot(page, "bookings-week-desktop")
    page.goto(f"{url}/console/checkins/onsdag")
    no_accessibility_problems(page)
    shot(page, "checkins-community-desktop")
    page.get_by_role("link", name="Noah").first.click()
    chart = page.get_by_role("img", name="Graf over svarene fra Noah på humør-tjek. De samme tal står i tabellen under grafen.")
    wait_until(lambda: chart.evaluate("image => image.complete && image.naturalWidth > 0"), "the chart drawn")
    no_accessibility_problems(page)
    shot(page, "checkin-member-desktop")
    assert policy_problems == [], policy_problems
