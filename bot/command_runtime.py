"""The runtime a command works with: settings from the environment, logging set up, and (for
commands that touch the data) a database schema that is up to date.

What a command needs is imported when it runs, not when the CLI starts: `ungebot --help` or a
typo should answer at once, not after loading Alembic, SQLAlchemy and Redis.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

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
