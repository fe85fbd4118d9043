"""What ``ungebot flows check`` reports, shared by the command and the console's flows page, so
both say the same in the same words: each problem as ``path:line: message`` (``Problem``), per
file, and the one-line summary.
"""
from __future__ import annotations

from dataclasses import dataclass

import yaml

from bot.flows.loader import FILE_KINDS, FileKind, LoadedFile, LoadResult, Problem

# Which version of a file the bot serves.
THIS_VERSION = "this"
LAST_GOOD_VERSION = "last_good"  # the file is broken now; its last good version still serves
NO_VERSION = "none"  # broken, and no good version of it was ever loaded: none of it serves


@dataclass(frozen=True)
class FileCheck:
    name: str  # the file name without .yaml (a community's slug, a flow's name)
    path: str  # as its problems name it
    kind: str | None  # "flow", "community", "counselling" or "mood"; None when it cannot be read as any
    problems: tuple[Problem, ...]
    serving: str  # THIS_VERSION, LAST_GOOD_VERSION or NO_VERSION

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(problem for problem in self.problems if not problem.warning)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(problem for problem in self.problems if problem.warning)


def summary(result: LoadResult) -> str:
    """The check's last line."""
    return f"{len(result.files)} flow file(s), {len(result.errors)} error(s), {len(result.warnings)} warning(s)"


def file_checks(result: LoadResult, served: dict[str, LoadedFile] | None = None) -> list[FileCheck]:
    """Each file of a check, by name, with its problems.

    ``result`` is the folder as it is now (``load_flows`` without a fallback, as the command
    reads it); ``served`` the files a running bot serves (its registry's ``last_result.files``),
    which tells whether a broken file's last good version is still in use.
    """
    served = served if served is not None else result.files
    by_path: dict[str, list[Problem]] = {}
    for problem in result.problems:
        by_path.setdefault(problem.path, []).append(problem)
    checks = []
    for name, loaded in sorted(result.files.items()):
        live = served.get(name)
        if loaded.valid:
            serving = THIS_VERSION
        elif live is not None and live.valid:
            serving = LAST_GOOD_VERSION
        else:
            serving = NO_VERSION
        kind = _kind_name(loaded.kind or (live.kind if live is not None and live.valid else None) or _kind_written(loaded.root))
        checks.append(FileCheck(name, str(loaded.path), kind, tuple(by_path.get(str(loaded.path), ())), serving))
    return checks


def _kind_name(kind: FileKind | None) -> str | None:
    if kind is None:
        return None
    return kind.key or "flow"


def _kind_written(root: yaml.Node | None) -> FileKind | None:
    """The kind a file that was refused means to be, by its top-level keys, as the loader tells them."""
    if not isinstance(root, yaml.MappingNode):
        return None
    keys = {key.value for key, _ in root.value}
    return next(kind for kind in FILE_KINDS if kind.key is None or kind.key in keys)
