"""The communities and attendance pages as a youth worker uses them in Debian's Chromium, at a
phone's width and a desktop's: the café's schedule and next dates, a file with an error, the
attendance chart with its table, and marking who came (htmx, announced). axe-core checks every
page; the content security policy is enforced throughout.

Screenshots go to $CONSOLE_SCREENSHOTS when it is set (`make screenshots` sets docs/console/).
"""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from test_console_attendance import a_falling_cafe
from test_console_browser import DESKTOP, PHONE, new_page, no_accessibility_problems, shot, wait_until
from test_console_browser import sign_in as browser_sign_in

from bot.core import clock
from bot.domain.staff import accounts
from bot.web import create_app

from conftest import SERVER_DATABASE
from support.console import PASSWORD, PEOPLE
from support.local_server import LocalServer
from support.staff_api import CAFE

pytestmark = pytest.mark.parametrize("database_url", [SERVER_DATABASE], indirect=True)
STAFF = PEOPLE["staff"]
CHANGES = """  cancelled:
    - {date: 2026-11-19, reason: Personalemøde}
  extra:
    - {date: 2026-11-28, time: "13:00-16:00", note: Julehygge}
"""


@pytest.fixture
def site(cafe, cafe_flows_dir):
    """The café with six Thursdays of attendance behind it (falling), a cancelled evening and an
    extra one ahead, served on a port of its own."""
    a_falling_cafe(cafe)
    path = cafe_flows_dir / f"{CAFE}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  reminder:", CHANGES + "  reminder:"), encoding="utf-8")
    cafe.flows.check_every = 0
    with cafe.db.session() as db:
        accounts.add_user(db, email=STAFF, role="staff", communities=[CAFE], password=PASSWORD, now=clock.now())
    server = LocalServer(create_app(cafe), name="console-communities").start()
    try:
        yield cafe, server.url, path
    finally:
        server.stop()


def fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"{page.url}: no sideways scrolling"


def checked(page: Page, name: str) -> None:
    no_accessibility_problems(page)
    fits(page)
    shot(page, name)


def test_a_youth_worker_reads_the_schedule_and_marks_who_came_on_a_phone(browser, site):
    _, url, _ = site
    policy_problems: list[str] = []
    page = new_page(browser, PHONE, policy_problems)
    browser_sign_in(page, url, STAFF)
    page.goto(f"{url}/console/communities")
    expect(page.get_by_role("heading", name="Testcaféen")).to_be_visible()
    expect(page.get_by_text("Aktive medlemmer")).to_be_visible()
    checked(page, "communities-phone")

    page.get_by_role("link", name="Testcaféen").click()
    expect(page.get_by_role("heading", name="De næste 8 gange")).to_be_visible()
    expect(page.get_by_role("row", name="torsdag 19. november")).to_contain_text("Personalemøde")
    expect(page.get_by_role("row", name="lørdag 28. november")).to_contain_text("Julehygge")
    expect(page.locator("pre.communities-yaml")).to_contain_text("reason: Personalemøde")
    checked(page, "community-phone")

    page.get_by_role("link", name="Se fremmødet").click()
    expect(page.get_by_text("Faldende fremmøde:")).to_be_visible()
    chart = page.get_by_role("img", name="Linjediagram")
    expect(chart).to_be_visible()
    # The SVG is a request of its own (drawn by pygal on the first chart): it may come after the page.
    wait_until(lambda: chart.evaluate("image => image.complete && image.naturalWidth > 0"), "the chart's SVG loads under the page's policy")
    checked(page, "attendance-phone")

    page.get_by_role("link", name="Hvem kom? tors. 5. nov. 2026").click()
    expect(page.get_by_role("heading", name="Hvem kom torsdag 5. november 2026?")).to_be_visible()
    page.get_by_role("button", name="Kom ikke – Oliver").click()
    expect(page.get_by_role("status")).to_have_text("Gemt: Oliver – kom ikke.")
    expect(page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Oliver"))).to_contain_text(f"sat af {STAFF}")
    expect(page.get_by_role("button", name="Kom ikke – Oliver")).to_have_attribute("aria-pressed", "true")
    checked(page, "attendance-event-phone")
    assert policy_problems == [], policy_problems


def test_the_same_pages_on_a_desktop_with_a_file_that_has_an_error(browser, site):
    _, url, path = site
    policy_problems: list[str] = []
    page = new_page(browser, DESKTOP, policy_problems)
    browser_sign_in(page, url, STAFF)
    page.goto(f"{url}/console/communities/{CAFE}")
    expect(page.get_by_role("heading", name="Testcaféen")).to_be_visible()
    checked(page, "community-desktop")
    page.goto(f"{url}/console/communities/{CAFE}/attendance")
    expect(page.get_by_role("table").first).to_contain_text("Sagde ja")
    checked(page, "attendance-desktop")

    path.write_text(path.read_text(encoding="utf-8").replace("days: torsdag", "days: torsdagg"), encoding="utf-8")
    page.goto(f"{url}/console/communities")
    expect(page.get_by_role("heading", name="Filer med fejl")).to_be_visible()
    expect(page.get_by_text("torsdag.yaml:10: 'days': 'torsdagg' is not a weekday")).to_be_visible()
    expect(page.get_by_text("Ungebot bruger stadig den seneste udgave af filen, der virkede.")).to_be_visible()
    checked(page, "communities-error-desktop")
    assert policy_problems == [], policy_problems
