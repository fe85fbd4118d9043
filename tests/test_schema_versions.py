"""A process starts only on the schema its release expects. A database behind the release is to be
upgraded; one a newer release has migrated is refused with what to do instead: replace this
release's processes with the new release's (docs/operations.md#upgrades)."""
from __future__ import annotations

import uuid

import click
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from bot.cli import cli
from bot.command_runtime import require_current_schema
from bot.runtime import Runtime, set_runtime
from bot.storage.db import dispose_all
from bot.storage.migrate import SchemaState, alembic_config, schema_version, upgrade

from conftest import DATABASES, empty_postgres_database, make_settings

NEWER_REVISION = "0999_from_a_newer_release"


@pytest.fixture(params=DATABASES)
def empty_database(request, tmp_path):
    """A database of this test's own, never migrated: the suite's shared one must keep its version."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ungebot.sqlite3'}"
        dispose_all()
        return
    with empty_postgres_database("ungebot_test_schema") as url:
        yield url


def migrated_by_a_newer_release(url: str) -> str:
    """What a newer release's `db upgrade` leaves: a revision this release has never heard of."""
    upgrade(url)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :revision"), {"revision": NEWER_REVISION})
    engine.dispose()
    return url


def refusal(url: str) -> str | None:
    """What a command of this release says when it will not start on ``url``; None if it starts."""
    try:
        require_current_schema(Runtime(make_settings(url)))
    except click.ClickException as refused:
        return refused.message
    return None


def this_releases_head(url: str) -> str:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def test_a_database_at_this_releases_head_is_current(empty_database):
    upgrade(empty_database)
    version = schema_version(empty_database)
    assert (version.state, version.revision) == (SchemaState.CURRENT, this_releases_head(empty_database))
    assert refusal(empty_database) is None


def test_a_database_never_migrated_is_behind_and_told_to_upgrade(empty_database):
    assert schema_version(empty_database).state is SchemaState.BEHIND
    assert refusal(empty_database) == "the database is not up to date: run `ungebot db upgrade`"


def test_a_database_at_an_older_revision_is_behind_until_upgraded(empty_database):
    head = this_releases_head(empty_database)
    previous = ScriptDirectory.from_config(alembic_config(empty_database)).get_revision(head).down_revision
    command.upgrade(alembic_config(empty_database), previous)
    assert schema_version(empty_database).state is SchemaState.BEHIND
    assert refusal(empty_database) == "the database is not up to date: run `ungebot db upgrade`"
    upgrade(empty_database)
    assert refusal(empty_database) is None


def test_a_database_a_newer_release_migrated_is_refused_with_its_revision_and_what_to_do(empty_database):
    url = migrated_by_a_newer_release(empty_database)
    version = schema_version(url)
    assert (version.state, version.revision, version.head) == (SchemaState.NEWER, NEWER_REVISION, this_releases_head(url))
    assert refusal(url) == (
        f"the database was migrated by a newer release (revision {NEWER_REVISION}; this release's newest is "
        f"{this_releases_head(url)}): replace this release's processes with the new release's (docs/operations.md#upgrades)"
    )


@pytest.mark.parametrize("arguments", [["worker", "--burst"], ["status"], ["db", "upgrade"]], ids=["worker", "status", "db upgrade"])
def test_an_old_process_started_after_a_newer_release_migrated_refuses_to_start(empty_database, monkeypatch, arguments):
    url = migrated_by_a_newer_release(empty_database)
    # The commands set up logging for a terminal; in-process that would outlive the test's streams.
    monkeypatch.setattr("bot.logs.configure", lambda *args, **kwargs: None)
    set_runtime(Runtime(make_settings(url), queue_prefix=f"ungebot-test-{uuid.uuid4().hex[:8]}"))
    try:
        result = CliRunner().invoke(cli, arguments)
    finally:
        set_runtime(None)
    assert result.exit_code == 1
    assert f"Error: the database was migrated by a newer release (revision {NEWER_REVISION};" in result.stderr
    assert "Traceback" not in result.output
    assert schema_version(url).revision == NEWER_REVISION
