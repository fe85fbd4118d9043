"""The console's test fixtures: a café with a staff user, a counsellor and an admin, and a
browser signed in as any of them (``sign_in``). conftest.py registers this module as a plugin."""
from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest

from bot.core import clock
from bot.domain.staff import accounts
from bot.web import create_app

PASSWORD = "korrekt hest batteri"
PEOPLE = {"staff": "kirsten@kommune.dk", "counsellor": "sofie@kommune.dk", "admin": "anne@kommune.dk"}


@pytest.fixture
def console(cafe):
    app = create_app(cafe)
    with cafe.db.session() as db:
        for role, email in PEOPLE.items():
            accounts.add_user(db, email=email, role=role, communities=["torsdag"] if role == "staff" else [], password=PASSWORD, now=clock.now())
    return app


def csrf_of(page) -> str:
    """The form's CSRF token, from a response or its HTML."""
    html = page if isinstance(page, str) else page.get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(app, role: str, *, email: str | None = None, secrets: dict | None = None):
    """A browser signed in as ``role`` (as PEOPLE's, or ``email``); counsellors and admins enrol
    their app the first time."""
    browser = app.test_client()
    email = email or PEOPLE[role]
    token = csrf_of(browser.get("/console/login"))
    answer = browser.post("/console/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    if role not in accounts.SECOND_FACTOR_ROLES:
        return browser
    secrets = secrets if secrets is not None else {}
    if answer.location.endswith("/console/2fa/enrol"):
        page = browser.get("/console/2fa/enrol")
        secrets[email] = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page.get_data(as_text=True)).group(1)
        done = browser.post("/console/2fa/enrol", data={"code": pyotp.TOTP(secrets[email]).at(clock.now()), "csrf_token": csrf_of(page)})
    else:
        page = browser.get("/console/2fa")
        step = pyotp.TOTP(secrets[email])
        done = browser.post("/console/2fa", data={"code": step.at(clock.now() + timedelta(seconds=30)), "csrf_token": csrf_of(page)})
    assert done.status_code == 302 and done.location.endswith("/console/"), done.get_data(as_text=True)
    return browser
