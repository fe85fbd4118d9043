"""Engine and sessions.

Statement parameters are hidden from error messages: they hold phone numbers and message text.

SQLite serialises writers; we take its write lock at BEGIN (``BEGIN IMMEDIATE``) so that a
transaction that reads and then writes cannot fail half-way with "database is locked". On
PostgreSQL the same code relies on row locks (``SELECT ... FOR UPDATE``).
"""
from __future__ import annotations

import os
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Dialect, Engine, Row
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import Executable

_engines: dict[tuple[str, bool, bool], Engine] = {}
IDLE_BEFORE_PING_SECONDS = 10.0


def get_engine(url: str, prepared_statements: bool = True, autocommit: bool = False) -> Engine:
    engine = _engines.get((url, prepared_statements, autocommit))
    if engine is None:
        engine = _create_engine(url, prepared_statements, autocommit)
        _engines[url, prepared_statements, autocommit] = engine
    return engine


def _create_engine(url: str, prepared_statements: bool, autocommit: bool) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, hide_parameters=True, connect_args={"timeout": 30, "check_same_thread": False}
        )

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection, _record):
            # Let SQLAlchemy, not the driver, decide when transactions begin.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # psycopg prepares a statement on the server after a few runs; behind PgBouncer in transaction
    # pooling the next transaction may get another server connection, where it does not exist.
    connect_args = {} if prepared_statements else {"prepare_threshold": None}
    options = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
    engine = create_engine(url, hide_parameters=True, pool_size=10, max_overflow=20, connect_args=connect_args, **options)

    # A connection that sat in the pool a while is pinged before use (the server may have restarted
    # or a firewall dropped it); one in steady use is not, which saves a round trip per request.
    # A connection that fails anyway invalidates the pool and the request fails once (Twilio and
    # Meta retry, a job is run again).
    @event.listens_for(engine, "checkin")
    def _note_checkin(_dbapi_connection, record):
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        idle_since = record.info.get("checked_in")
        if idle_since is not None and time.monotonic() - idle_since > IDLE_BEFORE_PING_SECONDS:
            try:
                alive = engine.dialect.do_ping(dbapi_connection)
            except engine.dialect.loaded_dbapi.Error:
                alive = False
            if not alive:
                raise DisconnectionError("the pooled connection was closed while idle")

    return engine


class DriverStatement:
    """A Core statement compiled once and run as the driver's SQL (``exec_driver_sql``).

    For the hot paths' single statements: a Core statement is keyed, looked up in the compiled
    cache and its parameters and rows processed at every run: 6-7 % of a webhook's CPU. Here the
    values still pass through each parameter's type (a datetime made UTC, JSON wrapped for the
    driver); the rows come back as the driver reads them, so read ids and plain columns only.
    """

    def __init__(self, statement: Executable, dialect: Dialect):
        compiled = statement.compile(dialect=dialect)
        assert not compiled.post_compile_params, "an IN list's parameters are only known at each run"
        self.sql = str(compiled)
        self._constants: dict = {}
        self._processors: dict = {}
        for bind, name in compiled.bind_names.items():
            if not bind.required:
                self._constants[name] = bind.value
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._processors[name] = processor

    def first(self, connection: Connection, values: dict) -> Row | None:
        parameters = {**self._constants, **values}
        for name, processor in self._processors.items():
            parameters[name] = processor(parameters[name])
        return connection.exec_driver_sql(self.sql, parameters).first()


def dispose_all() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


def _forget_the_parents_connections() -> None:
    # A forked child (a gunicorn worker, say) inherits the parent's pooled sockets. Used from two
    # processes, one socket mixes their statements and results: one process could read another's
    # rows. The child drops the pool without closing the sockets (they are still the parent's) and
    # opens its own connections.
    for engine in _engines.values():
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_the_parents_connections)


class Database:
    def __init__(self, url: str, prepared_statements: bool = True):
        self.url = url
        self.prepared_statements = prepared_statements
        self.engine = get_engine(url, prepared_statements)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def autocommit_engine(self) -> Engine:
        """PostgreSQL: connections on which each statement commits as it returns, in a pool of their
        own (the hot paths' single statements: a webhook stored, a message claimed). Switching a
        pooled connection to autocommit and back at each use cost 3 % of a webhook."""
        assert not self.is_sqlite, "SQLite's callers take its write lock in a transaction of their own"
        return get_engine(self.url, self.prepared_statements, autocommit=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def one_at_a_time(self, name: str, key: int) -> Iterator[None]:
        """Hold the lock ``(name, key)`` until the block ends, across the commits made inside it;
        another holder of the same lock waits.

        PostgreSQL: an advisory lock in a transaction of its own, on a connection of its own (a
        transaction-level lock is safe behind PgBouncer's transaction pooling, and a process that
        dies releases it with its connection). SQLite has one writer at a time and runs one
        worker on a laptop: there is nothing to hold.
        """
        if self.is_sqlite:
            yield
            return
        with self.engine.connect() as connection, connection.begin():
            connection.execute(_ADVISORY_LOCK, {"space": zlib.crc32(name.encode()) & 0x7FFFFFFF, "key": key})
            yield

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"


_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:space, :key)")
