"""The runtime a command works with: settings from the environment, logging set up, and (for
commands that touch the data) a database schema that is up to date.

What a command needs is imported when it runs, not when the CLI starts: `ungebot --help` or a
typo should answer at once, not after loading Alembic, SQLAlchemy and Redis.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

if TYPE_CHECKING:
    from bot.runtime import Runtime


def command_runtime() -> Runtime:
    from bot import logs
    from bot.runtime import get_runtime

    runtime = get_runtime()
    logs.configure(runtime.settings.log_level)
    return runtime


def require_current_schema(runtime: Runtime) -> None:
    from bot.storage.migrate import is_current

    if not is_current(runtime.settings.sqlalchemy_url):
        raise click.ClickException("the database is not up to date: run `ungebot db upgrade`")


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
