"""Signing in and out: password, then (counsellor and admin) a code from an authenticator app,
enrolled with a QR code at the first sign-in. Every attempt is in the audit log, never what was typed.
"""
from __future__ import annotations

from datetime import timedelta

from flask import g, make_response, redirect, render_template, request, session, url_for

from bot.console.access import SESSION_KEY, go_to, requires, runtime, viewer
from bot.console.blueprint import LANGUAGE_COOKIE, blueprint
from bot.console.texts import LANGUAGES
from bot.core import clock
from bot.domain.staff import accounts
from bot.limits import Limit, network_key, over_limit

ALL_ROLES = accounts.ROLES
# Enough for a person who mistypes; far too few for guessing. Per account and per address, so
# neither one address trying many accounts nor many addresses trying one account gets far.
SIGN_INS_PER_ACCOUNT = Limit("console-sign-in-account", 10, timedelta(minutes=15))
SIGN_INS_PER_ADDRESS = Limit("console-sign-in-address", 30, timedelta(minutes=15))
CODES_PER_ACCOUNT = Limit("console-second-factor", 10, timedelta(minutes=15))
PENDING_SECRET = "console_enrolling"


def _wait_minutes(*limits_and_who: tuple[Limit, str]) -> int | None:
    waits = [over_limit(runtime(), limit, who) for limit, who in limits_and_who]
    longest = max((wait for wait in waits if wait is not None), default=None)
    return None if longest is None else max(1, round(longest / 60))


@blueprint.get("/login")
def login():
    if g.viewer is not None and g.viewer.signed_in:
        return redirect(url_for("console.home"))
    notice = "session_ended" if g.session_ended or request.args.get("ended") else ("signed_out" if request.args.get("signed_out") else None)
    return render_template("console/login.html", notice=notice, error=None, email="")


@blueprint.post("/login")
def login_submit():
    email = request.form.get("email", "").strip().lower()[:254]
    password = request.form.get("password", "")
    wait = _wait_minutes((SIGN_INS_PER_ACCOUNT, email), (SIGN_INS_PER_ADDRESS, network_key(runtime().settings.app_secret_key)))
    if wait is not None:
        return render_template("console/login.html", notice=None, error=("too_many_tries", {"minutes": wait}), email=email), 429
    now = clock.now()
    with runtime().db.session() as db:
        user = accounts.check_password(db, email, password, now)
        if user is None:
            known = accounts.find_user(db, email) is not None
            accounts.audit(db, email if known else accounts.UNKNOWN_ACTOR, "sign_in_failed", now)
            failed = True
        else:
            failed = False
            second_factor = user.role in accounts.SECOND_FACTOR_ROLES
            token = accounts.open_session(db, user, now, second_factor=not second_factor)
            if not second_factor:
                accounts.audit(db, user.email, "sign_in", now)
            enrolled = user.totp_enrolled_at is not None
    if failed:
        return render_template("console/login.html", notice=None, error=("wrong_sign_in", {}), email=email), 401
    session.clear()  # nothing from before the sign-in carries over (session fixation)
    session[SESSION_KEY] = token
    if not second_factor:
        return redirect(_safe_next() or url_for("console.home"))
    return redirect(url_for("console.second_factor" if enrolled else "console.enrol"))


def _safe_next() -> str | None:
    """Only a path of the console itself: never a redirect to somewhere else."""
    target = request.args.get("next", "")
    return target if target.startswith("/console/") and not target.startswith("//") and "\\" not in target else None


def _pending_viewer():
    """The viewer who gave the password and still owes the code; None for anyone else."""
    pending = g.viewer
    return pending if pending is not None and pending.needs_second_factor and not pending.second_factor_done else None


@blueprint.get("/2fa")
def second_factor():
    if _pending_viewer() is None:
        return go_to("console.login")
    return render_template("console/second_factor.html", error=None)


@blueprint.post("/2fa")
def second_factor_submit():
    pending = _pending_viewer()
    if pending is None:
        return go_to("console.login")
    wait = _wait_minutes((CODES_PER_ACCOUNT, pending.email))
    if wait is not None:
        return render_template("console/second_factor.html", error=("too_many_tries", {"minutes": wait})), 429
    now = clock.now()
    with runtime().db.session() as db:
        user, _ = accounts.current_session(db, session[SESSION_KEY], now)
        right = accounts.check_second_factor(db, user, request.form.get("code", ""), now, runtime().settings.app_secret_key)
        if right:
            session[SESSION_KEY] = accounts.second_factor_given(db, user, session[SESSION_KEY], now)
        accounts.audit(db, user.email, "sign_in" if right else "second_factor_failed", now)
    if not right:
        return render_template("console/second_factor.html", error=("second_factor_wrong", {})), 401
    return redirect(url_for("console.home"))


@blueprint.get("/2fa/enrol")
def enrol():
    pending = _pending_viewer()
    if pending is None:
        return go_to("console.login")
    secret = session.get(PENDING_SECRET) or accounts.new_totp_secret()
    session[PENDING_SECRET] = secret
    return _enrol_page(secret, error=None)


@blueprint.post("/2fa/enrol")
def enrol_submit():
    pending = _pending_viewer()
    secret = session.get(PENDING_SECRET)
    if pending is None or secret is None:
        return go_to("console.login")
    now = clock.now()
    with runtime().db.session() as db:
        user, _ = accounts.current_session(db, session[SESSION_KEY], now)
        enrolled = accounts.enrol_second_factor(db, user, secret, request.form.get("code", ""), now, runtime().settings.app_secret_key)
        if enrolled:
            session[SESSION_KEY] = accounts.second_factor_given(db, user, session[SESSION_KEY], now)
            accounts.audit(db, user.email, "sign_in", now)
    if not enrolled:
        return _enrol_page(secret, error=("second_factor_wrong", {})), 401
    session.pop(PENDING_SECRET, None)
    return redirect(url_for("console.home"))


def _enrol_page(secret: str, error):
    with runtime().db.session() as db:
        uri = accounts.provisioning_uri(accounts.find_user(db, viewer().email), secret)
    return render_template("console/enrol.html", qr_svg=accounts.qr_svg(uri), secret=secret, error=error)


@blueprint.post("/logout")
def logout():
    token = session.get(SESSION_KEY)
    if token:
        now = clock.now()
        with runtime().db.session() as db:
            found = accounts.current_session(db, token, now)
            accounts.end_session(db, token, now)
            if found is not None:
                accounts.audit(db, found[0].email, "sign_out", now)
    session.clear()
    return redirect(url_for("console.login", signed_out=1))


@blueprint.post("/language")
def choose_language():
    chosen = request.form.get("language")
    back = request.referrer if request.referrer and request.referrer.startswith(request.host_url + "console") else url_for("console.home")
    response = make_response(redirect(back))
    if chosen in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=365 * 24 * 3600, httponly=True, samesite="Lax", secure=request.is_secure)
    return response


@blueprint.get("/")
@requires(*ALL_ROLES)
def home():
    """Where the day starts: the inbox for a counsellor, what the bot told them for everyone else."""
    return redirect(url_for("console.inbox_page" if viewer().role == "counsellor" else "console.notifications_page"))
