"""Members from a spreadsheet, and back: ``ungebot members import`` and the API's CSV export.

Reads what Danish staff actually have: Danish or English column names, comma or semicolon
separated, UTF-8 with or without a byte order mark, or Windows-1252 as older Danish Excel saves
it. Each bad row is reported as ``FILE:LINE: message`` and skipped; the good rows are imported,
each in its own transaction, so one bad row never costs the others.

The export writes the same columns (in Danish), so staff can export, edit in Excel and import.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.domain.communities.members import MemberError, add_member, parse_reminder_time, phone_of
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


class CsvFileError(Exception):
    """The file as a whole cannot be read (encoding, header); nothing is imported."""


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


@dataclass
class ImportResult:
    imported: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.problems)


def read_member_file(path: str | Path) -> MemberFile:
    text = _decoded(Path(path))
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise CsvFileError(f"{path}:1: the file is empty; the first line must name the columns")
    positions = _column_positions(str(path), header)
    rows: list[MemberRow] = []
    line = reader.line_num + 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            values = {name: _unescaped(cells[index].strip()) for name, index in positions.items() if index < len(cells)}
            surplus = sum(1 for cell in cells[len(header):] if cell.strip())
            rows.append(MemberRow(line, values, surplus))
        line = reader.line_num + 1
    return MemberFile(str(path), {name: header[index].strip() for name, index in positions.items()}, rows)


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
    for row in member_file.rows:
        problem = _import_row(database, row, member_file.columns, community=community, now=now)
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


def _decoded(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise CsvFileError(f"{path}: cannot read the file; save it as CSV (UTF-8) from Excel") from None


def _column_positions(path: str, header: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = cell.strip().lower().replace(" ", "_").replace("-", "_")
        if not name or name in EXPORT_ONLY_COLUMNS:
            continue
        if name not in FIELD_OF_HEADER:
            known = ", ".join(danish for danish, _ in COLUMNS.values())
            raise CsvFileError(f"{path}:1: unknown column {cell.strip()!r}; the columns are {known} (or in English)")
        if FIELD_OF_HEADER[name] in positions:
            raise CsvFileError(f"{path}:1: the column {cell.strip()!r} is there twice")
        positions[FIELD_OF_HEADER[name]] = index
    if "phone" not in positions:
        raise CsvFileError(f"{path}:1: a column 'telefon' (or 'phone') is needed")
    return positions


def _import_row(database: Database, row: MemberRow, columns: dict[str, str], *, community: str, now: datetime) -> str | None:
    """None when the row was imported, else what is wrong with it."""
    if row.surplus_values:
        return f"{row.surplus_values} value(s) more than there are columns"
    try:
        arguments = _member_arguments(row.values)
        with database.session() as session:
            add_member(session, community=community, source="import", now=now, **arguments)
    except MemberError as error:
        return f"{columns[error.field]}: {error.message}" if error.field in columns else error.message
    return None


def _member_arguments(values: dict[str, str]) -> dict:
    arguments: dict = {name: value or None for name, value in values.items()}
    arguments["phone"] = values.get("phone", "")
    if arguments.get("language"):
        arguments["language"] = LANGUAGE_WORDS.get(arguments["language"].lower(), arguments["language"].lower())
    if arguments.get("contact_person_consent"):
        word = arguments["contact_person_consent"].lower()
        if word not in CONSENT_WORDS:
            raise MemberError("contact_person_consent", "write ja or nej (or yes, no, 1, 0)")
        arguments["contact_person_consent"] = CONSENT_WORDS[word]
    if arguments.get("reminder_time"):
        arguments["reminder_time"] = parse_reminder_time(arguments["reminder_time"])
    return arguments


def excel_safe(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _unescaped(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell
