"""The runtime a command works with: settings from the environment, logging set up, and (for
commands that touch the data) a database schema that is up to date.

What a command needs is imported when it runs, not when the CLI starts: `ungebot --help` or a
typo should answer at once, not after loading Alembic, SQLAlchemy and Redis.
"""
from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.runtime import Runtime


def command_runtime() -> Runtime:
    from bot import logs
    from bot.runtime import get_runtime

    runtime = get_runtime()
    logs.configure(runtime.settings.log_level)
    return runtime


def command_settings() -> Settings:
    """Settings and logging without a Runtime, for a command that makes none itself: the gunicorn
    master of ``ungebot web`` hands everything it has loaded on to each of its workers, and each
    worker makes its own Runtime (SQLAlchemy, Redis, RQ, the flows) with its app."""
    from bot import logs
    from bot.config import load_settings

    settings = load_settings()
    logs.configure(settings.log_level)
    return settings


def require_current_schema(runtime: Runtime) -> None:
    require_current_schema_at(runtime.settings.sqlalchemy_url)


def require_current_schema_at(url: str) -> None:
    state, revision, head = _schema_version(url)
    if state == "behind":
        raise click.ClickException("the database is not up to date: run `ungebot db upgrade`")
    if state == "newer":
        # Upgrading cannot help here, and this release's code may not fit the newer schema's contract step.
        raise click.ClickException(
            f"the database was migrated by a newer release (revision {revision}; this release's newest is "
            f"{head}): replace this release's processes with the new release's (docs/operations.md#upgrades)"
        )


def _schema_version(url: str) -> tuple[str, str | None, str]:
    """(state, the database's revision, this release's head), as ``bot.storage.migrate.schema_version``
    says, asked in a forked child where it can be.

    Alembic, Mako, Pygments and every migration script (some 15 MiB) are needed for this one
    question at start, and a web, worker or scheduler process would keep them for its whole life
    (a gunicorn master hands them on to each of its workers too). The child asks and exits; this
    process never loads them. If the child cannot tell (the database is away, say), the question
    is asked here again, so that it fails as it always did.
    """
    if "bot.storage.migrate" in sys.modules or not hasattr(os, "fork"):
        return _asked_here(url)  # loaded already (tests, `ungebot run`): nothing to save
    readable, writable = os.pipe()
    child = os.fork()
    if child == 0:
        status = 1
        try:
            os.close(readable)
            os.write(writable, json.dumps(_asked_here(url)).encode())  # well under a pipe's buffer
            from bot.storage.db import dispose_all

            dispose_all()  # the child's own connection, closed properly
            status = 0
        finally:
            os._exit(status)  # never back into the caller's code, whatever happened
    os.close(writable)
    with os.fdopen(readable, "rb") as pipe:
        answer = pipe.read()
    _, status = os.waitpid(child, 0)
    if status != 0 or not answer:
        return _asked_here(url)
    state, revision, head = json.loads(answer)
    return state, revision, head


def _asked_here(url: str) -> tuple[str, str | None, str]:
    from bot.storage.migrate import schema_version

    schema = schema_version(url)
    return schema.state.value, schema.revision, schema.head


def ready_runtime() -> Runtime:
    runtime = command_runtime()
    require_current_schema(runtime)
    return runtime


def minute(moment: datetime | None, zone: ZoneInfo) -> str:
    """A stored time as a listing shows it: local, to the minute; "-" for never."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else "-"


def echo_table(headings: Sequence[str], rows: Sequence[Sequence[str]], *, when_empty: str) -> None:
    if not rows:
        click.echo(when_empty)
        return
    table = [tuple(headings), *rows]
    widths = [max(len(row[column]) for row in table) for column in range(len(headings))]
    for row in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
