"""Staff accounts: who may sign in, in which role, to which communities; their password, their
second factor, their sessions, and the audit of it all. Functions over a database session, for
the console and the command line; no Flask.

Passwords are hashed with argon2id (argon2-cffi's defaults, the low-memory choice of RFC 9106); a
hash made with weaker parameters than today's is replaced at the owner's next sign-in.

The second factor is a code from an authenticator app (TOTP, RFC 6238: six digits, 30 seconds).
Its secret is stored sealed (PyNaCl's SecretBox) under a key derived from SECRET_KEY
(``settings.app_secret_key``), so a copy of the database alone, a backup say, cannot make codes.
Changing SECRET_KEY therefore makes every enrolled secret unreadable: those users are reset with
``ungebot users reset-2fa`` and enrol again.

Sessions are rows: the cookie holds a random token and the database only its SHA-256, so signing
out, disabling a user and the idle limit take effect at once, whatever the browser still holds.
A session is found by the token's hash: the timing of that lookup tells an attacker only about
hashes of strings they chose, never about a stored token (as with the API's tokens).

Single sign-on (OpenID Connect) vouches for a person instead of a password: ``sign_on`` finds or
makes their account and gives it the role the issuer's claim says. The second factor is still
owed by counsellors and admins unless the issuer says it asked for one.

The account changes write their own audit rows; what happens while signing in (a wrong password,
a wrong code, signing out) is written by the page that knows it, with ``audit``, except a session
that the idle limit ends, which only this module sees.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from bot.domain.staff import ROLES, SECOND_FACTOR_ROLES
from bot.storage.models import StaffAudit, StaffSession, StaffUser

if TYPE_CHECKING:
    from nacl.secret import SecretBox

# pyotp, segno (with xml) and PyNaCl are imported by the second factor's functions: a web process
# where only staff sign in (no second factor) never needs them.

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
EMAIL_MAX = 254
PASSWORD_MIN = 12
# Counsellors and admins can read what young people wrote: a screen left open closes itself after
# half an hour without a request.
IDLE_LIMIT = timedelta(minutes=30)
# Staff see their own communities' members: a session outlasts a club evening or a working day
# with the console open at the door, but not a night.
STAFF_IDLE_LIMIT = timedelta(hours=12)
# Recording every request would make each page a write; a minute is precise enough for the limits.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
# The step before and the one after count too: a phone's clock may be a little off, and a code
# may be typed just as it changes.
VALID_WINDOW = 1
# The sealing key is derived, not SECRET_KEY itself: Flask signs cookies with that.
KEY_PURPOSE = b"ungebot staff: TOTP secrets"
# An address that belongs to no account is not written down: it may be a password typed into the
# wrong field, or a real person's address being tried.
UNKNOWN_ACTOR = "unknown"
COMMAND_LINE = "command line"
# Who made an account change that a sign-on brought with it (an account made, linked or given
# another role), as COMMAND_LINE is for IT's commands.
SINGLE_SIGN_ON = "single sign-on"
# Why a sign-on is refused (SignOnRefused.reason), for the audit.
NO_ROLE = "no role"
DISABLED = "disabled"
ANOTHER_SUBJECT = "the account belongs to another subject"

_hasher = PasswordHasher()
log = logging.getLogger(__name__)


class AccountError(Exception):
    """A request about an account that cannot be done as asked; the message tells the person why."""


class SignOnRefused(AccountError):
    """The issuer vouched for someone who may not sign in here; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# Accounts ----------------------------------------------------------------------------------------

def add_user(
    session: Session,
    *,
    email: str,
    role: str,
    communities: Iterable[str],
    password: str | None,
    now: datetime,
    by: str = COMMAND_LINE,
    oidc_subject: str | None = None,
) -> StaffUser:
    """Give someone an account. ``password`` is None for someone who signs in only by single
    sign-on. Whether the communities exist is for the caller to check: the flows know them.

    ``oidc_subject`` ("issuer|sub") makes the account of someone single sign-on vouched for
    (``sign_on``): as staff they may start without communities, since only IT knows which are
    theirs, and see nothing until IT gives them some."""
    email = _normalised(email)
    if len(email) > EMAIL_MAX or not EMAIL.fullmatch(email):
        raise AccountError(f"{email!r} is not an email address")
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}")
    communities = _checked_communities(role, communities, may_be_empty=oidc_subject is not None)
    if password is not None and len(password) < PASSWORD_MIN:
        raise AccountError(f"the password must be at least {PASSWORD_MIN} characters")
    if find_user(session, email) is not None:
        raise AccountError(f"a user {email!r} exists already")
    user = StaffUser(
        email=email,
        role=role,
        communities=communities,
        password_hash=None if password is None else _hasher.hash(password),
        oidc_subject=oidc_subject,
        created_at=now,
    )
    session.add(user)
    session.flush()
    audit(session, by, "user_added", now, f"{email} ({role})")
    return user


def list_users(session: Session) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.email)))


def find_user(session: Session, email: str) -> StaffUser | None:
    return session.scalars(select(StaffUser).where(StaffUser.email == _normalised(email))).first()


def set_communities(session: Session, email: str, communities: Iterable[str], now: datetime, *, by: str = COMMAND_LINE) -> StaffUser:
    """The communities a staff user works in from now on; their next page shows them."""
    user = _existing(session, email)
    user.communities = _checked_communities(user.role, communities, may_be_empty=False)
    audit(session, by, "communities_set", now, f"{user.email}: {','.join(user.communities)}")
    return user


def _checked_communities(role: str, communities: Iterable[str], *, may_be_empty: bool) -> list[str]:
    chosen = list(dict.fromkeys(communities))
    if role == "staff" and not chosen and not may_be_empty:
        raise AccountError("a staff user must have at least one community")
    if role != "staff" and chosen:
        raise AccountError(f"only staff users have communities, not a {role}")
    return chosen


def disable_user(session: Session, email: str, now: datetime, *, by: str = COMMAND_LINE) -> StaffUser:
    """Stop ``email`` from signing in, and end the sessions they have open. The account stays, so
    the audit can still name them."""
    user = _existing(session, email)
    if user.disabled_at is None:
        user.disabled_at = now
        ended = _end_sessions(session, StaffSession.user_id == user.id, now)
        audit(session, by, "user_disabled", now, f"{user.email}; {ended} session(s) ended")
    return user


def reset_second_factor(session: Session, email: str, now: datetime, *, by: str = COMMAND_LINE) -> StaffUser:
    """Forget the user's second factor (a lost phone): they enrol a new one at their next sign-in.
    Their open sessions end, as whoever has the phone may be signed in with it."""
    user = _existing(session, email)
    user.totp_secret_sealed = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    ended = _end_sessions(session, StaffSession.user_id == user.id, now)
    audit(session, by, "2fa_reset", now, f"{user.email}; {ended} session(s) ended")
    return user


def sign_on(
    session: Session,
    *,
    subject: str,
    email: str,
    claimed_roles: Iterable[str],
    roles_by_claim: Mapping[str, str],
    now: datetime,
) -> StaffUser:
    """The account of someone the issuer vouched for, with the role its claim gives them now: the
    first of ``roles_by_claim`` (claim value -> role) that ``claimed_roles`` has.

    The account is found by ``subject`` ("issuer|sub"), the issuer's lasting name for the person,
    which stays when their email changes. An account IT made before the first sign-on is found
    once by the email and linked to the subject from then on; someone with no account gets one.
    Raises SignOnRefused for someone with no role here, a disabled account, and an account
    linked to another subject: an email that comes back for someone new is not a way into the
    account of whoever had it before.
    """
    claimed = set(claimed_roles)
    role = next((role for claim, role in roles_by_claim.items() if claim in claimed), None)
    if role is None:
        raise SignOnRefused(NO_ROLE)
    user = session.scalars(select(StaffUser).where(StaffUser.oidc_subject == subject)).first() or find_user(session, email)
    if user is None:
        try:
            return add_user(session, email=email, role=role, communities=(), password=None, now=now, by=SINGLE_SIGN_ON, oidc_subject=subject)
        except AccountError as error:
            raise SignOnRefused(str(error)) from None
    if user.disabled_at is not None:
        raise SignOnRefused(DISABLED)
    if user.oidc_subject is None:
        user.oidc_subject = subject
        audit(session, SINGLE_SIGN_ON, "sso_linked", now, user.email)
    elif user.oidc_subject != subject:
        raise SignOnRefused(ANOTHER_SUBJECT)
    if user.role != role:
        # A session opened in the old role must not keep it: one that needed no second factor
        # would be a counsellor's without one.
        ended = _end_sessions(session, StaffSession.user_id == user.id, now)
        audit(session, SINGLE_SIGN_ON, "role_changed", now, f"{user.email}: {user.role} -> {role}; {ended} session(s) ended")
        user.role = role
        if role != "staff":
            user.communities = []  # only staff have communities
    return user


# The password ------------------------------------------------------------------------------------

def check_password(session: Session, email: str, password: str, now: datetime) -> StaffUser | None:
    """The user with this email and password, or None.

    An unknown address, a disabled user and one without a password take one verification, as a
    wrong password does, so the time to answer does not tell which addresses have an account.
    """
    user = find_user(session, email)
    if user is None or user.disabled_at is not None or user.password_hash is None:
        _matches(_dummy_hash(), password)
        return None
    if not _matches(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


# The second factor -------------------------------------------------------------------------------

def new_totp_secret() -> str:
    import pyotp

    return pyotp.random_base32()


def provisioning_uri(user: StaffUser, secret: str, issuer: str = "Ungebot") -> str:
    """The otpauth:// address an authenticator app takes from the QR code."""
    import pyotp

    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """``uri`` as a QR code: an <svg> element for the page, drawn here so no one else sees the secret."""
    # No fixed size: the viewBox lets the page scale the whole code, quiet zone included, to fit.
    import segno

    return segno.make(uri, error="m").svg_inline(scale=5, border=4, omitsize=True)


def enrol_second_factor(session: Session, user: StaffUser, secret: str, code: str, now: datetime, secret_key: str) -> bool:
    """Keep ``secret`` as the user's second factor if ``code`` is one it makes now, which shows that
    their app has it. A wrong code keeps nothing."""
    if user.totp_secret_sealed is not None:
        raise AccountError(f"{user.email} has a second factor already; an admin can reset it")
    step = _matching_step(secret, code, now)
    if step is None:
        return False
    from nacl.encoding import URLSafeBase64Encoder

    user.totp_secret_sealed = _box(secret_key).encrypt(secret.encode(), encoder=URLSafeBase64Encoder).decode()
    user.totp_enrolled_at = now
    user.totp_last_step = step
    audit(session, user.email, "enrolled_2fa", now)
    return True


def check_second_factor(session: Session, user: StaffUser, code: str, now: datetime, secret_key: str) -> bool:
    """Whether ``code`` is the user's code now and has not been used before: a code seen over
    someone's shoulder is worth nothing once they have signed in with it."""
    if user.totp_secret_sealed is None:
        return False
    from nacl.encoding import URLSafeBase64Encoder
    from nacl.exceptions import CryptoError

    try:
        secret = _box(secret_key).decrypt(user.totp_secret_sealed.encode(), encoder=URLSafeBase64Encoder).decode()
    except CryptoError:
        log.error("staff user %s: the second factor cannot be opened (SECRET_KEY changed?); `ungebot users reset-2fa` lets them enrol again", user.id)
        return False
    step = _matching_step(secret, code, now)
    return step is not None and _claim_step(session, user, step)


# Sessions ----------------------------------------------------------------------------------------

def idle_limit(role: str) -> timedelta:
    return IDLE_LIMIT if role in SECOND_FACTOR_ROLES else STAFF_IDLE_LIMIT


def open_session(session: Session, user: StaffUser, now: datetime, *, second_factor: bool) -> str:
    """Start a session for ``user``, whose password (or single sign-on) was just accepted, and
    return its token for the cookie: the only time the token exists outside the browser.

    ``second_factor``: nothing more is owed, as the user's role needs no second factor or the
    sign-in proved one already. Otherwise the session shows nothing but the code's page until
    ``second_factor_given`` replaces it.
    """
    token = secrets.token_urlsafe(32)
    staff_session = StaffSession(token_hash=_hash(token), user=user, created_at=now, last_seen_at=now)
    session.add(staff_session)
    if second_factor:
        staff_session.second_factor_at = user.last_sign_in_at = now
    session.flush()
    return token


def second_factor_given(session: Session, user: StaffUser, waiting_token: str, now: datetime) -> str:
    """The right code was typed: the session that waited for it ends and a new one, signed in
    completely, takes its place. A token that was about before the code opens nothing."""
    end_session(session, waiting_token, now)
    return open_session(session, user, now, second_factor=True)


def current_session(session: Session, token: str, now: datetime) -> tuple[StaffUser, StaffSession] | None:
    """The user and session a cookie's token belongs to; None when the token is unknown, signed
    out, its user disabled, or the session was idle past the user's limit (it is ended now)."""
    staff_session = _session_by_token(session, token)
    if staff_session is None or staff_session.ended_at is not None or staff_session.user.disabled_at is not None:
        return None
    user = staff_session.user
    idle = now - staff_session.last_seen_at
    if idle > idle_limit(user.role):
        if _end_sessions(session, StaffSession.id == staff_session.id, now):
            audit(session, user.email, "sign_out", now, "idle")
        return None
    if idle >= LAST_SEEN_RESOLUTION:
        staff_session.last_seen_at = now
    return user, staff_session


def end_session(session: Session, token: str, now: datetime) -> None:
    """Sign out: the token stops working at once. A token unknown or already ended is let be."""
    staff_session = _session_by_token(session, token)
    if staff_session is not None:
        _end_sessions(session, StaffSession.id == staff_session.id, now)


# The audit ---------------------------------------------------------------------------------------

def audit(session: Session, actor: str, action: str, now: datetime, detail: str | None = None) -> None:
    """Write down who did what: ``actor`` is a user's email, COMMAND_LINE, SINGLE_SIGN_ON or
    UNKNOWN_ACTOR; never a password, a code, a token or anything a young person wrote (cases have
    their own audit)."""
    session.add(StaffAudit(at=now, actor=actor, action=action, detail=detail))


def _normalised(email: str) -> str:
    return email.strip().lower()


def _existing(session: Session, email: str) -> StaffUser:
    user = find_user(session, email)
    if user is None:
        raise AccountError(f"no user {_normalised(email)!r}")
    return user


def _matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except VerifyMismatchError:
        return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    import pyotp

    totp = pyotp.TOTP(secret)
    code = code.replace(" ", "")  # apps show "123 456"
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _claim_step(session: Session, user: StaffUser, step: int) -> bool:
    # Conditional, so that of two requests with the same code only one gets through.
    claimed = session.execute(
        update(StaffUser)
        .where(StaffUser.id == user.id, or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step))
        .values(totp_last_step=step)
    )
    return claimed.rowcount == 1


def _box(secret_key: str) -> SecretBox:
    if not secret_key:
        raise ValueError("no SECRET_KEY to seal with: pass settings.app_secret_key")
    from nacl.secret import SecretBox

    return SecretBox(hmac.new(secret_key.encode(), KEY_PURPOSE, hashlib.sha256).digest())


def _session_by_token(session: Session, token: str) -> StaffSession | None:
    return session.scalars(select(StaffSession).where(StaffSession.token_hash == _hash(token))).first()


def _end_sessions(session: Session, which: ColumnElement[bool], now: datetime) -> int:
    # Conditional, so that of two requests ending the same session only one counts it.
    ended = session.execute(update(StaffSession).where(which, StaffSession.ended_at.is_(None)).values(ended_at=now))
    return ended.rowcount


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
