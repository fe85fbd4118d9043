"""Today in real Chromium, with the real worker and the Twilio stand-in: a youth worker writes a
personal line for one member and the day's announcement, sees both in the previews, the day-of
message reaches Twilio with both, and the young person's "kommer lidt senere" appears on the page
without a reload. At 360 px and on a desktop, axe-core clean, no CSP violation."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from test_concurrency import environment, start, stop
from test_console_browser import DESKTOP, PHONE, YOUNG_PERSON, new_page, no_accessibility_problems, shot, text_the_bot, wait_until
from test_console_browser import sign_in as browser_sign_in

from bot.core import clock
from bot.domain.communities import members, reminders
from bot.domain.staff import accounts
from bot.storage.models import Reminder

from conftest import SERVER_DATABASE
from support.browser import console_served
from support.console import PASSWORD

pytestmark = pytest.mark.parametrize("database_url", [SERVER_DATABASE], indirect=True)
STAFF = "ali@kommune.dk"
CAFE = "cafe"
LINE = "Vi har fået nye brætspil, tag Mo med! /Ali"
ANNOUNCEMENT = "I dag kommer Sara fra jobcentret, vi laver lasagne."


@pytest.fixture
def day(runtime_factory, twilio):
    """The web app on a port of its own, a worker process, a youth worker, two members, and the
    café's next Thursday (prepared days ahead, as youth workers do)."""
    with console_served(lambda url: runtime_factory(quiet_hours="off", public_base_url=url), "today") as (runtime, url):
        now = clock.now()
        with runtime.db.session() as db:
            accounts.add_user(db, email=STAFF, role="staff", communities=[CAFE], password=PASSWORD, now=now)
            members.add_member(db, community=CAFE, phone=YOUNG_PERSON, name="Freja", source="api", now=now)
            members.add_member(db, community=CAFE, phone="+4520119977", name="Oliver", source="api", now=now)
        community = runtime.flows.current().communities[CAFE]
        today = now.astimezone(runtime.settings.zone).date()
        coming = community.occurrences(today, today + timedelta(days=8), runtime.settings.zone)
        thursday = next(occurrence for occurrence in coming if occurrence.starts_at > now + timedelta(hours=1))
        worker = start(["worker"], environment(runtime) | {"PUBLIC_BASE_URL": url})
        try:
            yield runtime, url, thursday
        finally:
            stop([worker])


def test_a_youth_worker_prepares_the_day_and_sees_the_reply_arrive(browser, day, twilio):
    runtime, url, thursday = day
    policy_problems: list[str] = []
    page = new_page(browser, PHONE, policy_problems)
    browser_sign_in(page, url, STAFF)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto(f"{url}/console/today?date={thursday.local_date.isoformat()}")
    expect(page.get_by_role("heading", name="Freja")).to_be_visible()
    no_accessibility_problems(page)

    page.get_by_label("Din personlige linje til Freja").press_sequentially(LINE, delay=5)
    freja = page.locator(".day-entry", has=page.get_by_role("heading", name="Freja"))
    expect(freja.locator(".message-text")).to_contain_text(LINE)
    expect(freja.locator(".preview")).to_contain_text("Gemt")
    page.get_by_label("Dagens besked til alle").fill(ANNOUNCEMENT)
    expect(page.get_by_text("Gemt. Alle beskeder herunder har den med.")).to_be_visible()
    oliver = page.locator(".day-entry", has=page.get_by_role("heading", name="Oliver"))
    expect(oliver.locator(".message-text")).to_contain_text(ANNOUNCEMENT)
    expect(freja.locator(".message-text")).to_contain_text(f"{ANNOUNCEMENT}\n{LINE}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scrolling at 360 px"
    no_accessibility_problems(page)
    shot(page, "today-phone")
    preview = freja.locator(".message-text").inner_text()

    # The scheduler's hand-over, at the reminders' time; the worker process sends them.
    reminders.queue_due(runtime, thursday.starts_at - timedelta(hours=1))
    sent = wait_until(lambda: [m["body"] for m in twilio.messages if m["to"] == YOUNG_PERSON], "the day-of message at Twilio")
    assert sent == [preview] and ANNOUNCEMENT in sent[0] and sent[0].endswith(LINE)
    olivers = wait_until(lambda: [m["body"] for m in twilio.messages if m["to"] == "+4520119977"], "Oliver's message at Twilio")
    assert ANNOUNCEMENT in olivers[0] and LINE not in olivers[0], "the announcement is everyone's, the line Freja's alone"

    text_the_bot(url, "kommer lidt senere")
    expect(freja.locator(".reply-state")).to_contain_text("Kommer senere", timeout=20_000)
    expect(page.locator(".day-summary").first).to_contain_text("1 senere")
    with runtime.db.session() as db:
        assert {r.status for r in db.scalars(select(Reminder))} == {"sent"}
    assert policy_problems == [], policy_problems

    desktop = new_page(browser, DESKTOP, policy_problems)
    browser_sign_in(desktop, url, STAFF)
    desktop.goto(f"{url}/console/today?date={thursday.local_date.isoformat()}")
    expect(desktop.get_by_text("◷ Kommer senere")).to_be_visible()
    no_accessibility_problems(desktop)
    shot(desktop, "today-desktop")
    assert policy_problems == [], policy_problems
