"""Database schema upgrades with Alembic, usable from the CLI and from tests."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.storage.db import get_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class SchemaState(Enum):
    CURRENT = "current"
    # Never migrated, or at an older revision of this release's: `ungebot db upgrade` brings it here.
    BEHIND = "behind"
    # At a revision this release does not know: a newer release has migrated it.
    NEWER = "newer"


@dataclass(frozen=True)
class SchemaVersion:
    state: SchemaState
    revision: str | None  # the database's; None if it was never migrated
    head: str  # this release's newest


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


def schema_version(url: str) -> SchemaVersion:
    """Where the database's schema stands against this release's migrations."""
    scripts = ScriptDirectory.from_config(alembic_config(url))
    head = scripts.get_current_head()
    with get_engine(url).connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
    if revision == head:
        state = SchemaState.CURRENT
    elif revision is None or revision in {script.revision for script in scripts.walk_revisions()}:
        state = SchemaState.BEHIND
    else:
        state = SchemaState.NEWER
    return SchemaVersion(state, revision, head)


def is_current(url: str) -> bool:
    return schema_version(url).state is SchemaState.CURRENT
