"""The web chat as a young person uses it: Debian's Chromium, headless, at a phone's size, against
the real app on a real port and a real worker process; and the widget on another site.

CI installs Chromium (``apt-get install chromium``); without it these tests fail, they never skip.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from test_concurrency import environment, start, stop

from bot.api.auth import create_token
from bot.core import clock
from bot.domain.cases.identity import new_key_set
from bot.web import create_app

from conftest import SERVER_DATABASE
from support.local_server import LocalServer

PHONE = {"width": 375, "height": 667}
HELP_TEXT = "Hej! Jeg er Ungebot, en automatisk besked-service fra dit ungested."
GREETING = "Hej! Jeg er Ungebot, en chatbot – ikke et menneske."
ANSWER = "Det kan vi finde ud af sammen. Har du talt med din udlejer?"
# Several processes share the database in production: PostgreSQL, where the tests have it.
pytestmark = pytest.mark.parametrize("database_url", [SERVER_DATABASE], indirect=True)




def municipal_site(chat_origin: list[str]):
    """The municipality's own pages, under a strict policy of their own: the widget is one tag."""

    def app(environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/":
            body = (
                '<!doctype html><html lang="da"><head><meta charset="utf-8"><title>Ung i kommunen</title>'
                f'<script src="{chat_origin[0]}/chat/widget.js" defer></script></head>'
                "<body><h1>Ung i kommunen</h1><p>Her kan du få hjælp.</p></body></html>"
            )
        elif path == "/start":
            body = '<!doctype html><html lang="da"><head><meta charset="utf-8"><title>Start</title></head><body><h1>Start</h1></body></html>'
        elif path == "/vejret":
            body = '<!doctype html><html lang="da"><head><meta charset="utf-8"><title>Vejret</title></head><body><h1>Vejret i dag</h1></body></html>'
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        policy = f"default-src 'self'; script-src {chat_origin[0]}; frame-src {chat_origin[0]}"
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Security-Policy", policy)])
        return [body.encode()]

    return app


@pytest.fixture
def sites(runtime_factory):
    """The chat at 127.0.0.1 and the municipality at localhost: other origins, other sites."""
    chat_origin: list[str] = []
    chat_app: list = []
    site = LocalServer(municipal_site(chat_origin), name="municipal site", host="localhost").start()
    chat = LocalServer(lambda environ, start_response: chat_app[0](environ, start_response), name="chat").start()
    chat_origin.append(chat.url)
    keys = {name.lower(): value for name, value in new_key_set().items()}
    runtime = runtime_factory(quiet_hours="off", webchat_origins=site.url, webchat_exit_url=f"{site.url}/vejret", **keys)
    chat_app.append(create_app(runtime))
    env = {**environment(runtime), **{name.upper(): value for name, value in keys.items()}}
    worker = start(["worker"], env)
    try:
        yield runtime, chat.url, site.url
    finally:
        stop([worker])
        chat.stop()
        site.stop()


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def console(context):
    """What the pages say on the console: a policy violation would be there."""
    lines: list[str] = []
    context.on("console", lambda message: lines.append(f"{message.type}: {message.text}"))
    context.on("weberror", lambda error: lines.append(f"error: {error.error}"))
    yield lines
    violations = [line for line in lines if "Content Security Policy" in line or "Refused to" in line]
    assert violations == [], "the page broke its content security policy"


def write(page_or_frame, text: str) -> None:
    field = page_or_frame.get_by_label("Din besked")
    field.fill(text)
    field.press("Enter")
    expect(field).to_have_value("")


def log_of(page_or_frame):
    return page_or_frame.get_by_role("log")


def test_a_young_person_chats_asks_anonymously_gets_a_reply_and_leaves_at_once(sites, context, console):
    runtime, chat, site = sites
    page: Page = context.new_page()
    page.goto(f"{site}/start")
    page.goto(f"{chat}/chat")

    log = log_of(page)
    expect(log.get_by_role("listitem").first).to_contain_text(GREETING)
    expect(page.get_by_role("button", name="Forlad siden")).to_be_visible()
    expect(page.get_by_role("button", name="Spørg anonymt")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scrolling on a phone"

    write(page, "hjælp")
    expect(log).to_contain_text(HELP_TEXT, timeout=15_000)
    write(page, "demo")
    expect(log).to_contain_text("Hvad skal jeg kalde dig?")
    write(page, "Ida")
    expect(log.get_by_role("group", name="Svarmuligheder").get_by_role("button")).to_have_text(["Godt", "Sådan midt imellem", "Skidt"])
    page.get_by_role("button", name="Skidt").focus()
    page.keyboard.press("Enter")  # the keyboard works as well as a finger
    expect(log).to_contain_text("Vil du have, at en voksen skriver til dig?")
    expect(log.get_by_role("listitem").filter(has_text=re.compile(r"^Dig: Skidt$"))).to_have_count(1)
    expect(log.get_by_role("button")).to_have_count(0)  # answered: the choices are gone
    write(page, "nej")
    expect(log).to_contain_text("Helt okay. Du kan altid skrive HJÆLP.")

    page.get_by_role("button", name="Spørg anonymt").click()
    expect(log).to_contain_text("Du skriver nu anonymt med en rådgiver")
    page.get_by_role("button", name="Ja").click()
    expect(log).to_contain_text("Rådgiveren ved, at det haster.")
    write(page, "Jeg kan ikke betale min husleje")
    expect(log.get_by_role("listitem").last).to_contain_text("Jeg kan ikke betale min husleje")

    api = create_app(runtime).test_client()
    with runtime.db.session() as session:
        counsellor = {"Authorization": "Bearer " + create_token(session, name="sofie", role="counsellor", now=clock.now())}
    (case,) = api.get("/api/cases", headers=counsellor).json["cases"]
    assert api.post(f"/api/cases/{case['alias']}/reply", json={"text": ANSWER}, headers=counsellor).status_code == 201
    expect(log).to_contain_text(f"Rådgiver: {ANSWER}")  # live: the page is not reloaded

    page.reload()
    expect(log).to_contain_text(f"Rådgiver: {ANSWER}")  # the tab's session survives a reload

    page.get_by_role("button", name="Forlad siden").click()
    expect(page).to_have_url(f"{site}/vejret")
    page.go_back()
    expect(page).to_have_url(f"{site}/start")
    page.goto(f"{chat}/chat")
    expect(log.get_by_role("listitem")).to_have_count(1)  # the token is gone: only the greeting
    page.keyboard.press("Escape")
    expect(page).to_have_url(f"{site}/vejret")


def test_the_widget_opens_the_chat_on_the_municipal_site_and_escape_leaves_it(sites, context, console):
    _runtime, _chat, site = sites
    page: Page = context.new_page()
    page.goto(f"{site}/start")
    page.goto(site)
    page.get_by_role("button", name="Chat med Ungebot").click()
    frame = page.frame_locator("iframe[title='Chat med Ungebot']")
    expect(log_of(frame)).to_contain_text(GREETING)
    write(frame, "hjælp")
    expect(log_of(frame)).to_contain_text(HELP_TEXT, timeout=15_000)  # the worker answers; CI runs four test processes on two cores
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    frame.get_by_label("Din besked").press("Escape")
    expect(page).to_have_url(f"{site}/vejret")
    page.go_back()
    expect(page).to_have_url(f"{site}/start")
