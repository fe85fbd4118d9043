"""Configuration from the environment (12-factor).

Every setting is read once, validated, and reported by its environment variable name when it is
missing or wrong, so an operator sees one line that says what to fix.
"""
from __future__ import annotations

import base64
import binascii
import math
import os
import re
import secrets
from collections.abc import Callable, Mapping
from datetime import time
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.phone import InvalidPhoneNumber, normalise_phone

PROJECT_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path.cwd() / "instance"


class ConfigError(Exception):
    """Raised with one human-readable line naming the offending variable."""


def _quiet_hours(value: str) -> tuple[time, time] | None:
    value = value.strip()
    if value.lower() == "off":
        return None
    match = re.fullmatch(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", value)
    if not match:
        raise ValueError("must look like 21:00-08:00, or be 'off'")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        start, end = time(h1, m1), time(h2, m2)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid time range ({exc})") from None
    if start == end:
        raise ValueError("start and end are the same; use 'off' to disable quiet hours")
    return start, end


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Copenhagen") from None
    return value


def _send_rate(value: object) -> float:
    """Messages per second per sender; empty or 0 means no limit."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0.0
    try:
        rate = float(str(value).strip().removesuffix("/s"))
    except ValueError:
        raise ValueError(f"{value!r} is not a number of messages per second (e.g. 1, 0.5 or 30; empty or 0 for no limit)") from None
    if not math.isfinite(rate) or rate < 0:
        raise ValueError(f"{value!r} must be 0 (no limit) or a positive number of messages per second")
    if rate > 10_000:
        raise ValueError(f"{value!r} is more than 10000 messages per second; leave it empty for no limit")
    return rate


def _case_key(value: str) -> str:
    if not value:
        return value
    try:
        raw = base64.urlsafe_b64decode(value.strip() + "=" * (-len(value.strip()) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ValueError("must be 32 bytes in URL-safe base64; `ungebot cases keys` makes a set")
    return value.strip()


def _url(value: str) -> str:
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value.rstrip("/")


def _issuer(value: str) -> str:
    """An OpenID Connect issuer: https, as the client secret and the ID token pass through it
    (http only on this machine, for a test issuer)."""
    if not value:
        return value
    value = _url(value)
    # Authlib's own rule, as its client applies it; imported only where an issuer is set.
    from authlib.common.security import is_secure_transport

    if not is_secure_transport(value):
        raise ValueError(f"{value!r} is not an https URL")
    return value


def _checked(parse):
    """Keep the variable's text, but refuse it at start if ``parse`` cannot read it."""

    def check(value: str) -> str:
        parse(value)
        return value

    return check


def _pairs(value: str, shape: str, key_is_valid: Callable[[str], bool] = bool) -> dict[str, str]:
    """``key=value,key=value`` as a dict, in its order; ``shape`` names the pair in the error."""
    pairs = {}
    for part in value.split(","):
        if not part.strip():
            continue
        key, equals, item = (piece.strip() for piece in part.partition("="))
        if not equals or not key_is_valid(key) or not item:
            raise ValueError(f"must be {shape} pairs separated by commas")
        pairs[key] = item
    return pairs


def _addresses(value: str) -> list[tuple[str, int]]:
    """``host:port,host:port`` as pairs."""
    found = []
    for part in (piece.strip() for piece in value.split(",") if piece.strip()):
        host, colon, port = part.rpartition(":")
        if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{part!r} is not host:port (e.g. sentinel1.kommune.local:26379)")
        found.append((host, int(port)))
    return found


def _account_tokens(value: str) -> dict[str, str]:
    return _pairs(value, "'<account id>=<token>'", str.isdigit)


def _roles_by_claim(value: str) -> dict[str, str]:
    return _pairs(value, "'<claim value>=<role>'")


def _origins(value: str) -> tuple[str, ...]:
    parts = [part.strip() for part in value.split(",") if part.strip()]
    for origin in parts:
        if not re.fullmatch(r"https?://[^/\s]+", origin):
            raise ValueError(f"{origin!r} is not an origin such as https://www.kommune.dk (no path, no trailing slash)")
    return tuple(parts)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    database_url: str = ""
    # Off behind PgBouncer in transaction pooling (docs/operations.md): psycopg then prepares nothing on the server.
    database_prepared_statements: bool = True
    redis_url: str = "redis://localhost:6379/0"
    # A Sentinel-managed Redis: the sentinels (host:port,host:port) and the name of the master they
    # watch; REDIS_URL then gives only the database number, the password and TLS (rediss://).
    redis_sentinels: Annotated[str, AfterValidator(_checked(_addresses))] = ""
    redis_sentinel_master: str = "mymaster"
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from_number: str = ""
    twilio_messaging_service_sid: str = ""
    twilio_api_url: Annotated[str, AfterValidator(_url)] = "https://api.twilio.com"
    public_base_url: Annotated[str, AfterValidator(lambda v: _url(v) if v else v)] = ""
    flows_dir: Path = PROJECT_DIR / "flows"
    timezone: Annotated[str, AfterValidator(_timezone)] = "Europe/Copenhagen"
    quiet_hours: str = "21:00-08:00"
    secret_key: str = ""
    port: int = Field(default=5000, ge=1, le=65535)
    log_level: str = "INFO"
    queue_prefix: str = Field(default="ungebot", pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    # Messages per second per sender (Twilio number or Messaging Service), shared by all workers;
    # 0 (or empty) is no limit. Bulk messages wait for it; direct replies never do.
    send_rate: Annotated[float, BeforeValidator(_send_rate)] = 0.0
    # Anonymous cases (docs/privacy.md): the hash key recognises a sender, the public key seals
    # their address, and only the sending worker holds the private key that opens it.
    case_hash_key: Annotated[str, AfterValidator(_case_key)] = ""
    case_public_key: Annotated[str, AfterValidator(_case_key)] = ""
    case_private_key: Annotated[str, AfterValidator(_case_key)] = ""
    # Only while the keys are rotated (docs/operations.md): the old hash key recognises senders
    # of rows not yet re-keyed; the old private key (workers only) opens their sealed addresses.
    case_previous_hash_key: Annotated[str, AfterValidator(_case_key)] = ""
    case_previous_private_key: Annotated[str, AfterValidator(_case_key)] = ""
    case_retention_days: int = Field(default=90, ge=1, le=3650)
    # Instagram (Meta's Messenger Platform): the app secret checks webhooks and signs tokens
    # (appsecret_proof); the verify token answers Meta's subscription handshake. One page
    # access token for every connected account, or one per account in META_PAGE_ACCESS_TOKENS
    # ("<account id>=<token>,..."), which wins for its accounts.
    meta_app_secret: str = ""
    meta_verify_token: str = ""
    meta_page_access_token: str = ""
    meta_page_access_tokens: Annotated[str, AfterValidator(_checked(_account_tokens))] = ""
    meta_graph_url: Annotated[str, AfterValidator(_url)] = "https://graph.facebook.com"
    meta_graph_version: str = Field(default="v21.0", pattern=r"^v\d+\.\d+$")
    # Web chat: the sites (https://www.kommune.dk) that may embed the widget; empty: none but our own.
    webchat_origins: Annotated[str, AfterValidator(_checked(_origins))] = ""
    # Where the quick-exit button sends a young person who is being watched.
    webchat_exit_url: Annotated[str, AfterValidator(_url)] = "https://www.dr.dk"
    # Single sign-on to the console (OpenID Connect, e.g. Microsoft Entra ID): the issuer (its
    # discovery document is at <issuer>/.well-known/openid-configuration) and Ungebot's
    # registration there. Empty: passwords only.
    oidc_issuer: Annotated[str, AfterValidator(_issuer)] = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    # The ID token's claim that holds a person's roles at the issuer, and which of its values is
    # which role here; someone with several gets the first that OIDC_ROLES names.
    oidc_role_claim: str = "roles"
    oidc_roles: Annotated[str, AfterValidator(_checked(_roles_by_claim))] = (
        "ungebot-staff=staff,ungebot-counsellor=counsellor,ungebot-admin=admin"
    )

    @field_validator("quiet_hours")
    @classmethod
    def _check_quiet_hours(cls, value: str) -> str:
        _quiet_hours(value)
        return value

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return value

    @field_validator("twilio_account_sid", "twilio_messaging_service_sid")
    @classmethod
    def _check_sid(cls, value: str, info) -> str:
        prefix = "AC" if info.field_name == "twilio_account_sid" else "MG"
        if value and not re.fullmatch(rf"{prefix}[0-9a-fA-F]{{32}}", value):
            raise ValueError(f"must be '{prefix}' followed by 32 hexadecimal characters")
        return value

    @field_validator("twilio_from_number")
    @classmethod
    def _check_from_number(cls, value: str) -> str:
        if not value:
            return value
        try:
            return normalise_phone(value)
        except InvalidPhoneNumber as exc:
            raise ValueError(str(exc)) from None

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if value and not re.match(r"^(sqlite|postgres|postgresql)(\+\w+)?://", value):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str) -> str:
        if not re.match(r"^rediss?://|^unix://", value):
            raise ValueError(f"{value!r} is not a redis:// URL")
        return value

    @model_validator(mode="after")
    def _twilio_is_complete(self) -> Settings:
        if not self.twilio_account_sid:
            return self
        if not self.twilio_auth_token:
            raise ValueError("TWILIO_AUTH_TOKEN: required when TWILIO_ACCOUNT_SID is set")
        if not (self.twilio_from_number or self.twilio_messaging_service_sid):
            raise ValueError(
                "TWILIO_FROM_NUMBER: set it or TWILIO_MESSAGING_SERVICE_SID when TWILIO_ACCOUNT_SID is set"
            )
        return self

    @model_validator(mode="after")
    def _case_keys_are_complete(self) -> Settings:
        if (self.case_private_key or self.case_public_key) and not self.case_hash_key:
            raise ValueError("CASE_HASH_KEY: required when CASE_PUBLIC_KEY or CASE_PRIVATE_KEY is set")
        if self.case_hash_key and not (self.case_public_key or self.case_private_key):
            raise ValueError("CASE_PUBLIC_KEY: required when CASE_HASH_KEY is set")
        return self

    @model_validator(mode="after")
    def _single_sign_on_is_complete(self) -> Settings:
        if self.oidc_issuer and not self.oidc_client_id:
            raise ValueError("OIDC_CLIENT_ID: required when OIDC_ISSUER is set")
        if self.oidc_issuer and not self.oidc_client_secret:
            raise ValueError("OIDC_CLIENT_SECRET: required when OIDC_ISSUER is set")
        return self

    @property
    def oidc_role_map(self) -> dict[str, str]:
        """Which value of the role claim (``OIDC_ROLE_CLAIM``) is which role here, in ``OIDC_ROLES``'s order."""
        return _roles_by_claim(self.oidc_roles)

    @property
    def instagram_enabled(self) -> bool:
        return bool(self.meta_app_secret)

    def meta_token_for(self, account_id: str) -> str:
        """The page access token that sends from ``account_id`` ("" when there is none)."""
        return _account_tokens(self.meta_page_access_tokens).get(account_id, self.meta_page_access_token)

    @property
    def embedding_origins(self) -> tuple[str, ...]:
        """The sites that may embed the web chat (``WEBCHAT_ORIGINS``)."""
        return _origins(self.webchat_origins)

    @property
    def sentinel_addresses(self) -> list[tuple[str, int]]:
        return _addresses(self.redis_sentinels)

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_account_sid)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def quiet_window(self) -> tuple[time, time] | None:
        return _quiet_hours(self.quiet_hours)

    @property
    def app_secret_key(self) -> str:
        """SECRET_KEY: Flask signs with it, and staff accounts seal their TOTP secrets with a key
        derived from it (bot.domain.staff.accounts). The app reads it once, as Flask's secret key."""
        return self.secret_key or _local_secret_key()

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Heroku-style URLs name the old driver; SQLAlchemy 2 wants an explicit one.
            if url.startswith("postgres://"):
                url = "postgresql://" + url[len("postgres://"):]
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://"):]
            return url
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{INSTANCE_DIR / 'ungebot.sqlite3'}"


def _local_secret_key() -> str:
    """A key kept in instance/ for a laptop; servers set SECRET_KEY so all processes share one."""
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def secrets_from_files(environ: Mapping[str, str]) -> dict[str, str]:
    """``NAME_FILE=/run/secrets/name`` for every setting ``NAME``: the file's content, as Docker
    secrets and systemd credentials (``LoadCredential=``, ``%d/name``) hand secrets over, so they
    need not sit in the environment. A setting given both ways is refused, as is a file that
    cannot be read; a final newline is not part of the secret."""
    found = {}
    for field in Settings.model_fields:
        name = field.upper()
        path = environ.get(f"{name}_FILE")
        if not path:
            continue
        if environ.get(name):
            raise ConfigError(f"{name}_FILE: {name} is set as well; give it one way")
        try:
            found[field] = Path(path).read_text(encoding="utf-8").removesuffix("\n").removesuffix("\r")
        except OSError as exc:
            raise ConfigError(f"{name}_FILE: cannot read {path}: {exc.strerror}") from None
    return found


def load_settings(**overrides) -> Settings:
    """Read settings, turning validation errors into one line that names the variable."""
    try:
        return Settings(**{**secrets_from_files(os.environ), **overrides})
    except ValidationError as exc:
        error = exc.errors()[0]
        message = error["msg"].removeprefix("Value error, ")
        if error["loc"]:
            name = str(error["loc"][0]).upper()
            raise ConfigError(f"{name}: {message}") from None
        raise ConfigError(message) from None
