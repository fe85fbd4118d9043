"""Members from a spreadsheet, and back: ``ungebot members import``, the console's upload and
the API's CSV export.

Reads what Danish staff actually have: Danish or English column names, comma or semicolon
separated, UTF-8 with or without a byte order mark, or Windows-1252 as older Danish Excel saves
it. Each bad row is reported by its line and skipped; the good rows are imported, each under a
savepoint of its own, so one bad row never costs the others. A row whose phone number is a member
already updates that member: importing a file twice adds nobody twice.

A file uploaded in the console is imported by the worker, ``IMPORT_CHUNK`` rows per job, so a
web request never waits for 2,000 rows and replies to young people never wait behind them. Its
rows wait in Redis (never in a log, never on disk), are deleted when the last one is imported,
and expire after ``IMPORT_KEPT`` in any case; the progress and the line numbers of the bad rows
(not their contents) stay as long.

The export writes the same columns (in Danish), so staff can export, edit in Excel and import.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.domain import queueing
from bot.domain.communities.members import MemberError, add_member, parse_reminder_time, phone_of
from bot.runtime import Runtime
from bot.storage.db import Database
from bot.storage.models import Member

# field -> (Danish column, English column); the export uses the Danish ones.
COLUMNS = {
    "name": ("navn", "name"),
    "phone": ("telefon", "phone"),
    "language": ("sprog", "language"),
    "contact_person_name": ("kontaktperson", "contact_person"),
    "contact_person_phone": ("kontaktperson_telefon", "contact_person_phone"),
    "contact_person_email": ("kontaktperson_email", "contact_person_email"),
    "contact_person_consent": ("kontaktperson_samtykke", "contact_person_consent"),
    "reminder_time": ("påmindelse", "reminder_time"),
}
HEADER_ALIASES = {"paamindelse": "reminder_time"}
# Written by the export for staff to read; an edited export can be imported with them in place.
EXPORT_ONLY_COLUMNS = ("status", "tilmeldt")
FIELD_OF_HEADER = {header: name for name, headers in COLUMNS.items() for header in headers} | HEADER_ALIASES

CONSENT_WORDS = {"ja": True, "yes": True, "1": True, "nej": False, "no": False, "0": False}
LANGUAGE_WORDS = {"dansk": "da", "danish": "da", "engelsk": "en", "english": "en"}
# Excel runs a cell that starts with one of these as a formula; a name typed by SMS could be one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

IMPORT_CHUNK = 100
IMPORT_KEPT = timedelta(hours=1)
# No row imported for this long while rows are left: the worker stopped (a restart, a lost job).
IMPORT_STALLED = timedelta(minutes=2)


class CsvFileError(Exception):
    """The file as a whole cannot be read (encoding, header); nothing is imported.

    ``code`` names the problem and ``column`` the column it is about, for the console's words.
    """

    def __init__(self, message: str, code: str, column: str | None = None):
        super().__init__(message)
        self.code = code
        self.column = column


@dataclass(frozen=True)
class MemberRow:
    line: int
    values: dict[str, str]
    surplus_values: int = 0


@dataclass
class MemberFile:
    path: str
    columns: dict[str, str]  # field -> the column name as written in the file
    rows: list[MemberRow]


@dataclass(frozen=True)
class RowProblem:
    """Why one row was skipped: its line, the column as the file names it, and the problem, as
    ``MemberError`` names it (``code``) and words it in English (``message``)."""

    line: int
    column: str | None
    code: str
    message: str
    number: int | None = None  # the most characters ("too_long"), the values too many ("surplus")

    def __str__(self) -> str:
        return f"{self.column}: {self.message}" if self.column else self.message


@dataclass
class ImportResult:
    imported: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.problems)


@dataclass(frozen=True)
class ImportProgress:
    """An uploaded file's import as far as it has come."""

    community: str
    total: int
    done: int
    imported: int
    problems: list[RowProblem]
    stalled: bool

    @property
    def finished(self) -> bool:
        return self.done >= self.total


def read_member_file(path: str | Path) -> MemberFile:
    return parse_member_file(Path(path).read_bytes(), str(path))


def parse_member_file(data: bytes, path: str) -> MemberFile:
    """The rows of a member file's bytes; ``path`` is how problems name the file."""
    text = _decoded(data, path)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise CsvFileError(f"{path}:1: the file is empty; the first line must name the columns", "empty")
    positions = _column_positions(path, header)
    rows: list[MemberRow] = []
    line = reader.line_num + 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            values = {name: _unescaped(cells[index].strip()) for name, index in positions.items() if index < len(cells)}
            surplus = sum(1 for cell in cells[len(header):] if cell.strip())
            rows.append(MemberRow(line, values, surplus))
        line = reader.line_num + 1
    return MemberFile(path, {name: header[index].strip() for name, index in positions.items()}, rows)


def import_members(
    database: Database,
    member_file: MemberFile,
    *,
    community: str,
    now: datetime,
    on_row: Callable[[], object] | None = None,
) -> ImportResult:
    """Add every valid row to ``community`` (the caller has checked it exists)."""
    result = ImportResult()
    for first in range(0, len(member_file.rows), IMPORT_CHUNK):
        rows = member_file.rows[first:first + IMPORT_CHUNK]
        for row, problem in zip(rows, import_rows(database, rows, member_file.columns, community=community, now=now), strict=True):
            if problem:
                result.problems.append(f"{member_file.path}:{row.line}: {problem}")
            else:
                result.imported += 1
            if on_row:
                on_row()
    return result


def excel_csv(header: list[str], rows: Iterable[list]) -> bytes:
    """Semicolon-separated, formula-safe UTF-8 with a byte order mark: what Danish Excel opens right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for cells in rows:
        writer.writerow([excel_safe(cell or "") for cell in cells])
    # The byte order mark is how Excel knows the file is UTF-8 (else æøå come out garbled).
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def members_csv(members: Iterable[Member], zone: ZoneInfo) -> bytes:
    header = [danish for danish, _ in COLUMNS.values()] + list(EXPORT_ONLY_COLUMNS)
    return excel_csv(header, (_member_cells(member, zone) for member in members))


def _member_cells(member: Member, zone: ZoneInfo) -> list:
    has_contact_person = any((member.contact_person_name, member.contact_person_phone, member.contact_person_email))
    consent = "ja" if member.contact_person_consent_at else ("nej" if has_contact_person else "")
    return [
        member.contact.name,
        phone_of(member),
        member.contact.language,
        member.contact_person_name,
        member.contact_person_phone,
        member.contact_person_email,
        consent,
        member.reminder_time.strftime("%H:%M") if member.reminder_time else "",
        member.status,
        member.joined_at.astimezone(zone).date().isoformat(),
    ]


def queue_import(runtime: Runtime, data: bytes, *, community: str) -> int:
    """Read an uploaded file (``CsvFileError`` if it cannot be) and queue its rows for the worker;
    the id to follow the import by (``import_progress``). The caller has checked the community."""
    member_file = parse_member_file(data, "upload")
    import_id = int(runtime.redis.incr(f"{runtime.queue_prefix}:member-import:ids"))
    keys = _ImportKeys(runtime, import_id)
    with runtime.redis.pipeline() as pipe:
        pipe.hset(keys.progress, mapping={
            "community": community, "columns": json.dumps(member_file.columns), "total": len(member_file.rows), "claimed": 0, "done": 0, "imported": 0,
        })
        if member_file.rows:
            pipe.rpush(keys.rows, *(json.dumps([row.line, row.values, row.surplus_values]) for row in member_file.rows))
        pipe.set(keys.alive, 1, ex=IMPORT_STALLED)
        for key in (keys.progress, keys.rows):
            pipe.expire(key, IMPORT_KEPT)
        pipe.execute()
    if member_file.rows:
        runtime.enqueue([queueing.import_members(import_id)])
    return import_id


def import_next_chunk(runtime: Runtime, import_id: int, now: datetime) -> bool:
    """Import the next ``IMPORT_CHUNK`` rows of an upload; True while rows are left after them.

    The chunk is claimed first (one atomic increment), so a job run twice never imports a row twice.
    """
    keys = _ImportKeys(runtime, import_id)
    progress = runtime.redis.hgetall(keys.progress)
    if not progress:
        return False  # expired
    total = int(progress[b"total"])
    end = int(runtime.redis.hincrby(keys.progress, "claimed", IMPORT_CHUNK))
    start = end - IMPORT_CHUNK
    if start >= total:
        return False
    community, columns = progress[b"community"].decode(), json.loads(progress[b"columns"])
    rows = [MemberRow(*json.loads(raw)) for raw in runtime.redis.lrange(keys.rows, start, min(end, total) - 1)]
    problems = [problem for problem in import_rows(runtime.db, rows, columns, community=community, now=now) if problem]
    # Counted once committed: the bar never shows a row that a crash could still undo.
    with runtime.redis.pipeline() as pipe:
        if problems:
            pipe.rpush(keys.problems, *(json.dumps(problem.__dict__) for problem in problems))
        pipe.hincrby(keys.progress, "imported", len(rows) - len(problems))
        pipe.hincrby(keys.progress, "done", len(rows))
        pipe.set(keys.alive, 1, ex=IMPORT_STALLED)
        if end >= total:
            pipe.delete(keys.rows)  # the young people's data: kept no longer than needed
        for key in (keys.progress, keys.rows, keys.problems):
            pipe.expire(key, IMPORT_KEPT)
        pipe.execute()
    return end < total


def import_progress(runtime: Runtime, import_id: int) -> ImportProgress | None:
    """How far an upload's import has come; None when there is no such import (or it expired)."""
    keys = _ImportKeys(runtime, import_id)
    with runtime.redis.pipeline() as pipe:
        pipe.hgetall(keys.progress)
        pipe.lrange(keys.problems, 0, -1)
        pipe.exists(keys.alive)
        progress, problems, alive = pipe.execute()
    if not progress:
        return None
    total, done = int(progress[b"total"]), int(progress[b"done"])
    return ImportProgress(
        community=progress[b"community"].decode(),
        total=total,
        done=done,
        imported=int(progress[b"imported"]),
        problems=[RowProblem(**json.loads(problem)) for problem in problems],
        stalled=done < total and not alive,
    )


@dataclass(frozen=True)
class _ImportKeys:
    runtime: Runtime
    import_id: int

    @property
    def progress(self) -> str:
        return f"{self.runtime.queue_prefix}:member-import:{self.import_id}"

    @property
    def rows(self) -> str:
        return f"{self.progress}:rows"

    @property
    def problems(self) -> str:
        return f"{self.progress}:problems"

    @property
    def alive(self) -> str:
        return f"{self.progress}:alive"


def _decoded(data: bytes, path: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise CsvFileError(f"{path}: cannot read the file; save it as CSV (UTF-8) from Excel", "encoding") from None


def _column_positions(path: str, header: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = cell.strip().lower().replace(" ", "_").replace("-", "_")
        if not name or name in EXPORT_ONLY_COLUMNS:
            continue
        if name not in FIELD_OF_HEADER:
            known = ", ".join(danish for danish, _ in COLUMNS.values())
            raise CsvFileError(f"{path}:1: unknown column {cell.strip()!r}; the columns are {known} (or in English)", "unknown_column", cell.strip())
        if FIELD_OF_HEADER[name] in positions:
            raise CsvFileError(f"{path}:1: the column {cell.strip()!r} is there twice", "column_twice", cell.strip())
        positions[FIELD_OF_HEADER[name]] = index
    if "phone" not in positions:
        raise CsvFileError(f"{path}:1: a column 'telefon' (or 'phone') is needed", "no_phone_column")
    return positions


def import_rows(database: Database, rows: list[MemberRow], columns: dict[str, str], *, community: str, now: datetime) -> list[RowProblem | None]:
    """Add the rows' young people, each under a savepoint of its own and all in one commit (one
    commit per row would make a large file take minutes); per row, None when it was imported,
    else what is wrong with it."""
    with database.session() as session:
        return [_import_row(session, row, columns, community=community, now=now) for row in rows]


def _import_row(session: Session, row: MemberRow, columns: dict[str, str], *, community: str, now: datetime) -> RowProblem | None:
    if row.surplus_values:
        return RowProblem(row.line, None, "surplus", f"{row.surplus_values} value(s) more than there are columns", row.surplus_values)
    try:
        arguments = _member_arguments(row.values)
        with session.begin_nested():
            add_member(session, community=community, source="import", now=now, **arguments)
    except MemberError as error:
        return RowProblem(row.line, columns.get(error.field), error.code, error.message, error.limit)
    return None


def _member_arguments(values: dict[str, str]) -> dict:
    arguments: dict = {name: value or None for name, value in values.items()}
    arguments["phone"] = values.get("phone", "")
    if arguments.get("language"):
        arguments["language"] = LANGUAGE_WORDS.get(arguments["language"].lower(), arguments["language"].lower())
    if arguments.get("contact_person_consent"):
        word = arguments["contact_person_consent"].lower()
        if word not in CONSENT_WORDS:
            raise MemberError("contact_person_consent", "write ja or nej (or yes, no, 1, 0)", "consent")
        arguments["contact_person_consent"] = CONSENT_WORDS[word]
    if arguments.get("reminder_time"):
        arguments["reminder_time"] = parse_reminder_time(arguments["reminder_time"])
    return arguments


def excel_safe(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _unescaped(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell
