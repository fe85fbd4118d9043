"""Single sign-on to the console with the municipality's account (OpenID Connect), against a local
stand-in issuer: who gets in and in which role, when a counsellor still owes the app's code, and
that whatever goes wrong at the issuer is a page that says so, in the audit, never a 500.

The test client cannot reach the issuer, so each test walks the browser's redirects by hand: the
console's redirect to the issuer, the issuer's (``requests``) back to the callback."""
from __future__ import annotations

import json
import re
import socket
from urllib.parse import urlsplit

import pyotp
import pytest
import requests
from sqlalchemy import select

from bot.config import ConfigError
from bot.core import clock
from bot.domain.staff import accounts
from bot.storage.models import StaffAudit
from bot.web import create_app

from conftest import PUBLIC_BASE_URL
from support.local_server import LocalServer
from support.oidc_standin import OidcStandin, Person

CLIENT_ID = "ungebot-test"
CLIENT_SECRET = "test-client-secret-0123456789"
CALLBACK = f"{PUBLIC_BASE_URL}/console/login/sso/callback"
SIGN_IN_BUTTON = "Log ind med kommunens konto"
KIRSTEN = Person(sub="kirsten-sub", email="kirsten@kommune.dk", roles=("ungebot-staff",))
SOFIE = Person(sub="sofie-sub", email="sofie@kommune.dk", roles=("ungebot-counsellor",))


@pytest.fixture(scope="session")
def oidc_standin():
    with OidcStandin(CLIENT_ID, CLIENT_SECRET) as standin:
        yield standin


@pytest.fixture
def issuer(oidc_standin):
    """A municipality's issuer, as a local server that refuses what a real one would."""
    oidc_standin.reset()
    yield oidc_standin
    assert oidc_standin.violations == [], "requests an OpenID Connect issuer would refuse"


@pytest.fixture
def sso(runtime_factory, issuer):
    return runtime_factory(oidc_issuer=issuer.url, oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET)


@pytest.fixture
def console(sso):
    return create_app(sso)


def to_the_issuer(browser):
    """The browser's trip to the issuer and back: the callback's answer."""
    sent = browser.get("/console/login/sso")
    assert sent.status_code == 302, sent.get_data(as_text=True)
    back = requests.get(sent.location, allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text
    callback = urlsplit(back.headers["Location"])
    assert f"{callback.scheme}://{callback.netloc}{callback.path}" == CALLBACK
    return browser.get(f"{callback.path}?{callback.query}")


def sign_on(app, issuer, person: Person):
    """A browser in which ``person`` signed in with the municipality's account, and the callback's answer."""
    issuer.sign_in_as(person)
    browser = app.test_client()
    return browser, to_the_issuer(browser)


def audit_rows(runtime) -> list[tuple[str, str, str | None]]:
    with runtime.db.session() as db:
        return [(row.actor, row.action, row.detail) for row in db.scalars(select(StaffAudit).order_by(StaffAudit.id))]


def user(runtime, email: str):
    with runtime.db.session() as db:
        found = accounts.find_user(db, email)
        db.expunge_all()
        return found


def text_of(answer) -> str:
    return answer.get_data(as_text=True)


def test_staff_sign_on_gets_an_account_without_communities_and_lands_on_notifications(console, sso, issuer):
    assert SIGN_IN_BUTTON in text_of(console.test_client().get("/console/login"))
    browser, answer = sign_on(console, issuer, KIRSTEN)
    assert answer.status_code == 302 and answer.location.endswith("/console/")
    page = browser.get("/console/", follow_redirects=True)
    assert page.status_code == 200 and "Beskeder til personalet" in text_of(page)
    made = user(sso, KIRSTEN.email)
    assert (made.role, made.communities, made.password_hash) == ("staff", [], None)
    assert made.oidc_subject == f"{issuer.url}|{KIRSTEN.sub}"
    assert audit_rows(sso) == [
        ("single sign-on", "user_added", "kirsten@kommune.dk (staff)"),
        ("kirsten@kommune.dk", "sign_in", "sso"),
    ]
    again, _ = sign_on(console, issuer, KIRSTEN)
    assert again.get("/console/notifications").status_code == 200, "the second time finds the account by its subject"


def test_an_issuer_that_names_people_by_preferred_username_is_understood(console, sso, issuer):
    _, answer = sign_on(console, issuer, Person(sub="ali-sub", email="ali@kommune.dk", roles=("ungebot-staff",), email_claim="preferred_username"))
    assert answer.status_code == 302
    assert user(sso, "ali@kommune.dk").oidc_subject == f"{issuer.url}|ali-sub"


def test_a_counsellor_whose_issuer_asked_for_a_second_factor_goes_straight_in(console, sso, issuer):
    browser, answer = sign_on(console, issuer, Person(sub=SOFIE.sub, email=SOFIE.email, roles=SOFIE.roles, amr=("pwd", "mfa")))
    assert answer.status_code == 302 and answer.location.endswith("/console/")
    assert browser.get("/console/inbox").status_code == 200
    assert audit_rows(sso)[-1] == ("sofie@kommune.dk", "sign_in", "sso, second factor at the issuer")


def test_a_counsellor_without_a_second_factor_at_the_issuer_enrols_the_app(console, sso, issuer):
    browser, answer = sign_on(console, issuer, SOFIE)
    assert answer.status_code == 302 and answer.location.endswith("/console/2fa/enrol")
    assert browser.get("/console/inbox").status_code == 302, "no page before the code"
    page = text_of(browser.get("/console/2fa/enrol"))
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    done = browser.post("/console/2fa/enrol", data={"code": pyotp.TOTP(secret).at(clock.now()), "csrf_token": csrf})
    assert done.status_code == 302 and browser.get("/console/inbox").status_code == 200
    assert audit_rows(sso)[-3:] == [
        ("sofie@kommune.dk", "sso_accepted", "the app's code is owed"),
        ("sofie@kommune.dk", "enrolled_2fa", None),
        ("sofie@kommune.dk", "sign_in", None),
    ]


def test_someone_whose_claims_name_no_role_here_is_refused_and_audited(console, sso, issuer):
    browser, answer = sign_on(console, issuer, Person(sub="lars-sub", email="lars@kommune.dk", roles=("kantine",)))
    assert answer.status_code == 403
    assert "Din konto i kommunen giver ikke adgang til Ungebot." in text_of(answer) and SIGN_IN_BUTTON in text_of(answer)
    assert browser.get("/console/notifications").status_code == 302
    assert user(sso, "lars@kommune.dk") is None
    assert audit_rows(sso) == [("unknown", "sign_in_failed", "sso: no role")]


def test_an_account_it_made_is_found_by_email_and_linked_to_the_subject(console, sso, issuer):
    with sso.db.session() as db:
        accounts.add_user(db, email="Kirsten@Kommune.dk", role="staff", communities=["torsdag"], password="korrekt hest batteri", now=clock.now())
    browser, answer = sign_on(console, issuer, Person(sub=KIRSTEN.sub, email="KIRSTEN@kommune.dk", roles=KIRSTEN.roles))
    assert answer.status_code == 302 and browser.get("/console/notifications").status_code == 200
    linked = user(sso, KIRSTEN.email)
    assert (linked.oidc_subject, linked.communities) == (f"{issuer.url}|{KIRSTEN.sub}", ["torsdag"])
    assert ("single sign-on", "sso_linked", "kirsten@kommune.dk") in audit_rows(sso)


def test_the_role_follows_the_claim_and_sessions_in_the_old_role_end(console, sso, issuer):
    with sso.db.session() as db:
        accounts.add_user(db, email=KIRSTEN.email, role="staff", communities=["torsdag"], password="korrekt hest batteri", now=clock.now())
    by_password = console.test_client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', text_of(by_password.get("/console/login"))).group(1)
    by_password.post("/console/login", data={"email": KIRSTEN.email, "password": "korrekt hest batteri", "csrf_token": csrf})
    assert by_password.get("/console/notifications").status_code == 200
    _, answer = sign_on(console, issuer, Person(sub=KIRSTEN.sub, email=KIRSTEN.email, roles=("ungebot-counsellor",), amr=("mfa",)))
    assert answer.location.endswith("/console/")
    promoted = user(sso, KIRSTEN.email)
    assert (promoted.role, promoted.communities) == ("counsellor", []), "only staff have communities"
    assert by_password.get("/console/notifications").status_code == 302, "a staff session that gave no code is no counsellor's"
    assert ("single sign-on", "role_changed", "kirsten@kommune.dk: staff -> counsellor; 1 session(s) ended") in audit_rows(sso)


def test_a_disabled_account_stays_refused(console, sso, issuer):
    sign_on(console, issuer, KIRSTEN)
    with sso.db.session() as db:
        accounts.disable_user(db, KIRSTEN.email, clock.now())
    browser, answer = sign_on(console, issuer, KIRSTEN)
    assert answer.status_code == 403 and "Din adgang til Ungebot er lukket." in text_of(answer)
    assert browser.get("/console/notifications").status_code == 302
    assert audit_rows(sso)[-1] == ("kirsten@kommune.dk", "sign_in_failed", "sso: disabled")


def test_an_email_that_comes_back_for_another_person_does_not_open_the_old_account(console, sso, issuer):
    sign_on(console, issuer, KIRSTEN)
    _, answer = sign_on(console, issuer, Person(sub="the-next-kirsten", email=KIRSTEN.email, roles=KIRSTEN.roles))
    assert answer.status_code == 403 and "Din konto i kommunen kan ikke bruges til Ungebot." in text_of(answer)
    assert audit_rows(sso)[-1] == ("kirsten@kommune.dk", "sign_in_failed", "sso: the account belongs to another subject")


def test_a_callback_with_a_forged_state_is_refused(console, sso, issuer):
    issuer.sign_in_as(KIRSTEN)
    browser = console.test_client()
    sent = urlsplit(browser.get("/console/login/sso").location)
    forged = browser.get("/console/login/sso/callback?code=stolen&state=forged")
    assert forged.status_code == 400 and "Du blev ikke logget ind med kommunens konto." in text_of(forged)
    state = dict(part.split("=", 1) for part in sent.query.split("&"))["state"]
    elsewhere = console.test_client().get(f"/console/login/sso/callback?code=stolen&state={state}")
    assert elsewhere.status_code == 400, "a state is good only in the browser it was given to"
    assert audit_rows(sso) == [("unknown", "sign_in_failed", "sso: the state is not one this browser was given")] * 2
    assert browser.get("/console/notifications").status_code == 302


def test_a_sign_in_the_issuer_refused_shows_the_login_page_again(console, sso, issuer):
    issuer.sign_in_as(KIRSTEN)
    issuer.refuse_next("access_denied")
    answer = to_the_issuer(console.test_client())
    assert answer.status_code == 401 and "Du blev ikke logget ind med kommunens konto." in text_of(answer)
    assert audit_rows(sso) == [("unknown", "sign_in_failed", "sso: the issuer said access_denied")]


def test_an_id_token_the_issuer_did_not_sign_is_refused(console, sso, issuer):
    issuer.sign_in_as(KIRSTEN)
    issuer.sign_next_id_token_with_a_stray_key()
    browser = console.test_client()
    answer = to_the_issuer(browser)
    assert answer.status_code == 401 and browser.get("/console/notifications").status_code == 302
    assert audit_rows(sso) == [("unknown", "sign_in_failed", "sso: the ID token is not valid (bad_signature)")]
    assert user(sso, KIRSTEN.email) is None


def test_an_issuer_that_does_not_answer_is_a_message_not_an_error(runtime_factory):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}"
    runtime = runtime_factory(oidc_issuer=nowhere, oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET)
    answer = create_app(runtime).test_client().get("/console/login/sso")
    assert answer.status_code == 502 and "Kommunens login svarer ikke lige nu." in text_of(answer)
    assert audit_rows(runtime) == [("unknown", "sign_in_failed", "sso: the issuer did not answer")]


def test_an_issuer_set_up_wrong_is_a_message_for_it_not_an_error(runtime_factory):
    def half_a_discovery_document(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"issuer": "elsewhere", "token_endpoint": "https://login.example/token"}).encode()]

    with LocalServer(half_a_discovery_document, name="half an issuer") as server:
        runtime = runtime_factory(oidc_issuer=server.url, oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET)
        answer = create_app(runtime).test_client().get("/console/login/sso")
    assert answer.status_code == 502 and "Login med kommunens konto er ikke sat rigtigt op." in text_of(answer)
    assert audit_rows(runtime) == [("unknown", "sign_in_failed", "sso: the issuer's discovery document will not do")]


def test_without_an_issuer_there_is_no_button_and_no_sso_route(runtime):
    browser = create_app(runtime).test_client()
    assert SIGN_IN_BUTTON not in text_of(browser.get("/console/login"))
    assert browser.get("/console/login/sso").status_code == 404
    assert browser.get("/console/login/sso/callback?code=x&state=y").status_code == 404


def test_settings_for_single_sign_on_are_complete_and_name_roles_there_are(runtime_factory, issuer):
    with pytest.raises(ConfigError, match=r"^OIDC_ISSUER: 'http://login\.kommune\.dk' is not an https URL$"):
        runtime_factory(oidc_issuer="http://login.kommune.dk", oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET)
    with pytest.raises(ConfigError, match=r"^OIDC_CLIENT_SECRET: required when OIDC_ISSUER is set$"):
        runtime_factory(oidc_issuer=issuer.url, oidc_client_id=CLIENT_ID)
    with pytest.raises(ConfigError, match=r"^OIDC_ROLES: must be '<claim value>=<role>' pairs"):
        runtime_factory(oidc_roles="ungebot-staff")
    wrong_role = runtime_factory(oidc_issuer=issuer.url, oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET, oidc_roles="ungebot-boss=boss")
    with pytest.raises(ConfigError, match=r"^OIDC_ROLES: boss is not a role here \(the roles are staff, counsellor, admin\)$"):
        create_app(wrong_role)
