"""The staff console: signing in (with a second factor for counsellors and admins), sessions that
end on the server, CSRF on every form, a strict content security policy, notifications per
community, and every route walked as every role."""
from __future__ import annotations

import re
from datetime import timedelta

import pyotp
from sqlalchemy import select

from bot.core import clock
from bot.domain.staff import accounts
from bot.storage.models import StaffAudit, StaffNotification
from bot.web import create_app

from support.console import PASSWORD, PEOPLE, csrf_of, sign_in

PUBLIC = {
    "console.static", "console.login", "console.login_submit", "console.second_factor", "console.second_factor_submit",
    "console.enrol", "console.enrol_submit", "console.logout", "console.choose_language", "console.login_sso", "console.login_sso_callback",
}

def audit_actions(runtime) -> list[tuple[str, str]]:
    with runtime.db.session() as db:
        return [(row.actor, row.action) for row in db.scalars(select(StaffAudit).order_by(StaffAudit.id))]


def test_staff_sign_in_with_a_password_and_see_their_notifications(console, cafe):
    browser = sign_in(console, "staff")
    page = browser.get("/console/", follow_redirects=True)
    assert page.status_code == 200 and "Beskeder til personalet" in page.get_data(as_text=True)
    assert ("kirsten@kommune.dk", "sign_in") in audit_actions(cafe)


def test_a_counsellor_enrols_a_second_factor_with_a_qr_code_then_needs_a_code_each_time(console, cafe):
    browser = console.test_client()
    browser.post("/console/login", data={"email": PEOPLE["counsellor"], "password": PASSWORD, "csrf_token": csrf_of(browser.get("/console/login"))})
    page = browser.get("/console/2fa/enrol")
    assert "<svg" in page.get_data(as_text=True), "the QR code is drawn here, by no outside service"
    assert browser.get("/console/notifications").status_code == 302, "no page before the code"
    wrong = browser.post("/console/2fa/enrol", data={"code": "000000", "csrf_token": csrf_of(page)})
    assert wrong.status_code == 401 and "Koden passer ikke" in wrong.get_data(as_text=True)
    before_the_code = browser.get_cookie("ungebot_console").value
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', wrong.get_data(as_text=True)).group(1)
    browser.post("/console/2fa/enrol", data={"code": pyotp.TOTP(secret).at(clock.now()), "csrf_token": csrf_of(page)})
    assert browser.get("/console/notifications").status_code == 200
    copied = console.test_client()
    copied.set_cookie("ungebot_console", before_the_code)
    assert copied.get("/console/notifications").status_code == 302, "the session from before the code ended with it"
    secrets = {PEOPLE["counsellor"]: secret}
    again = sign_in(console, "counsellor", secrets=secrets)
    assert again.get("/console/notifications").status_code == 200
    assert ("sofie@kommune.dk", "sign_in") in audit_actions(cafe)


def test_a_wrong_password_is_refused_and_too_many_tries_wait(console, cafe):
    browser = console.test_client()
    token = csrf_of(browser.get("/console/login"))
    wrong = browser.post("/console/login", data={"email": PEOPLE["staff"], "password": "forkert", "csrf_token": token})
    assert wrong.status_code == 401 and "Forkert e-mail eller adgangskode." in wrong.get_data(as_text=True)
    browser.post("/console/login", data={"email": "nobody@example.org", "password": "x", "csrf_token": token})
    assert audit_actions(cafe)[-2:] == [("kirsten@kommune.dk", "sign_in_failed"), ("unknown", "sign_in_failed")]
    for _ in range(9):
        browser.post("/console/login", data={"email": PEOPLE["staff"], "password": "forkert", "csrf_token": token})
    refused = browser.post("/console/login", data={"email": PEOPLE["staff"], "password": PASSWORD, "csrf_token": token})
    assert refused.status_code == 429 and "For mange forsøg" in refused.get_data(as_text=True)
    limits = [key.decode() for key in cafe.redis.scan_iter(f"{cafe.queue_prefix}:limit:console-*")]
    assert limits and not any("kommune.dk" in key or "nobody@" in key for key in limits), "no typed address kept in Redis"


def test_a_form_without_its_csrf_token_is_refused(console):
    refused = console.test_client().post("/console/login", data={"email": PEOPLE["staff"], "password": PASSWORD})
    assert refused.status_code == 400 and "Formularen var for gammel" in refused.get_data(as_text=True)
    browser = sign_in(console, "staff")
    assert browser.post("/console/logout").status_code == 400, "signing out needs the token too"


def test_every_page_has_a_strict_content_security_policy_and_is_never_cached(console):
    page = console.test_client().get("/console/login")
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert page.headers["Cache-Control"] == "no-store" and page.headers["X-Content-Type-Options"] == "nosniff"
    html = page.get_data(as_text=True)
    assert "<script>" not in html and not re.search(r"\son[a-z]+=", html) and "style=" not in html, "nothing inline"
    missing = console.test_client().get("/console/nowhere")
    assert missing.status_code == 404 and missing.content_type.startswith("text/html") and "Siden findes ikke." in missing.get_data(as_text=True)


def test_signing_out_ends_the_session_on_the_server(console):
    browser = sign_in(console, "staff")
    cookie = browser.get_cookie("ungebot_console").value
    browser.post("/console/logout", data={"csrf_token": csrf_of(browser.get("/console/notifications"))})
    thief = console.test_client()
    thief.set_cookie("ungebot_console", cookie)
    assert thief.get("/console/notifications").status_code == 302


def test_a_counsellor_left_idle_for_30_minutes_is_signed_out(console):
    browser = sign_in(console, "counsellor")
    clock.set_now(clock.now() + timedelta(minutes=31))
    ended = browser.get("/console/notifications", follow_redirects=True)
    assert "Du blev logget ud, fordi du ikke havde brugt konsollen i 30 minutter." in ended.get_data(as_text=True)


def test_the_cookie_is_httponly_samesite_lax_and_secure_behind_https(runtime_factory, cafe_flows_dir):
    public = runtime_factory(flows_dir=cafe_flows_dir, public_base_url="https://ungebot.kommune.dk")
    with public.db.session() as db:
        accounts.add_user(db, email="x@kommune.dk", role="staff", communities=["torsdag"], password=PASSWORD, now=clock.now())
    browser = create_app(public).test_client()
    answer = browser.post("/console/login", data={"email": "x@kommune.dk", "password": PASSWORD, "csrf_token": csrf_of(browser.get("/console/login"))})
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def notify(runtime, flow: str | None, text: str) -> int:
    with runtime.db.session() as db:
        row = StaffNotification(contact_id=None, flow=flow, text=text, created_at=clock.now())
        db.add(row)
        db.flush()
        return row.id


def test_notifications_per_community_escaped_and_marked_seen(console, cafe):
    ours = notify(cafe, "torsdag.svar", "Freja har skrevet <img src=x onerror=alert(1)> til caféen")
    notify(cafe, "gym", "Noah kommer ikke i aften")
    notify(cafe, None, "Instagram-kontoen skal forbindes igen")
    staff = sign_in(console, "staff")
    page = staff.get("/console/notifications").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page
    assert "Noah" not in page and "Instagram-kontoen" not in page, "other communities' and the service's are not theirs"
    assert "1 nye" in page
    seen = staff.post(f"/console/notifications/{ours}/seen", data={"csrf_token": csrf_of(staff.get("/console/notifications"))}, headers={"HX-Request": "true"})
    assert seen.status_code == 200 and "Set " in seen.get_data(as_text=True)
    assert "nye" not in staff.get("/console/notifications/count").get_data(as_text=True)
    admin_page = sign_in(console, "admin").get("/console/notifications").get_data(as_text=True)
    assert "Noah" in admin_page and "Instagram-kontoen" in admin_page
    gym = notify(cafe, "gym.svar", "Noah svarede nej")
    token = csrf_of(staff.get("/console/notifications"))
    assert staff.post(f"/console/notifications/{gym}/seen", data={"csrf_token": token}).status_code == 404, "not theirs to mark"


def test_english_by_the_users_choice(console):
    browser = console.test_client()
    page = browser.get("/console/login")
    browser.post("/console/language", data={"language": "en", "csrf_token": csrf_of(page)})
    assert "Wrong email or password." in browser.post(
        "/console/login", data={"email": "a@b.dk", "password": "x", "csrf_token": csrf_of(page)}
    ).get_data(as_text=True)


def test_every_console_route_serves_only_the_roles_it_names(console, cafe):
    """Each route as each role, and a route of one community as staff who work in another."""
    with cafe.db.session() as db:
        accounts.add_user(db, email="lars@kommune.dk", role="staff", communities=["andet"], password=PASSWORD, now=clock.now())
    browsers = {role: sign_in(console, role) for role in PEOPLE}
    browsers["anonymous"] = console.test_client()
    browsers["staff elsewhere"] = sign_in(console, "staff", email="lars@kommune.dk")
    tokens = {who: csrf_of(browser.get("/console/login", follow_redirects=True)) for who, browser in browsers.items()}
    checked = 0
    for rule in console.url_map.iter_rules():
        if not rule.endpoint.startswith("console.") or rule.endpoint in PUBLIC:
            continue
        roles = getattr(console.view_functions[rule.endpoint], "console_roles", None)
        assert roles, f"{rule.rule} names no roles (@requires)"
        url = re.sub(r"<int:\w+>", "999999", rule.rule.replace("<alias>", "ZZ-0000").replace("<slug>", "torsdag"))
        assert "<" not in url, f"the walker does not know what to put in {rule.rule}"
        for who, browser in browsers.items():
            role = "staff" if who == "staff elsewhere" else who
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                answer = browser.open(url, method=method, data={"csrf_token": tokens[who]} if method == "POST" else None)
                if who == "anonymous":
                    assert answer.status_code == 302 and "/console/login" in answer.location, (who, method, url)
                elif role in roles and (who != "staff elsewhere" or "<slug>" not in rule.rule):
                    allowed = answer.status_code not in (401, 403) and "/console/login" not in (answer.location or "")
                    assert allowed, (who, method, url, answer.status_code)
                else:
                    assert answer.status_code == 403, (who, method, url, answer.status_code)
                checked += 1
    assert checked >= 12
