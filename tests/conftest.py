"""Test fixtures: a real Redis and real databases (SQLite and PostgreSQL), Twilio and Meta Graph stand-ins.

Every test that takes ``runtime`` runs once per database in UNGEBOT_TEST_DATABASES
(default: sqlite,postgresql). PostgreSQL tests use a database of their own, made and dropped here.
"""
from __future__ import annotations

import functools
import io
import logging
import os
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from bot import logs
from bot.config import load_settings
from bot.core import clock
from bot.runtime import Runtime, set_runtime
from bot.storage.db import dispose_all
from bot.storage.migrate import upgrade
from bot.storage.models import Base

# Fixtures that several test modules share: here, rather than imported from one test module into another.
pytest_plugins = ["support.staff_api", "support.instagram", "support.counselling", "support.browser", "support.console"]

PROJECT = Path(__file__).resolve().parent.parent
SHIPPED_FLOWS = PROJECT / "flows"
REDIS_URL = os.environ.get("UNGEBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
POSTGRES_ADMIN_URL = os.environ.get("UNGEBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DATABASES = os.environ.get("UNGEBOT_TEST_DATABASES", "sqlite,postgresql").split(",")
# For tests worth one run, not one per database: production's, when the tests have it.
SERVER_DATABASE = "postgresql" if "postgresql" in DATABASES else DATABASES[0]

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
FROM_NUMBER = "+4570000001"
PUBLIC_BASE_URL = "https://ungebot.example.dk"
META_APP_SECRET = "test-meta-app-secret"
META_ACCOUNT = "17841400000000001"
META_TOKEN = "EAAtestPageToken0001"
META_OTHER_ACCOUNT = "17841400000000002"
META_OTHER_TOKEN = "EAAtestPageToken0002"


@pytest.fixture(autouse=True)
def quick_password_hashing(request, monkeypatch):
    """Argon2 at its lowest cost: a staff password's hash and check take 0.15 s each at the real
    parameters, and the console's tests make and check hundreds. The tests of the accounts
    themselves (``@pytest.mark.real_password_hashing``) keep the real ones."""
    if request.node.get_closest_marker("real_password_hashing") is None:
        from argon2 import PasswordHasher

        from bot.domain.staff import accounts

        monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(scope="session")
def redis_connection():
    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except Exception as exc:  # noqa: BLE001
        pytest.exit(f"Redis must run at {REDIS_URL} for the tests ({exc}); .ci/run starts one", returncode=3)
    return connection


@contextmanager
def empty_postgres_database(prefix: str):
    """A PostgreSQL database of its own, empty and never migrated; dropped afterwards, with any
    connection still open to it."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        dispose_all()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgresql_url():
    with ExitStack() as stack:
        try:
            url = stack.enter_context(empty_postgres_database("ungebot_test"))
        except Exception as exc:  # noqa: BLE001
            pytest.exit(f"PostgreSQL must run at {POSTGRES_ADMIN_URL} for the tests ({exc}); .ci/run starts one", returncode=3)
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'ungebot.sqlite3'}"
    upgrade(url)
    return url


@functools.cache
def _emptying(url: str):
    """(engine, statements) that empty every table of ``url``'s database and start its ids at 1
    again. DELETE, not TRUNCATE: a TRUNCATE of every table took 0.2 s on PostgreSQL (new files
    for each table, index and sequence), the DELETEs of a test's few rows take 2 ms. PostgreSQL
    takes them as one statement (one round trip); SQLite one at a time."""
    # A test may restart PostgreSQL or replace a SQLite file: a connection is checked before use, or made anew.
    engine = create_engine(url, pool_pre_ping=True) if url.startswith("postgresql") else create_engine(url, poolclass=NullPool)
    statements = [f"DELETE FROM {table.name}" for table in reversed(Base.metadata.sorted_tables)]
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            sequences = connection.scalars(text("SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public'"))
            statements = ["; ".join(statements + [f"SELECT setval('{sequence}', 1, false)" for sequence in sequences])]
    return engine, statements


@pytest.fixture(params=DATABASES)
def database_url(request):
    url = request.getfixturevalue(f"{request.param}_url")
    engine, statements = _emptying(url)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    return url


def make_settings(database_url: str, **overrides):
    values = dict(
        database_url=database_url,
        redis_url=REDIS_URL,
        flows_dir=SHIPPED_FLOWS,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from_number=FROM_NUMBER,
        public_base_url=PUBLIC_BASE_URL,
        secret_key="test-secret",
        quiet_hours="21:00-08:00",
    )
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture(scope="session")
def twilio_standin():
    from support.twilio_standin import TwilioStandin

    with TwilioStandin(ACCOUNT_SID, AUTH_TOKEN) as standin:
        yield standin


@pytest.fixture
def twilio(twilio_standin):
    """Twilio's REST API, as a local server that checks every request against Twilio's OpenAPI spec."""
    twilio_standin.reset()
    yield twilio_standin
    assert twilio_standin.violations == [], "requests that break Twilio's API spec"


@pytest.fixture(scope="session")
def graph_standin():
    from support.graph_standin import GraphStandin

    with GraphStandin(META_APP_SECRET, {META_TOKEN: META_ACCOUNT, META_OTHER_TOKEN: META_OTHER_ACCOUNT}) as standin:
        yield standin


@pytest.fixture
def graph(graph_standin):
    """Meta's Graph API Send API, as a local server that checks every request as Meta would."""
    graph_standin.reset()
    yield graph_standin
    assert graph_standin.violations == [], "requests Meta's Send API would refuse"


@pytest.fixture
def runtime_factory(database_url, redis_connection, twilio_standin, graph_standin):
    made = []

    def make(**overrides) -> Runtime:
        overrides.setdefault("twilio_api_url", twilio_standin.url)
        overrides.setdefault("meta_graph_url", graph_standin.url)
        overrides.setdefault("meta_app_secret", META_APP_SECRET)
        overrides.setdefault("meta_page_access_token", META_TOKEN)
        runtime = Runtime(make_settings(database_url, **overrides), queue_prefix=f"ungebot-test-{uuid.uuid4().hex[:8]}")
        set_runtime(runtime)
        made.append(runtime)
        return runtime

    yield make
    set_runtime(None)
    clock.reset()
    for runtime in made:
        for queue in runtime.queues:
            queue.delete(delete_jobs=True)
        runtime.redis.delete(f"{runtime.queue_prefix}:queues-kept")


@pytest.fixture
def runtime(runtime_factory) -> Runtime:
    return runtime_factory()


@pytest.fixture
def captured_logs():
    """Everything the program logs during the test, at DEBUG, as one text."""
    stream = io.StringIO()
    logs.configure("DEBUG", stream)
    yield stream.getvalue
    logging.getLogger().handlers.clear()
