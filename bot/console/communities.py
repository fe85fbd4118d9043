"""The communities page: the viewer's communities (every one for an admin) with their members and
next meeting, and one community's schedule as staff wrote it, its next dates (cancelled ones with
their reason, extras marked), place, staff and reminder.

A community file that fails to load is shown at the top as ``file:line: message``, as ``ungebot
flows check`` says it, with whether its last good version still runs. Staff see the errors of
their own communities' files and of the flow files every community shares; an admin sees all.
Events are listed by ``bot.domain.communities.overview``, as the REST API lists them.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml
from babel.dates import format_date
from flask import render_template

from bot.console.access import community_or_abort, my_communities, requires, runtime, viewer
from bot.console.blueprint import blueprint, language, menu
from bot.core import clock
from bot.domain.communities import reminders
from bot.domain.communities.overview import CommunityEvent, member_counts, next_events
from bot.engine.localized import text_variants
from bot.flows import yamlfile
from bot.flows.loader import FILE_KINDS, LoadedFile, Problem

ROLES = ("staff", "admin")
NEXT_DATES = 8
SCHEDULE_KEYS = ("schedule", "cancelled", "extra")
MEMBER_STATUSES = ("active", "joining", "left", "declined")
DAY_FORMATS = {"da": "EEEE d. MMMM", "en": "EEEE d MMMM"}

menu(30, "communities_page", "communities_menu", current=("community_page",))


@dataclass(frozen=True)
class FileTrouble:
    file: str  # the file's name in the flows folder, e.g. torsdag.yaml
    problems: tuple[str, ...]  # file:line: message
    last_good_runs: bool  # an earlier version of the file serves meanwhile


@dataclass(frozen=True)
class Listed:
    slug: str
    name: str
    schedule: str
    active_members: int
    next_event: CommunityEvent | None


@blueprint.get("/communities")
@requires(*ROLES)
def communities_page():
    troubles = file_troubles()
    communities = my_communities()
    rt = runtime()
    reminders.plan_now(rt)
    now = clock.now()
    with rt.db.session() as db:
        counts = member_counts(db)
        listed = [
            Listed(
                slug, community.name, community.describe(language()), counts.get(slug, {}).get("active", 0),
                next((event for event in next_events(db, rt.settings.zone, slug, community, now, NEXT_DATES) if not event.cancelled), None),
            )
            for slug, community in sorted(communities.items(), key=lambda item: item[1].name.casefold())
        ]
    return render_template("console/communities.html", troubles=troubles, listed=listed, when=_when)


@blueprint.get("/communities/<slug>")
@requires(*ROLES)
def community_page(slug: str):
    community = community_or_abort(slug)
    troubles = file_troubles(only=slug)
    loaded = runtime().flows.last_result.files.get(slug)
    written = _schedule_as_written(loaded.path) if loaded is not None else None
    rt = runtime()
    reminders.plan_now(rt)
    with rt.db.session() as db:
        counts = member_counts(db).get(slug, {})
        upcoming = next_events(db, rt.settings.zone, slug, community, clock.now(), NEXT_DATES)
    reminder = community.reminder
    return render_template(
        "console/community.html", slug=slug, community=community, troubles=troubles, file=loaded.path.name if loaded else None,
        written=written, described=community.describe(language()), upcoming=upcoming, when=_when,
        counts=[(status, counts.get(status, 0)) for status in MEMBER_STATUSES],
        reminder_time=reminder.time.strftime("%H:%M") if reminder else None,
        reminder_texts=list(text_variants(reminder.text)) if reminder else [],
    )


def _when(event: CommunityEvent) -> tuple[str, str]:
    """(the day, the time) of an event as staff read them, e.g. "torsdag 3. december" and its start and end."""
    zone = runtime().settings.zone
    chosen = language()
    day = format_date(event.local_date, DAY_FORMATS[chosen], locale=chosen)
    return day, f"{_local(event.starts_at, zone)}–{_local(event.ends_at, zone)}"


def _local(moment: datetime, zone) -> str:
    return moment.astimezone(zone).strftime("%H:%M")


# The files that fail to load ---------------------------------------------------------------------

def file_troubles(only: str | None = None) -> list[FileTrouble]:
    """The flow folder's files with errors that the viewer may see (or file ``only``'s), by name."""
    registry = runtime().flows
    registry.current()  # reads a file again if it has changed
    result = registry.last_result
    by_path: dict[str, list[Problem]] = {}
    for problem in result.errors:
        by_path.setdefault(problem.path, []).append(problem)
    troubles = []
    for path, problems in sorted(by_path.items()):
        name = Path(path).stem
        loaded = result.files.get(name)
        if (only is None or name == only) and _theirs(name, Path(path), loaded):
            shown = Path(path).name
            troubles.append(FileTrouble(shown, tuple(f"{shown}:{p.line}: {p.message}" for p in problems), loaded is not None and loaded.valid))
    return troubles


def _theirs(name: str, path: Path, loaded: LoadedFile | None) -> bool:
    """An admin's: every file. Staff's: their communities' files, and the flows every community
    shares; another community's file, and one that cannot be told apart from one, is not theirs."""
    signed = viewer()
    return signed.works_in(name) or _kind(path, loaded) == "flow"


def _kind(path: Path, loaded: LoadedFile | None) -> str:
    """What the file is: community, mood, counselling or flow; "" when it cannot be read to tell."""
    if loaded is not None and loaded.kind is not None:
        return loaded.kind.key or "flow"
    root = _compose(path)
    if not isinstance(root, yaml.MappingNode):
        return ""
    keys = {key.value for key, _ in root.value}
    return next((kind.key for kind in FILE_KINDS if kind.key in keys), "flow")


def _compose(path: Path, source: str | None = None) -> yaml.Node | None:
    try:
        return yamlfile.compose(path.read_text(encoding="utf-8") if source is None else source)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def _schedule_as_written(path: Path) -> str | None:
    """The ``schedule:``, ``cancelled:`` and ``extra:`` parts of a community file as they are
    written in it now, comments included; "" if it has none, None if it cannot be read."""
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    root = _compose(path, source)
    community = next((value for key, value in root.value if key.value == "community"), None) if isinstance(root, yaml.MappingNode) else None
    if not isinstance(community, yaml.MappingNode):
        return None
    lines = source.splitlines()
    written: list[str] = []
    for key, value in community.value:
        if key.value in SCHEDULE_KEYS:
            written += _lines_of(lines, key, value)
    return textwrap.dedent("\n".join(written))


def _lines_of(lines: list[str], key: yaml.Node, value: yaml.Node) -> list[str]:
    """A key's lines with its value's, and the comment lines right above it (they are about it)."""
    first = key.start_mark.line
    while first > 0 and lines[first - 1].strip().startswith("#"):
        first -= 1
    end = value.end_mark
    # A block ends where the next key starts; a value in [brackets] ends on its own last line.
    last = end.line + 1 if end.line < len(lines) and lines[end.line][: end.column].strip() else end.line
    block = lines[first:last]
    while block and (not block[-1].strip() or block[-1].strip().startswith("#")):
        block.pop()  # blank lines and comments before the next key belong to that key
    return block
