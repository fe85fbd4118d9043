"""What is wrong with YAML that cannot be read, in words the person who wrote it can act on.

PyYAML says what its parser expected ("expected <block end>, but found '<block mapping start>'",
"mapping values are not allowed here"); staff need to hear what they did. The common mistakes
are told apart by looking at the lines themselves: a tab, a line indented differently from the
lines above it, a missing space after a colon, and a colon or ``{{`` in a text without quotes.
Any other error keeps PyYAML's words.
"""
from __future__ import annotations

import re

import yaml

YAML_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
# "key:value": a key, a colon and no space. Not "https://", which is a text, not a key.
_SQUEEZED = re.compile(r"^((?:-\s+)*)([^\W\d][\w-]*):(?=[^\s/])(.*)$")
# A line that starts a block text (``end: >-``, ``- |``): the lines under it are text, not keys.
_BLOCK_TEXT = re.compile(r"(?:^|:|-)\s*[|>][-+0-9]*\s*(?:#.*)?$")
# The key a line starts with ("ask:", "- name:"), to point at it.
_KEY = re.compile(r"(?:-\s+)*[^\s:#'\"][^:#]*?:(?=\s|$)")
_DASHES = re.compile(r"(?:-\s+)+")
# A line whose next lines are its value: "key:", "-", "key: &anchor", each maybe with a comment.
_OPENS_BLOCK = re.compile(r"(?:^\s*-|:)(?:\s+[&!]\S+)*\s*(?:#.*)?$")
# A colon and a space inside a text after "key: " (``send: Husk: vi ses``).
_COLON_IN_TEXT = re.compile(r"^(\s*(?:-\s+)*[^\s:#'\"][^:#]*?:\s+)([^'\"\s{\[|>].*?:\s.*)$")
# A text that starts with a template (``end: {{ name }}, hej``), read as a { mapping.
_TEMPLATE_FIRST = re.compile(r"^(\s*(?:-\s+)*(?:[^\s:#'\"][^:#]*?:\s+)?)(\{\{.*)$")
_MAPPING_VALUE = "mapping values are not allowed here"
_NO_COLON = "could not find expected ':'"
# What PyYAML says when a line is indented like none of the lines above it.
_INDENTATION_PROBLEMS = ("expected <block end>", _MAPPING_VALUE, _NO_COLON, "did not find expected key", "did not find expected '-'")


def yaml_error_position(exc: yaml.MarkedYAMLError) -> tuple[int, str]:
    """(line, message) for a YAML error, pointing where a person would look for it."""
    problem = exc.problem or "not valid YAML"
    mark = exc.problem_mark
    if exc.context and exc.context_mark and ("end of stream" in problem or "<stream end>" in problem):
        # An unclosed quote or bracket: the end of the file is not where the mistake is.
        opened = exc.context.removeprefix("while scanning ").removeprefix("while parsing ")
        opened = {"a quoted scalar": "a quoted text", "a flow sequence": "a [ list", "a flow mapping": "a { mapping"}.get(opened, opened)
        return exc.context_mark.line + 1, f"YAML syntax: {opened} is never closed"
    if mark is not None and isinstance(mark.buffer, str):
        lines = YAML_LINE_BREAK.split(mark.buffer.removesuffix("\0"))
        context_line = exc.context_mark.line if exc.context_mark is not None else None
        explained = _explained(lines, mark.line, mark.column, problem, context_line)
        if explained is not None:
            line, message = explained
            return line + 1, f"YAML syntax: {message}"
    return (mark.line + 1 if mark else 1), f"YAML syntax: {problem}"


def missing_space(text: str) -> str | None:
    """What to say when ``text`` is a key and its value with no space after the colon
    ("send:Hej", which YAML reads as one word); None when it is not."""
    found = _SQUEEZED.match(text.strip())
    if found is None:
        return None
    fixed = f"{found.group(1)}{found.group(2)}: {found.group(3)}"
    return f"a space is missing after the colon in '{_shown(text.strip())}': write '{_shown(fixed)}'"


def _explained(lines: list[str], index: int, column: int, problem: str, context_line: int | None) -> tuple[int, str] | None:
    """(line index, plain message) for the common mistakes; None for any other."""
    line = lines[index] if index < len(lines) else ""
    if line[column:column + 1] == "\t":
        before = line[:column].strip()
        if not before:
            return index, "this line is indented with a tab; YAML only allows spaces: indent it with spaces like the lines above"
        return index, f"there is a tab after '{_shown(before)}'; YAML only allows spaces there: replace the tab with a space"
    if problem in (_MAPPING_VALUE, _NO_COLON):
        # The word without a space runs on into the next line, where PyYAML stops.
        suspects = [number for number in (context_line, _content_line_above(lines, index), index) if number is not None]
        for number in dict.fromkeys(suspects):
            squeezed = missing_space(lines[number])
            if squeezed is not None:
                return number, squeezed
    indentation = _indentation(lines, index) if problem.startswith(_INDENTATION_PROBLEMS) else None
    if indentation is not None:
        return index, indentation
    quoted = _colon_in_text(line) if problem == _MAPPING_VALUE else None
    if quoted is not None:
        return index, quoted
    template = _TEMPLATE_FIRST.match(line)
    if template is not None:
        written = " ".join(part for part in (template.group(1).strip(), _quoted(template.group(2))) if part)
        return index, f"a text that starts with {{{{ must be in quotes: {written}"
    return None


def _indentation(lines: list[str], index: int) -> str | None:
    """The line at ``index`` is indented like none of the lines above it: say how to line it up."""
    line = lines[index] if index < len(lines) else ""
    if not _is_content(line):
        return None
    indent = _indent(line)
    levels = _levels_above(lines, index)
    above = _content_line_above(lines, index)
    opens_block = above is not None and _opens_block(lines[above]) and indent > _indent(lines[above])
    if not levels or indent in levels or opens_block:
        return None
    shallower = max((level for level in levels if level < indent), default=None)
    deeper = min((level for level in levels if level > indent), default=None)
    nearest = [level for level in (shallower, deeper) if level is not None]
    used = " or ".join(f"{level} ('{levels[level][1]}' on line {levels[level][0] + 1})" for level in nearest)
    return f"this line is indented {_spaces(indent)}; the lines above use {used}"


def _levels_above(lines: list[str], index: int) -> dict[int, tuple[int, str]]:
    """The indentations still open at ``index``, each with the nearest line that has it and its key.

    Walking up, only a line less indented than every line seen so far opens a level; a block
    text (``>-``) hides the lines under it, which are text, not keys.
    """
    levels: dict[int, tuple[int, str]] = {}
    limit: int | None = None
    for number in range(index - 1, -1, -1):
        line = lines[number]
        if not _is_content(line):
            continue
        indent = _indent(line)
        if limit is not None and indent >= limit:
            continue
        if _BLOCK_TEXT.search(line):
            levels.clear()
        text = line.strip()
        levels[indent] = (number, _key(text))
        dashes = _DASHES.match(text)
        if dashes:
            # "- name: Ali": the item's keys line up with "name", after the dash.
            levels.setdefault(indent + dashes.end(), (number, _key(text[dashes.end():])))
        limit = indent
        if indent == 0:
            break
    return levels


def _content_line_above(lines: list[str], index: int) -> int | None:
    return next((number for number in range(index - 1, -1, -1) if _is_content(lines[number])), None)


def _is_content(line: str) -> bool:
    text = line.strip()
    return bool(text) and not text.startswith("#")


def _opens_block(line: str) -> bool:
    return bool(_OPENS_BLOCK.search(line) or _BLOCK_TEXT.search(line))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _key(text: str) -> str:
    found = _KEY.match(text)
    return found.group(0) if found else _shown(text)


def _spaces(count: int) -> str:
    return "no spaces" if count == 0 else f"{count} space" if count == 1 else f"{count} spaces"


def _colon_in_text(line: str) -> str | None:
    found = _COLON_IN_TEXT.match(line)
    if found is None:
        return None
    key, text = found.group(1).strip(), found.group(2)
    return f"a colon followed by a space starts a new key in YAML, so this text needs quotes: {key} {_quoted(text)}"


def _quoted(text: str) -> str:
    """``text`` in the quotes YAML needs, shortened if long: what to write instead."""
    text = _shown(text.rstrip(), 60)
    if '"' in text and "'" not in text:
        return f"'{text}'"
    return '"' + text.replace('"', '\\"') + '"'


def _shown(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
