"""``ungebot members import``: Danish spreadsheets in, one line per bad row, the good rows kept."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.domain.communities.csv_import import CsvFileError, import_members, read_member_file
from bot.storage.migrate import upgrade
from bot.storage.models import Member

from helpers import COMMUNITY_FILE

FIXTURE = Path(__file__).parent / "fixtures" / "members.csv"
PROJECT = Path(__file__).resolve().parent.parent
CLUB = "ungdomsklub"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FIXTURE_PROBLEMS = [
    "members.csv:5: telefon: a phone number is needed",
    "members.csv:6: sprog: must be one of da, en (Danish, English)",
    "members.csv:7: påmindelse: write the time as HH:MM, e.g. 17:30",
    "members.csv:8: kontaktperson_samtykke: write ja or nej (or yes, no, 1, 0)",
]
FIXTURE_MEMBERS = [
    # phone, name, language, reminder, contact person phone, email, contact person consent given
    ("+4512345601", "Freja Testesen", "da", time(17, 30), "+4512345690", "mette@example.dk", True),
    ("+4512345602", "Oliver Prøvesen", "en", None, None, None, False),
    ("+4512345603", "Ægir Åsen", "da", time(16, 0), None, "soren@example.dk", False),
    ("+4512345608", "Line Linde", "da", time(18, 15), None, None, False),
]


def imported_members(session: Session) -> list[tuple]:
    return [
        (m.contact.urns[0].path, m.contact.name, m.contact.language, m.reminder_time, m.contact_person_phone,
         m.contact_person_email, m.contact_person_consent_at is not None)
        for m in session.scalars(select(Member).order_by(Member.id))
    ]


def import_file(runtime, path, community=CLUB):
    rows = []
    result = import_members(runtime.db, read_member_file(path), community=community, now=NOW, on_row=lambda: rows.append(1))
    assert len(rows) == result.imported + result.skipped
    return result


def test_the_good_rows_are_imported_and_each_bad_row_is_reported_by_line(runtime):
    result = import_file(runtime, FIXTURE)
    assert result.imported == 4
    assert [problem.replace(f"{FIXTURE.parent}/", "") for problem in result.problems] == FIXTURE_PROBLEMS
    with runtime.db.session() as session:
        assert imported_members(session) == FIXTURE_MEMBERS
        members = session.scalars(select(Member)).all()
        assert {(m.community, m.status, m.source, m.consent_at) for m in members} == {(CLUB, "active", "import", NOW)}


def test_importing_the_same_file_again_changes_nothing(runtime):
    import_file(runtime, FIXTURE)
    again = import_file(runtime, FIXTURE)
    assert (again.imported, again.skipped) == (4, 4)
    with runtime.db.session() as session:
        assert imported_members(session) == FIXTURE_MEMBERS
        assert [m.id for m in session.scalars(select(Member).order_by(Member.id))] == [1, 2, 3, 4]


def test_english_headers_commas_windows_1252_and_quoted_fields(runtime, tmp_path):
    path = tmp_path / "excel.csv"
    text = (
        "Name,Phone,Language,Contact person,Contact_person_phone,Contact person email,Contact person consent,Reminder time\r\n"
        '"Sørensen, Åse",+4512345611,english,Bo,12345612,bo@example.dk,yes,9:00\r\n'
        "\r\n"
        ",,,,,,,\r\n"
        '"Ida\r\nMaria",12345613,,,,,1,\r\n'
        "Too Many,12345614,da,,,,,,surplus\r\n"
        "Kasper,12345615,,,,,0,17:00\r\n"
    )
    path.write_bytes(text.encode("cp1252"))
    result = import_file(runtime, path)
    assert result.problems == [f"{path}:7: 1 value(s) more than there are columns"]
    with runtime.db.session() as session:
        assert imported_members(session) == [
            ("+4512345611", "Sørensen, Åse", "en", time(9), "+4512345612", "bo@example.dk", True),
            ("+4512345613", "Ida Maria", "da", None, None, None, True),
            ("+4512345615", "Kasper", "da", time(17), None, None, False),
        ]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "1: the file is empty; the first line must name the columns"),
        (b"navn;telefon;farve\n", "1: unknown column 'farve'; the columns are navn, telefon, sprog, kontaktperson, "
         "kontaktperson_telefon, kontaktperson_email, kontaktperson_samtykke, påmindelse (or in English)"),
        (b"navn;sprog\nIda;da\n", "1: a column 'telefon' (or 'phone') is needed"),
        (b"telefon;phone\n", "1: the column 'phone' is there twice"),
        (b"telefon\n\x81\x8d\n", " cannot read the file; save it as CSV (UTF-8) from Excel"),
    ],
    ids=["empty", "unknown-column", "no-phone", "twice", "not-text"],
)
def test_a_file_that_cannot_be_read_is_refused_as_a_whole(tmp_path, content, message):
    path = tmp_path / "members.csv"
    path.write_bytes(content)
    with pytest.raises(CsvFileError) as raised:
        read_member_file(path)
    assert str(raised.value) == f"{path}:{message}"


# The command, as a person at a terminal runs it -------------------------------------------------

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (DEBUG|INFO) ")


@pytest.fixture
def ungebot(tmp_path):
    database = f"sqlite:///{tmp_path / 'ungebot.sqlite3'}"
    upgrade(database)
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / f"{CLUB}.yaml").write_text(COMMUNITY_FILE, encoding="utf-8")
    env = {**os.environ, "DATABASE_URL": database, "PYTHONPATH": str(PROJECT), "FLOWS_DIR": str(flows)}

    def run(*args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
        # What the command says, without the log lines of loading the flows.
        result.said = [line for line in result.stderr.splitlines() if not LOG_LINE.match(line)]
        return result

    run.database = database
    return run


def test_the_command_reports_bad_rows_and_exits_1(ungebot):
    result = ungebot("members", "import", str(FIXTURE), "--community", CLUB)
    assert result.returncode == 1, result.stderr
    assert result.said == [f"{FIXTURE.parent}/{line}" for line in FIXTURE_PROBLEMS] + ["4 imported, 4 skipped"]
    assert "12345" not in result.stdout + result.stderr
    engine = create_engine(ungebot.database)
    with Session(engine) as session:
        assert imported_members(session) == FIXTURE_MEMBERS
    engine.dispose()


def test_the_command_exits_0_when_every_row_is_good_and_1_for_an_unknown_community(ungebot, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("telefon;navn\n12345601;Freja\n12345602;Oliver\n", encoding="utf-8")
    result = ungebot("members", "import", str(good), "--community", CLUB)
    assert (result.returncode, result.stdout, result.said) == (0, "2 imported, 0 skipped\n", []), result.stderr
    unknown = ungebot("members", "import", str(good), "--community", "nowhere")
    assert unknown.returncode == 1
    assert unknown.said == [f"Error: no community 'nowhere' (known: {CLUB})"]
