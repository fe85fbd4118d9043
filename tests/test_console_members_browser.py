"""The members pages in Debian's Chromium, at a phone's width and a desktop's, against the real app
on a real port with a real worker process importing the spreadsheet: the progress bar fills by
htmx polling, the two bad lines are named, the live search narrows the list, and a member is
changed and removed. axe-core checks every page; the content security policy is enforced.

Screenshots go to $CONSOLE_SCREENSHOTS when it is set (`make screenshots` sets docs/console/).
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from test_concurrency import environment, start, stop
from test_console_browser import DESKTOP, PHONE, new_page, no_accessibility_problems, shot, wait_until
from test_console_browser import sign_in as browser_sign_in
from test_console_members import history_of

from bot.core import clock
from bot.domain.cases.identity import new_key_set
from bot.domain.communities import members
from bot.domain.staff import accounts
from bot.storage.models import Member

from conftest import SERVER_DATABASE
from support.browser import console_served
from support.console import PASSWORD
from support.staff_api import CAFE, FREJA, local

STAFF = "kirsten@kommune.dk"
pytestmark = pytest.mark.parametrize("database_url", [SERVER_DATABASE], indirect=True)


@pytest.fixture
def served(runtime_factory, cafe_flows_dir):
    """The app with the café on a port of its own, a worker process, and a youth worker's account;
    the pages' clock stands still on a Thursday, as the café's tests have it."""
    clock.set_now(local(2026, 11, 26, 8, 0))
    keys = {name.lower(): value for name, value in new_key_set().items()}
    with console_served(lambda url: runtime_factory(flows_dir=cafe_flows_dir, quiet_hours="off", public_base_url=url, **keys)) as (runtime, url):
        with runtime.db.session() as db:
            accounts.add_user(db, email=STAFF, role="staff", communities=[CAFE], password=PASSWORD, now=clock.now())
        worker = start(["worker"], {**environment(runtime), **{name.upper(): value for name, value in keys.items()}, "PUBLIC_BASE_URL": url})
        try:
            yield runtime, url
        finally:
            stop([worker])


def spreadsheet(tmp_path, rows: int = 1000):
    """Danish Excel's CSV: a byte order mark, semicolons; line 4 has no number, line 6 a time that is none."""
    lines = ["navn;telefon;sprog;påmindelse"]
    for line in range(2, rows + 2):
        phone = "" if line == 4 else f"+4531{line:06d}"
        lines.append(f"{'Alma Andersen' if line == 2 else f'Ung {line}'};{phone};da;{'25:00' if line == 6 else ''}")
    path = tmp_path / "medlemmer.csv"
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode())
    return path


def fits_the_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_youth_worker_imports_a_spreadsheet_finds_changes_and_removes_a_member_on_a_phone(browser, served, tmp_path):
    _, url = served
    policy_problems: list[str] = []
    page = new_page(browser, PHONE, policy_problems)
    browser_sign_in(page, url, STAFF)
    page.get_by_role("link", name="Medlemmer").click()
    expect(page.get_by_role("heading", name="Medlemmer af Testcaféen")).to_be_visible()
    expect(page.get_by_text("Ingen medlemmer endnu.")).to_be_visible()
    no_accessibility_problems(page)

    page.get_by_role("link", name="Importér fra regneark").click()
    no_accessibility_problems(page)
    shot(page, "members-import-phone")
    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url) if request.headers.get("hx-request") and "/members/import/" in request.url else None)
    page.get_by_label("CSV-fil").set_input_files(spreadsheet(tmp_path))
    page.get_by_role("button", name="Importér").click()
    bar = page.locator("progress#members-import-bar")
    expect(bar).to_have_attribute("max", "1000")
    expect(bar).to_have_attribute("value", "1000", timeout=60_000)
    expect(page.get_by_text("Færdig: 998 importeret, 2 sprunget over.")).to_be_visible()
    expect(page.get_by_text("linje 4, telefon: telefonnummeret mangler")).to_be_visible()
    expect(page.get_by_text("linje 6, påmindelse: skriv tiden som TT:MM, fx 17:30")).to_be_visible()
    assert polls, "the bar was filled by htmx asking again, not by reloading the page"
    assert fits_the_width(page), "no sideways scrolling at 360 px"
    no_accessibility_problems(page)
    shot(page, "members-import-done-phone")

    page.get_by_role("link", name="Tilbage til medlemmerne").first.click()
    expect(page.get_by_text("998 medlemmer, 998 aktive")).to_be_visible()
    assert fits_the_width(page)
    no_accessibility_problems(page)
    list_url = page.url
    search = page.get_by_label("Søg på navn eller de sidste cifre i telefonnummeret")
    search.press_sequentially("ung 29", delay=30)
    expect(page.get_by_text("11 fundet")).to_be_visible()
    no_accessibility_problems(page)
    shot(page, "members-phone")
    search.fill("")
    search.press_sequentially("alma", delay=30)
    expect(page.get_by_text("1 fundet")).to_be_visible()
    expect(page.locator(".members-table tbody tr")).to_have_count(1)
    assert page.url == list_url, "narrowed in place by htmx"

    page.get_by_role("link", name="Alma Andersen").click()
    expect(page.get_by_role("heading", name="Alma Andersen")).to_be_visible()
    no_accessibility_problems(page)
    page.get_by_role("link", name="Ret oplysninger").click()
    page.get_by_label("Navn", exact=True).fill("Alma A.")
    page.get_by_label("Kontaktpersonens navn").fill("Mette")
    page.get_by_label("Den unge har sagt ja til, at kontaktpersonen må få besked").check()
    no_accessibility_problems(page)
    shot(page, "member-edit-phone")
    page.get_by_role("button", name="Gem").click()
    expect(page.get_by_text("Gemt.")).to_be_visible()
    expect(page.get_by_role("heading", name="Alma A.")).to_be_visible()

    page.get_by_role("link", name="Slet medlem og data").click()
    expect(page.get_by_text("navn, telefonnummer og 0 beskeder til og fra den unge")).to_be_visible()
    no_accessibility_problems(page)
    shot(page, "member-remove-phone")
    page.get_by_role("button", name="Ja, slet det hele").click()
    expect(page.get_by_text("Medlemmet og deres data er slettet.")).to_be_visible()
    expect(page.get_by_text("997 medlemmer, 997 aktive")).to_be_visible()

    page.get_by_role("link", name="Tilføj medlem").click()
    page.get_by_label("Telefonnummer", exact=True).fill("12")
    page.get_by_label("Den unge har sagt ja til at være med og få beskeder").check()
    page.get_by_role("button", name="Tilføj").click()
    expect(page.get_by_role("alert")).to_contain_text("Det er ikke et telefonnummer")
    assert fits_the_width(page)
    no_accessibility_problems(page)
    shot(page, "member-add-error-phone")
    assert policy_problems == [], policy_problems


def test_a_members_history_and_mood_chart_on_a_desktop(browser, served):
    runtime, url = served
    with runtime.db.session() as db:
        member_id = members.add_member(db, community=CAFE, phone=FREJA, name="Freja", source="api", now=clock.now()).id
    history_of(runtime, member_id)
    policy_problems: list[str] = []
    for viewport, name in ((DESKTOP, "member-desktop"), (PHONE, "member-phone")):
        page = new_page(browser, viewport, policy_problems)
        browser_sign_in(page, url, STAFF)
        page.goto(f"{url}/console/members/{member_id}")
        expect(page.get_by_role("heading", name="Fremmøde og svar")).to_be_visible()
        expect(page.get_by_role("heading", name="Samtale")).to_be_visible()
        expect(page.get_by_role("link", name="Vedhæftet (billede)")).to_be_visible()
        chart = page.get_by_role("img", name="Kurve over den unges svar fra 1 til 5; de samme tal står i tabellen.")
        expect(chart).to_be_visible()
        wait_until(lambda chart=chart: chart.evaluate("image => image.complete && image.naturalWidth > 0"), "the chart drawn")
        assert fits_the_width(page)
        no_accessibility_problems(page)
        shot(page, name)
    with runtime.db.session() as db:
        assert db.scalars(select(Member.id)).all() == [member_id]
    assert policy_problems == [], policy_problems
