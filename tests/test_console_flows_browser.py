"""The flows page in Debian's Chromium, at a phone's width and a desktop's: a youth worker runs the
demo flow in the try-it chat by tapping its buttons (and, without JavaScript, by plain forms),
and runs the transcripts; axe-core checks the page, the content security policy is enforced, and
nothing reaches the database's young people or Twilio.

Screenshots go to $CONSOLE_SCREENSHOTS when it is set (`make screenshots`).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from test_console_browser import DESKTOP, PHONE, htmx_settled, new_page, no_accessibility_problems, shot, wait_until
from test_console_browser import sign_in as browser_sign_in
from test_console_flows import ANDET, FAILING, PASSING, traces

from bot.core import clock
from bot.domain.staff import accounts

from conftest import SERVER_DATABASE
from support.browser import console_served
from support.console import PASSWORD, PEOPLE

PROJECT = Path(__file__).resolve().parent.parent
CAFE = PROJECT / "tests" / "fixtures" / "communities" / "torsdag.yaml"
STAFF = PEOPLE["staff"]
pytestmark = pytest.mark.parametrize("database_url", [SERVER_DATABASE], indirect=True)


@pytest.fixture
def service(runtime_factory, tmp_path, twilio):
    """The app on a port of its own, with the demo flow, the café, another community and transcripts."""
    folder = tmp_path / "flows"
    (folder / "tests").mkdir(parents=True)
    shutil.copy(PROJECT / "flows" / "demo.yaml", folder)
    shutil.copy(PROJECT / "flows" / "raadgivning.yaml", folder)
    shutil.copy(CAFE, folder)
    (folder / "andet.yaml").write_text(ANDET, encoding="utf-8")
    (folder / "tests" / "demo.yaml").write_text(PASSING, encoding="utf-8")
    (folder / "tests" / "forkert.yaml").write_text(FAILING, encoding="utf-8")
    with console_served(lambda url: runtime_factory(flows_dir=folder, quiet_hours="off", public_base_url=url), "console-flows") as (runtime, url):
        with runtime.db.session() as db:
            accounts.add_user(db, email=STAFF, role="staff", communities=["torsdag"], password=PASSWORD, now=clock.now())
        yield runtime, url


def thread(page: Page):
    return page.locator(".try-thread")


def test_a_youth_worker_runs_the_demo_in_the_chat_on_a_phone_by_tapping_its_buttons(browser, service, twilio):
    runtime, url = service
    before = traces(runtime)
    policy_problems: list[str] = []
    page = new_page(browser, PHONE, policy_problems)
    browser_sign_in(page, url, STAFF)
    page.get_by_role("link", name="Flows", exact=True).click()
    expect(page.get_by_role("heading", name="Flows", exact=True)).to_be_visible()
    expect(page.get_by_text("3 filer · 0 fejl · 0 advarsler")).to_be_visible()
    expect(page.get_by_role("heading", name="andet.yaml")).to_have_count(0)
    no_accessibility_problems(page)
    shot(page, "flows-phone")

    page.get_by_role("button", name="Chat").click()
    expect(page.get_by_role("button", name="Chat")).to_have_attribute("aria-pressed", "true")
    page.get_by_label("Den unges besked").fill("DEMO")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(thread(page).get_by_text("Hej! Det her er en prøve. Hvad skal jeg kalde dig?")).to_be_visible()
    htmx_settled(page)
    page.get_by_label("Den unges besked").fill("Sara")
    page.keyboard.press("Enter")
    expect(thread(page).get_by_text("Tak, Sara. Hvordan går din dag?", exact=True)).to_be_visible()
    answers = page.get_by_role("group", name="Svar med et tryk")
    expect(answers.get_by_role("button")).to_have_text(["Godt", "Sådan midt imellem", "Skidt"])
    expect(answers.get_by_role("button", name="Godt")).to_be_focused()
    answers.get_by_role("button", name="Skidt").click()
    expect(thread(page).get_by_text("Øv, det er jeg ked af. Vil du have, at en voksen skriver til dig?")).to_be_visible()
    htmx_settled(page)
    page.get_by_label("Den unges besked").fill("ja")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(thread(page).get_by_text("Her ville personalet få en besked i konsollen")).to_be_visible()
    expect(thread(page).get_by_text("Jeg har givet en voksen besked. Du hører fra os.")).to_be_visible()
    expect(page.locator("#try-said")).to_contain_text("Jeg har givet en voksen besked.")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scrolling at 360 px"
    no_accessibility_problems(page)
    shot(page, "flows-try-phone")

    htmx_settled(page)
    page.get_by_role("button", name="Sms").click()
    expect(thread(page).get_by_text("1 Godt")).to_be_visible()
    expect(page.get_by_role("group", name="Svar med et tryk")).to_have_count(0)
    htmx_settled(page)
    page.get_by_role("button", name="Start forfra").click()
    expect(page.get_by_text("Ingen beskeder endnu.")).to_be_visible()
    assert traces(runtime) == before and twilio.messages == [], "no contact, no notification, nothing sent"
    assert policy_problems == [], policy_problems


def test_the_demo_by_sms_without_javascript(browser, service):
    _, url = service
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    browser_sign_in(page, url, STAFF)
    page.goto(f"{url}/console/flows")
    for text in ("DEMO", "Ali", "2"):
        page.get_by_label("Den unges besked").fill(text)
        page.get_by_role("button", name="Send", exact=True).click()
    expect(thread(page).get_by_text("Okay. Tak fordi du fortæller det.")).to_be_visible()
    expect(thread(page).get_by_text("Tak, Ali. Hvordan går din dag? 1 Godt 2 Sådan midt imellem 3 Skidt")).to_be_visible()
    assert page.url.endswith("/console/flows#try-you")
    context.close()


def test_the_transcripts_run_from_the_page_on_a_desktop(browser, service):
    runtime, url = service
    policy_problems: list[str] = []
    page = new_page(browser, DESKTOP, policy_problems)
    browser_sign_in(page, url, STAFF)
    page.goto(f"{url}/console/flows")
    expect(page.get_by_text("Samtaletestene er ikke kørt endnu.")).to_be_visible()
    page.get_by_role("button", name="Kør samtaletestene").click()
    expect(page.get_by_text("Samtaletestene kører")).to_be_visible()
    expect(page.get_by_text("1 bestået · 1 fejlet")).to_be_visible(timeout=90_000)
    expect(page.locator(".transcript-failure")).to_contain_text("forkert.yaml:4: the bot said:")
    page.get_by_text("Se de 1 beståede").click()
    expect(page.get_by_text("Demo, en god dag")).to_be_visible()
    page.get_by_label("Den unges besked").fill("DEMO")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(thread(page).get_by_text("Hvad skal jeg kalde dig?")).to_be_visible()
    page.get_by_label("Den unges besked").fill("Sara")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(thread(page).get_by_text("Tak, Sara. Hvordan går din dag? 1 Godt 2 Sådan midt imellem 3 Skidt")).to_be_visible()
    wait_until(lambda: not runtime.redis.exists(f"{runtime.queue_prefix}:console:flows-test:running"), "the run's end")
    no_accessibility_problems(page)
    shot(page, "flows-desktop")
    assert policy_problems == [], policy_problems
