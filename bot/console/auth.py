"""Signing in and out: password, then (counsellor and admin) a code from an authenticator app,
enrolled with a QR code at the first sign-in. Every attempt is in the audit log, never what was typed.

Where OIDC_ISSUER is set, staff may sign in with the municipality's account instead (OpenID
Connect by Authlib: discovery, state, nonce, PKCE, and the ID token's signature, issuer, audience
and expiry checked). The issuer's ``amr`` saying "mfa" counts as the second factor; without it a
counsellor gives the app's code as after a password. No token is kept or written anywhere.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from flask import abort, current_app, g, make_response, redirect, render_template, request, session, url_for
from flask.blueprints import BlueprintSetupState

from bot.config import ConfigError
from bot.console.access import SESSION_KEY, go_to, requires, runtime, viewer
from bot.console.blueprint import LANGUAGE_COOKIE, blueprint
from bot.console.texts import LANGUAGES
from bot.core import clock
from bot.domain.staff import accounts
from bot.limits import Limit, counting_key, network_key, over_limit

ALL_ROLES = accounts.ROLES
# Enough for a person who mistypes; far too few for guessing. Per account and per address, so
# neither one address trying many accounts nor many addresses trying one account gets far.
SIGN_INS_PER_ACCOUNT = Limit("console-sign-in-account", 10, timedelta(minutes=15))
SIGN_INS_PER_ADDRESS = Limit("console-sign-in-address", 30, timedelta(minutes=15))
CODES_PER_ACCOUNT = Limit("console-second-factor", 10, timedelta(minutes=15))
PENDING_SECRET = "console_enrolling"
SINGLE_SIGN_ON_CLIENT = "ungebot_single_sign_on"
# A person waits at a blank page while the issuer is asked; past this, tell them it is not answering.
ISSUER_TIMEOUT_SECONDS = 10
# What the issuer says when it asked for a second factor itself (RFC 8176; Entra ID says it).
MULTI_FACTOR = "mfa"
REFUSAL_TEXTS = {accounts.NO_ROLE: "sso_no_role", accounts.DISABLED: "sso_disabled"}
AUDIT_DETAIL_MAX = 300  # StaffAudit.detail

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    import requests

# Authlib, joserfc, cryptography and requests (some 15 MiB) are imported by the single sign-on's
# code alone, which runs only where OIDC_ISSUER is set: a console with passwords never loads them.


@blueprint.record_once
def _register_single_sign_on(state: BlueprintSetupState) -> None:
    """Each app (a process's, a test's) gets the client of its own settings' issuer, if any."""
    settings = state.app.extensions["ungebot"].settings
    if not settings.oidc_issuer:
        return
    unknown = sorted(set(settings.oidc_role_map.values()) - set(ALL_ROLES))
    if unknown:
        raise ConfigError(f"OIDC_ROLES: {', '.join(unknown)} is not a role here (the roles are {', '.join(ALL_ROLES)})")
    from authlib.integrations.flask_client import OAuth

    state.app.extensions[SINGLE_SIGN_ON_CLIENT] = OAuth(state.app).register(
        "municipality",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        server_metadata_url=f"{settings.oidc_issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256", "default_timeout": ISSUER_TIMEOUT_SECONDS},
    )


def _wait_minutes(*limits_and_who: tuple[Limit, str]) -> int | None:
    waits = [over_limit(runtime(), limit, who) for limit, who in limits_and_who]
    longest = max((wait for wait in waits if wait is not None), default=None)
    return None if longest is None else max(1, round(longest / 60))


def _login_page(*, error: tuple[str, dict] | None = None, notice: str | None = None, email: str = "", status: int = 200):
    single_sign_on = SINGLE_SIGN_ON_CLIENT in current_app.extensions
    return render_template("console/login.html", notice=notice, error=error, email=email, single_sign_on=single_sign_on), status


@blueprint.get("/login")
def login():
    if g.viewer is not None and g.viewer.signed_in:
        return redirect(url_for("console.home"))
    notice = "session_ended" if g.session_ended or request.args.get("ended") else ("signed_out" if request.args.get("signed_out") else None)
    return _login_page(notice=notice)


@blueprint.post("/login")
def login_submit():
    email = request.form.get("email", "").strip().lower()[:254]
    password = request.form.get("password", "")
    secret_key = current_app.secret_key
    wait = _wait_minutes((SIGN_INS_PER_ACCOUNT, counting_key(secret_key, "account", email)), (SIGN_INS_PER_ADDRESS, network_key(secret_key)))
    if wait is not None:
        return _login_page(error=("too_many_tries", {"minutes": wait}), email=email, status=429)
    now = clock.now()
    with runtime().db.session() as db:
        user = accounts.check_password(db, email, password, now)
        if user is None:
            accounts.audit(db, _actor(db, email), "sign_in_failed", now)
            failed = True
        else:
            failed = False
            code_owed = user.role in accounts.SECOND_FACTOR_ROLES
            token = accounts.open_session(db, user, now, second_factor=not code_owed)
            if not code_owed:
                accounts.audit(db, user.email, "sign_in", now)
            enrolled = user.totp_enrolled_at is not None
    if failed:
        return _login_page(error=("wrong_sign_in", {}), email=email, status=401)
    return _enter(token, code_owed=code_owed, enrolled=enrolled)


def _actor(db, email: str) -> str:
    """Who the audit names for a sign-in that failed: an address no account has is not written down."""
    user = accounts.find_user(db, email)
    return accounts.UNKNOWN_ACTOR if user is None else user.email


def _enter(token: str, *, code_owed: bool, enrolled: bool):
    """The browser of someone just let in takes the new session: to the console, or to the code."""
    session.clear()  # nothing from before the sign-in carries over (session fixation)
    session[SESSION_KEY] = token
    if not code_owed:
        return redirect(_safe_next() or url_for("console.home"))
    return redirect(url_for("console.second_factor" if enrolled else "console.enrol"))


def _single_sign_on_client():
    client = current_app.extensions.get(SINGLE_SIGN_ON_CLIENT)
    if client is None:
        abort(404)  # no OIDC_ISSUER: the console has passwords only
    return client


@blueprint.get("/login/sso")
def login_sso():
    client = _single_sign_on_client()
    import requests

    try:
        return client.authorize_redirect(_sso_callback_url())
    except requests.RequestException as error:
        return _issuer_unreachable(error)
    except RuntimeError as error:
        # Authlib's word for a discovery document without the endpoints it needs: the issuer's
        # set-up (or OIDC_ISSUER) is wrong, which IT must hear of and a user cannot mend.
        log.error("single sign-on: the issuer's discovery document will not do: %s", error)
        return _sso_failed("the issuer's discovery document will not do", 502, "sso_not_set_up")


def _sso_callback_url() -> str:
    """Where the issuer sends people back: PUBLIC_BASE_URL's address, which is the one registered
    there, not whatever host a proxy passed on."""
    public_base_url = runtime().settings.public_base_url
    if not public_base_url:
        return url_for("console.login_sso_callback", _external=True)
    return public_base_url + url_for("console.login_sso_callback")


@blueprint.get("/login/sso/callback")
def login_sso_callback():
    client = _single_sign_on_client()
    import requests
    from authlib.integrations.base_client.errors import MismatchingStateError
    from authlib.integrations.flask_client import OAuthError
    from joserfc.errors import JoseError

    try:
        claims = client.authorize_access_token().get("userinfo")
    except MismatchingStateError:
        return _sso_failed("the state is not one this browser was given", 400)
    except OAuthError as error:
        return _sso_failed(f"the issuer said {error.error}", 401)
    except JoseError as error:
        return _sso_failed(f"the ID token is not valid ({error.error})", 401)
    except requests.RequestException as error:
        return _issuer_unreachable(error)
    if claims is None:
        return _sso_failed("no ID token", 401)
    settings = runtime().settings
    now = clock.now()
    # Entra ID leaves out "email" unless the tenant adds it; its preferred_username is the
    # person's sign-in address (their UPN), which is what IT knows them by.
    email = str(claims.get("email") or claims.get("preferred_username") or "")
    with runtime().db.session() as db:
        try:
            user = accounts.sign_on(
                db,
                subject=f"{claims['iss']}|{claims['sub']}",
                email=email,
                claimed_roles=_claim_values(claims, settings.oidc_role_claim),
                roles_by_claim=settings.oidc_role_map,
                now=now,
            )
        except accounts.SignOnRefused as refusal:
            _audit_sso_failure(db, _actor(db, email), refusal.reason)
            refused = refusal.reason
        else:
            refused = None
            issuer_asked_for_second_factor = MULTI_FACTOR in _claim_values(claims, "amr")
            code_owed = user.role in accounts.SECOND_FACTOR_ROLES and not issuer_asked_for_second_factor
            token = accounts.open_session(db, user, now, second_factor=not code_owed)
            if code_owed:
                accounts.audit(db, user.email, "sso_accepted", now, "the app's code is owed")
            else:
                accounts.audit(db, user.email, "sign_in", now, "sso, second factor at the issuer" if issuer_asked_for_second_factor else "sso")
            enrolled = user.totp_enrolled_at is not None
    if refused is not None:
        return _login_page(error=(REFUSAL_TEXTS.get(refused, "sso_not_usable"), {}), status=403)
    return _enter(token, code_owed=code_owed, enrolled=enrolled)


def _claim_values(claims: Mapping[str, Any], name: str) -> list[str]:
    """A claim as a list: issuers send a list, or a single value as a string."""
    value = claims.get(name)
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value] if isinstance(value, list) else []


def _audit_sso_failure(db, actor: str, why: str) -> None:
    accounts.audit(db, actor, "sign_in_failed", clock.now(), f"sso: {why}"[:AUDIT_DETAIL_MAX])


def _sso_failed(why: str, status: int, text_key: str = "sso_failed"):
    """The login page again, for a sign-on that went wrong before anyone was known."""
    with runtime().db.session() as db:
        _audit_sso_failure(db, accounts.UNKNOWN_ACTOR, why)
    return _login_page(error=(text_key, {}), status=status)


def _issuer_unreachable(error: requests.RequestException):
    log.warning("single sign-on: the issuer did not answer: %s", error)
    return _sso_failed("the issuer did not answer", 502, "sso_unreachable")


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
    wait = _wait_minutes((CODES_PER_ACCOUNT, counting_key(current_app.secret_key, "account", pending.email)))
    if wait is not None:
        return render_template("console/second_factor.html", error=("too_many_tries", {"minutes": wait})), 429
    now = clock.now()
    with runtime().db.session() as db:
        user, _ = accounts.current_session(db, session[SESSION_KEY], now)
        right = accounts.check_second_factor(db, user, request.form.get("code", ""), now, current_app.secret_key)
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
        enrolled = accounts.enrol_second_factor(db, user, secret, request.form.get("code", ""), now, current_app.secret_key)
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
    """Where the day starts: the inbox for a counsellor, the day's messages for staff and admins."""
    return redirect(url_for("console.inbox_page" if viewer().role == "counsellor" else "console.today_page"))
