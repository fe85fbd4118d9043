"""Backups as docs/operations.md tells IT to take them: `pg_dump --format=custom` of a live
database, `pg_restore` into an empty one, and Ungebot runs on the copy with everything in it."""
from __future__ import annotations

import shutil
import subprocess

import pytest
from sqlalchemy import create_engine, func, select

from bot.core import clock
from bot.domain.communities import members
from bot.domain.staff import accounts
from bot.storage.migrate import is_current
from bot.storage.models import Base, Member, StaffUser

from conftest import SERVER_DATABASE, empty_postgres_database

pytestmark = pytest.mark.parametrize("database_url", [SERVER_DATABASE], indirect=True)


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is needed: apt-get install postgresql-client", pytrace=False)
    return found


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = {table.name: connection.scalar(select(func.count()).select_from(table)) for table in Base.metadata.sorted_tables}
    engine.dispose()
    return found


def test_a_dump_restores_into_an_empty_database_that_ungebot_runs_on(runtime, database_url, tmp_path):
    with runtime.db.session() as db:
        for number in range(20):
            members.add_member(db, community="torsdag", phone=f"+45201100{number:02d}", name=f"Ung {number}", source="api", now=clock.now())
        accounts.add_user(db, email="anne@kommune.dk", role="admin", communities=[], password="korrekt hest batteri", now=clock.now())
    dump = tmp_path / "ungebot.dump"
    dumped = subprocess.run(
        [tool("pg_dump"), "--format=custom", "--no-owner", f"--file={dump}", libpq(database_url)], capture_output=True, text=True, timeout=120
    )
    assert dumped.returncode == 0, dumped.stderr

    with empty_postgres_database("ungebot_restore") as restored_url:
        restored = subprocess.run(
            [tool("pg_restore"), "--no-owner", "--exit-on-error", f"--dbname={libpq(restored_url)}", str(dump)], capture_output=True, text=True, timeout=120
        )
        assert restored.returncode == 0, restored.stderr
        assert counts(restored_url) == counts(database_url)
        assert is_current(restored_url), "the copy has the schema version too"
        engine = create_engine(restored_url)
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(Member)) == 20
            assert connection.scalar(select(StaffUser.email)) == "anne@kommune.dk"
        engine.dispose()
