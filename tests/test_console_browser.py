"""The console as a counsellor and a youth worker use it: Debian's Chromium, headless, at a phone's
width and a desktop's, against the real app on a real port and a real worker process, with the
young person's messages arriving as signed Twilio webhooks and the reply reaching the Twilio
stand-in. axe-core checks every page; the content security policy is enforced throughout.

Screenshots go to $CONSOLE_SCREENSHOTS when it is set (`make screenshots` sets docs/console/).
"""
from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pyotp
import pytest
import requests
from playwright.sync_api import Page, expect
from sqlalchemy import select
from test_concurrency import environment, start, stop

from bot.core import clock
from bot.domain.cases.identity import new_key_set
from bot.domain.staff import accounts
from bot.storage.models import Case, StaffNotification

from conftest import AUTH_TOKEN, FROM_NUMBER, SERVER_DATABASE
from support.browser import console_served
from support.signing import inbound_sms_params, twilio_signature

AXE = Path(__file__).parent / "support" / "axe" / "axe.min.js"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
PASSWORD = "korrekt hest batteri"
COUNSELLOR, STAFF = "sofie@kommune.dk", "kirsten@kommune.dk"
YOUNG_PERSON = "+4520119988"
QUESTION = "Jeg bliver slået derhjemme og tør ikke tage hjem i aften"
REPLY = "Tak fordi du skriver. Du skal ikke stå alene med det. Er du et sikkert sted lige nu?"
pytestmark = pytest.mark.parametrize("database_url", [SERVER_DATABASE], indirect=True)




@pytest.fixture
def service(runtime_factory, twilio):
    """The app on a port of its own, a worker process, and the accounts."""
    keys = {name.lower(): value for name, value in new_key_set().items()}
    with console_served(lambda url: runtime_factory(quiet_hours="off", public_base_url=url, **keys)) as (runtime, url):
        with runtime.db.session() as db:
            accounts.add_user(db, email=COUNSELLOR, role="counsellor", communities=[], password=PASSWORD, now=clock.now())
            accounts.add_user(db, email=STAFF, role="staff", communities=["torsdag"], password=PASSWORD, now=clock.now())
        worker = start(["worker"], {**environment(runtime), **{name.upper(): value for name, value in keys.items()}, "PUBLIC_BASE_URL": url})
        try:
            yield runtime, url
        finally:
            stop([worker])


def text_the_bot(url: str, body: str) -> None:
    params = inbound_sms_params(YOUNG_PERSON, FROM_NUMBER, body, message_sid="SM" + uuid.uuid4().hex)
    signature = twilio_signature(AUTH_TOKEN, f"{url}/webhooks/twilio/sms", params)
    answer = requests.post(f"{url}/webhooks/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}, timeout=10)
    assert answer.status_code == 200, answer.text


def wait_until(condition, what: str, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout} s")


def htmx_settled(page: Page) -> None:
    """Wait until htmx has settled what it swapped in: until then its new forms are not yet wired
    to htmx, and a click or an Enter quicker than any person (within htmx's 20 ms settle delay)
    would submit one the old way, as a whole page."""
    expect(page.locator(".htmx-added, .htmx-settling, .htmx-swapping, .htmx-request")).to_have_count(0)


def urgent_case_by_sms(runtime, url: str, twilio) -> str:
    """RÅD, yes it is urgent, and the question, each answered by the worker before the next."""
    for number, body in enumerate(("RÅD", "Ja", QUESTION), start=1):
        text_the_bot(url, body)
        if number < 3:
            wait_until(lambda n=number: len([m for m in twilio.messages if m["to"] == YOUNG_PERSON]) >= n, "the bot's answer")

    def stored():
        with runtime.db.session() as db:
            case = db.scalars(select(Case)).first()
            return case.alias if case is not None and case.urgent and any(m.body == QUESTION for m in case.messages) else None

    return wait_until(stored, "an urgent case with the question")


def no_accessibility_problems(page: Page) -> None:
    """axe-core's rules for WCAG 2.1 A and AA, on the page as it is now."""
    page.evaluate(AXE.read_text())
    found = page.evaluate("axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})")
    problems = [f"{v['id']}: {v['help']} ({len(v['nodes'])}×: {v['nodes'][0]['target']})" for v in found["violations"]]
    assert problems == [], f"{page.url}: {problems}"


def shot(page: Page, name: str) -> None:
    folder = os.environ.get("CONSOLE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        # caret="initial": Playwright hides the caret with an inline style, which the console's CSP refuses.
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True, caret="initial")


def new_page(browser, viewport: dict, policy_problems: list[str]) -> Page:
    context = browser.new_context(viewport=viewport, is_mobile=viewport is PHONE, has_touch=viewport is PHONE)
    context.set_default_timeout(15_000)
    context.on("console", lambda message: policy_problems.append(message.text) if "Content Security Policy" in message.text else None)
    return context.new_page()


def sign_in(page: Page, url: str, email: str) -> None:
    page.goto(f"{url}/console/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()


def test_a_counsellor_answers_an_urgent_sms_case_on_a_phone(browser, service, twilio):
    runtime, url = service
    alias = urgent_case_by_sms(runtime, url, twilio)
    policy_problems: list[str] = []
    page = new_page(browser, PHONE, policy_problems)

    page.goto(f"{url}/console/login")
    no_accessibility_problems(page)
    shot(page, "login-phone")
    sign_in(page, url, COUNSELLOR)
    expect(page.get_by_role("heading", name="Slå totrinsbekræftelse til")).to_be_visible()
    no_accessibility_problems(page)
    qr = page.locator("figure.qr svg").bounding_box()
    figure = page.locator("figure.qr").bounding_box()
    inside = qr["x"] >= figure["x"] and qr["x"] + qr["width"] <= figure["x"] + figure["width"] + 0.5
    assert inside and qr["width"] == qr["height"] >= 150, "the whole QR code, square, none of it cut off"
    shot(page, "enrol-phone")
    secret = page.locator("code.secret").inner_text()
    page.get_by_label("Skriv den 6-cifrede kode fra din godkendelsesapp.").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Bekræft").click()

    expect(page).to_have_title("(1) Indbakke · Ungebot")
    expect(page.get_by_text("Haster")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scrolling at 360 px"
    no_accessibility_problems(page)
    shot(page, "inbox-phone")

    page.get_by_role("link", name=alias).click()
    expect(page.get_by_text(QUESTION)).to_be_visible()
    expect(page.get_by_role("link", name="Livslinien 70 201 201")).to_be_visible()
    no_accessibility_problems(page)
    shot(page, "case-phone")

    page.get_by_label("Svar den unge").fill(REPLY)
    page.get_by_role("button", name="Send svar").click()
    wait_until(lambda: any(REPLY in m["body"] for m in twilio.messages if m["to"] == YOUNG_PERSON), "the reply at Twilio")
    expect(page.locator(".bubble.out .status")).to_have_text("sendt", timeout=15_000)

    page.get_by_role("textbox", name="Tilføj intern note").fill("Ring til kommunens vagt, hvis hun skriver igen i nat")
    page.get_by_role("button", name="Gem note").click()
    expect(page.get_by_text("Ring til kommunens vagt")).to_be_visible()

    page.get_by_label("Emne").select_option("feelings")
    page.get_by_label("Hvorfor (kort, uden personlige oplysninger)").fill("Henvist til vagten")
    page.get_by_role("button", name="Luk sagen").last.click()
    expect(page.get_by_text("Ingen åbne sager lige nu.")).to_be_visible()
    assert not any(REPLY in m["body"] and "Ring til" in m["body"] for m in twilio.messages), "the note was never sent"
    assert policy_problems == [], policy_problems


def test_the_same_pages_on_a_desktop(browser, service, twilio):
    runtime, url = service
    alias = urgent_case_by_sms(runtime, url, twilio)
    policy_problems: list[str] = []
    page = new_page(browser, DESKTOP, policy_problems)
    sign_in(page, url, COUNSELLOR)
    secret = page.locator("code.secret").inner_text()
    page.get_by_label("Skriv den 6-cifrede kode fra din godkendelsesapp.").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Bekræft").click()
    expect(page.get_by_role("link", name=alias)).to_be_visible()
    shot(page, "inbox-desktop")
    page.get_by_role("link", name=alias).click()
    expect(page.get_by_text(QUESTION)).to_be_visible()
    no_accessibility_problems(page)
    shot(page, "case-desktop")
    page.get_by_role("link", name="Statistik").click()
    no_accessibility_problems(page)
    shot(page, "stats-desktop")
    assert policy_problems == [], policy_problems


NOTES = (
    "Freja har ikke været i Torsdagscaféen 2 gange i træk uden at sige til (19. november, 26. november). Måske en god idé at række ud.",
    "Oliver skrev NUMMER og har nu også et mobilnummer, så påmindelser kan nå ham på sms.",
)


def test_a_youth_worker_sees_and_marks_notifications_but_is_refused_the_inbox_and_a_form_without_its_token(browser, service):
    runtime, url = service
    with runtime.db.session() as db:
        db.add_all(StaffNotification(contact_id=None, flow="torsdag", text=note, created_at=clock.now()) for note in NOTES)
    policy_problems: list[str] = []
    page = new_page(browser, PHONE, policy_problems)
    sign_in(page, url, STAFF)
    expect(page).to_have_url(f"{url}/console/today")  # where a youth worker's day starts
    page.goto(f"{url}/console/notifications")
    expect(page.get_by_role("heading", name="Beskeder til personalet")).to_be_visible()
    expect(page.locator(".top .badge")).to_have_text("2 nye")
    no_accessibility_problems(page)
    shot(page, "notifications-phone")
    page.get_by_role("button", name="Markér som set").first.click()
    expect(page.locator(".top .badge")).to_have_text("1 nye")
    expect(page.get_by_role("button", name="Markér som set")).to_have_count(1)
    refused = page.goto(f"{url}/console/inbox")
    assert refused.status == 403
    expect(page.get_by_role("heading", name="Det har du ikke adgang til.")).to_be_visible()
    forged = page.request.post(f"{url}/console/logout", form={"language": "da"})
    assert forged.status == 400, "a form without its CSRF token"
    assert policy_problems == [], policy_problems
