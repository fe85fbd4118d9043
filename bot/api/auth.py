"""Bearer tokens and roles for the REST API.

A token is shown once when it is made; the database keeps only its SHA-256. A token is looked up
by that hash: the timing of the lookup can only tell an attacker about hashes of strings they
chose, never about a stored token, so there is no secret to compare in constant time.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import request
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.api import ROLES
from bot.api.errors import ApiError
from bot.core import clock
from bot.storage.models import ApiToken

TOKEN_PREFIX = "ungb_"
NAME_MAX = 100
# Recording every request would turn each read into a write; a minute is precise enough to audit.
LAST_USED_RESOLUTION = timedelta(minutes=1)

log = logging.getLogger(__name__)


class TokenError(Exception):
    pass


@dataclass(frozen=True)
class Caller:
    """Who is calling: the token's name (for logs and audit) and its role."""

    name: str
    role: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def grants(role: str, required: str) -> bool:
    """Whether a token of ``role`` may use a route that requires ``required``.

    admin may use every route but the counsellor's: what young people wrote in an anonymous case
    is for the counsellor role alone, so only a counsellor token opens those routes.
    """
    if required == "counsellor":
        return role == "counsellor"
    return role == "admin" or role == required


def create_token(session: Session, *, name: str, role: str, now: datetime) -> str:
    """Store a new token and return it; this is the only time it can be seen."""
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise TokenError(f"the name must be 1 to {NAME_MAX} characters")
    if role not in ROLES:
        raise TokenError(f"the role must be one of {', '.join(ROLES)}")
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise TokenError(f"a token named {name!r} exists already; choose another name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, role=role, token_hash=hash_token(token), created_at=now))
    session.flush()
    return token


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.name)))


def revoke_token(session: Session, name: str, now: datetime) -> ApiToken:
    token = session.scalars(select(ApiToken).where(ApiToken.name == name)).first()
    if token is None:
        raise TokenError(f"no token named {name!r}")
    if token.revoked_at is None:
        token.revoked_at = now
    return token


def authenticate(runtime, required_role: str) -> Caller:
    """The caller of this request, if their token is valid and its role grants ``required_role``."""
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise _unauthorised("send an API token as 'Authorization: Bearer <token>'", invalid=False)
    now = clock.now()
    with runtime.db.session() as session:
        token = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(presented.strip()))).first()
        if token is None or token.revoked_at is not None:
            if token is not None:
                log.warning("api: revoked token %r used", token.name)
            raise _unauthorised("the API token is not valid (unknown or revoked)", invalid=True)
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            # Conditional, so concurrent requests with the same token write once.
            session.execute(
                update(ApiToken)
                .where(
                    ApiToken.id == token.id,
                    or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - LAST_USED_RESOLUTION),
                )
                .values(last_used_at=now)
            )
        caller = Caller(token.name, token.role)
    if not grants(caller.role, required_role):
        raise ApiError(403, f"the role {caller.role!r} may not use this route")
    return caller


def _unauthorised(detail: str, *, invalid: bool) -> ApiError:
    challenge = 'Bearer realm="ungebot"' + (', error="invalid_token"' if invalid else "")
    return ApiError(401, detail, headers={"WWW-Authenticate": challenge})
