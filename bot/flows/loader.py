"""Read a folder of flow files and say, by file and line, everything that is wrong with them.

Each file is checked on its own first, as its kind in ``FILE_KINDS`` says (YAML, keys, types,
templates, step references); then the set (flow references, keywords used twice). A file with
errors is left out and the rest keep working; ``problems`` says why, in the ``path:line: message``
form editors understand.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.core import sms_segments, textmatch
from bot.engine.localized import text_variants
from bot.engine.steps.base import STEP_TYPES
from bot.engine.templates import BUILT_IN_VARIABLES, TemplateSyntaxError, variables_used
from bot.engine.texts import ALWAYS_ON_WORDS
from bot.flows import yamlfile
from bot.flows.bookable import BOOKING_WORDS, booking_flows
from bot.flows.communities import CHECKIN_VARIABLES, REMINDER_VARIABLES, Community, CommunityFile, join_flow, reply_flow, reply_flow_name
from bot.flows.counselling import CASE_TEXT_VARIABLES, DELETE_WORDS, OPEN_WORDS, AlertTexts, CaseTexts, Counselling, CounsellingFile
from bot.flows.flowset import FlowSet
from bot.flows.model import Flow
from bot.flows.mood_flows import mood_checkins_flows, mood_reply_flow, mood_reply_flow_name
from bot.flows.mood_settings import MOOD_VARIABLES, MoodCheckin, MoodFile
from bot.flows.number_flow import NUMBER_WORDS, number_flow

MAX_SEGMENTS = 2
YAML_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {'warning: ' if self.warning else ''}{self.message}"


@dataclass(frozen=True)
class Folder:
    """What a file's own checks may know of the rest of its folder."""

    known_fields: set[str]  # of every flow that parses, even one its own checks refuse
    file_names: set[str]  # of every file, even one that cannot be read


@dataclass(frozen=True)
class FileKind:
    """A kind of file in the folder: how it is recognised, parsed and checked on its own, and what
    the checks between files need of it. ``FILE_KINDS`` lists them."""

    key: str | None  # the top-level key that marks the kind; a file with none of them is a flow
    model: type[BaseModel]
    check: Callable[[Any, yaml.Node, str, Folder], list[Problem]]
    keywords_at: tuple[str, ...] | None = None  # where its keywords are written, if it has any
    instagram: Callable[[Any], list[tuple[str, tuple]]] = lambda _content: []  # (account, where written)

    def parse(self, data: dict) -> Any:
        validated = self.model.model_validate(data)
        return validated if self.key is None else getattr(validated, self.key)


@dataclass
class LoadedFile:
    name: str
    path: Path
    root: yaml.Node | None
    kind: FileKind | None = None
    content: Any = None  # the kind's model (a Flow, a Community, ...); None when the file is refused

    @property
    def valid(self) -> bool:
        return self.content is not None

    def of(self, kind: FileKind) -> Any:
        """The model, if this is a valid file of ``kind``; else None."""
        return self.content if self.kind is kind else None

    def refused(self) -> LoadedFile:
        return LoadedFile(self.name, self.path, self.root)


@dataclass
class LoadResult:
    flowset: FlowSet
    problems: list[Problem]
    files: dict[str, LoadedFile]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.warning]


def flow_files(directory: Path) -> list[Path]:
    paths = [*Path(directory).glob("*.yaml"), *Path(directory).glob("*.yml")]
    return sorted(p for p in paths if not p.name.startswith("."))


def load_flows(directory: Path, fallback: dict[str, LoadedFile] | None = None) -> LoadResult:
    """Load every ``*.yaml`` in ``directory``.

    ``fallback`` holds the last good version of each file: a file that is broken now is replaced
    by it, so an unfinished edit never takes down a flow that was working.
    """
    fallback = fallback or {}
    parsed, read_problems = _read_each(directory)
    files, own_problems = _check_each(parsed, fallback)
    good = {name: loaded for name, loaded in files.items() if loaded.valid}
    set_problems = _check_set(good)
    flows = _startable_flows(good)
    reference_problems = _drop_broken_references(flows, files, fallback)
    problems = read_problems + own_problems + set_problems + reference_problems
    return LoadResult(_flowset(flows, good), sorted(set(problems)), files)


def _read_each(directory: Path) -> tuple[dict[str, LoadedFile], list[Problem]]:
    parsed: dict[str, LoadedFile] = {}
    problems: list[Problem] = []
    for path in flow_files(directory):
        loaded, file_problems = _load_file(path)
        parsed[path.stem] = loaded
        problems += file_problems
    return parsed, problems


def _check_each(parsed: dict[str, LoadedFile], fallback: dict[str, LoadedFile]) -> tuple[dict[str, LoadedFile], list[Problem]]:
    """Each file by its kind's own checks: one with errors is refused, and its last good version
    serves instead if there is one."""
    folder = Folder(FlowSet(_contents(parsed, FLOW)).known_fields(), set(parsed))
    files: dict[str, LoadedFile] = {}
    problems: list[Problem] = []
    for name, loaded in parsed.items():
        if loaded.valid:
            file_problems = loaded.kind.check(loaded.content, loaded.root, str(loaded.path), folder)
            problems += file_problems
            if any(not problem.warning for problem in file_problems):
                loaded = loaded.refused()
        files[name] = loaded if loaded.valid else fallback.get(name, loaded)
    return files, problems


def _startable_flows(good: dict[str, LoadedFile]) -> dict[str, Flow]:
    """The flows a file's flow may start: the files' own, each community's, and the bot's own."""
    flows = dict(_contents(good, FLOW))
    for slug, community in _contents(good, COMMUNITY).items():
        flows[slug] = join_flow(slug, community)
        flows[reply_flow_name(slug)] = reply_flow(slug, community)
    for bot_words in _bot_words_needed(good):
        flows.update(bot_words.flows())
    return flows


def _flowset(startable: dict[str, Flow], good: dict[str, LoadedFile]) -> FlowSet:
    """All the flows served: the mood check-ins' join only here, after the reference check, so no
    file's flow may start them."""
    moods = _contents(good, MOOD)
    flows = {**startable, **{mood_reply_flow_name(slug): mood_reply_flow(slug, mood) for slug, mood in moods.items()}}
    if moods:
        flows.update(mood_checkins_flows())
    counselling = next(iter(_contents(good, COUNSELLING).values()), None)
    return FlowSet(flows, _contents(good, COMMUNITY), counselling, moods)


def _contents(files: dict[str, LoadedFile], kind: FileKind) -> dict[str, Any]:
    return {name: loaded.content for name, loaded in files.items() if loaded.of(kind) is not None}


def _load_file(path: Path) -> tuple[LoadedFile, list[Problem]]:
    shown = str(path)
    refused = LoadedFile(path.stem, path, None)
    read = _read_yaml(path)
    if isinstance(read, Problem):
        return refused, [read]
    root, data = read
    if not isinstance(data, dict):
        return refused, [Problem(shown, 1, "a flow file must be a mapping with 'steps:' (or 'community:', 'counselling:' or 'mood:')")]
    duplicates = _duplicate_keys(root)
    if duplicates:
        return refused, [Problem(shown, line, f"'{key}' appears twice here; the second one would silently win") for line, key in duplicates]
    kind = next(kind for kind in FILE_KINDS if kind.key is None or kind.key in data)
    try:
        return LoadedFile(path.stem, path, root, kind, kind.parse(data)), []
    except ValidationError as exc:
        return refused, [Problem(shown, _line(root, loc), msg) for loc, msg in _explain(exc, root)]


def _read_yaml(path: Path) -> tuple[yaml.Node, Any] | Problem:
    """The file's node tree and data, or the problem that keeps it from being read."""
    shown = str(path)
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return Problem(shown, 1, "the file is not UTF-8 text; save it as UTF-8")
    except OSError as exc:
        return Problem(shown, 1, f"cannot read the file ({exc.strerror})")
    try:
        return yamlfile.compose(source), yamlfile.load(source)
    except yaml.MarkedYAMLError as exc:
        return Problem(shown, *yaml_error_position(exc))
    except yaml.reader.ReaderError as exc:
        message = f"YAML syntax: the invisible character U+{exc.character:04X} is not allowed in YAML; delete it"
        return Problem(shown, _line_at(source, exc.position), message)
    except yaml.YAMLError as exc:
        return Problem(shown, 1, f"YAML syntax: {exc}")


def _line_at(source: str, position: int) -> int:
    """The line of a character, counting line breaks as YAML does."""
    return len(YAML_LINE_BREAK.findall(source, 0, position)) + 1


def _duplicate_keys(node: yaml.Node | None) -> list[tuple[int, str]]:
    found = []
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key, value in node.value:
            if key.value in seen:
                found.append((key.start_mark.line + 1, key.value))
            seen.add(key.value)
            found += _duplicate_keys(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found += _duplicate_keys(item)
    return found


def yaml_error_position(exc: yaml.MarkedYAMLError) -> tuple[int, str]:
    """(line, message) for a YAML error, pointing where a person would look for it."""
    problem = exc.problem or "not valid YAML"
    mark = exc.problem_mark
    if exc.context and exc.context_mark and ("end of stream" in problem or "<stream end>" in problem):
        # An unclosed quote or bracket: the end of the file is not where the mistake is.
        mark = exc.context_mark
        opened = exc.context.removeprefix("while scanning ").removeprefix("while parsing ")
        opened = {"a quoted scalar": "a quoted text", "a flow sequence": "a [ list", "a flow mapping": "a { mapping"}.get(opened, opened)
        problem = f"{opened} is never closed"
    return (mark.line + 1 if mark else 1), f"YAML syntax: {problem}"


def _explain(exc: ValidationError, root: yaml.Node) -> list[tuple[tuple, str]]:
    explained = []
    for error in exc.errors():
        loc = _strip_tags(error["loc"], root)
        kind = error["type"]
        where = loc[-1] if loc else ""
        if kind == "extra_forbidden":
            if where in STEP_TYPES:
                message = f"a step does one thing: put '{where}' in a step of its own"
            else:
                message = f"unknown key '{where}'"
        elif kind == "missing":
            message = f"'{where}' is missing"
        elif kind == "step_kind":
            unknown = [str(key) for key in error["input"]] if isinstance(error["input"], dict) else []
            hint = f" ('{unknown[0]}' is not one of them)" if len(unknown) == 1 else ""
            message = f"step '{where}' does nothing: give it one of " + ", ".join(STEP_TYPES) + hint
        elif kind in {"string_type", "dict_type", "list_type", "bool_type", "model_type"}:
            message = f"'{where}': {error['msg'].lower()}"
        else:
            message = f"'{where}': {error['msg'].removeprefix('Value error, ')}" if where else error["msg"]
        explained.append((loc, message))
    return explained


def _strip_tags(loc: tuple, root: yaml.Node | None) -> tuple:
    """Drop pydantic's union tags (step kind, 'str' vs model) from an error location.

    A part that is not a key or index in the YAML at that point is a tag, except the last one,
    which may name a key that is missing.
    """
    cleaned = []
    node = root
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if index == 2 and loc[0] == "steps" and part in STEP_TYPES:
            continue
        if isinstance(node, yaml.MappingNode):
            child = next((value for key, value in node.value if key.value == str(part)), None)
            if child is None and not last:
                continue
            node = child
        elif isinstance(node, yaml.SequenceNode):
            if not isinstance(part, int):
                continue
            node = node.value[part] if part < len(node.value) else None
        elif isinstance(part, str) and (part in {"str", "int", "bool", "date"} or "[" in part or part[:1].isupper()):
            continue
        cleaned.append(part)
    return tuple(cleaned)


def _line(root: yaml.Node | None, loc: tuple) -> int:
    node = root
    line = (node.start_mark.line + 1) if node is not None else 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    line = key.start_mark.line + 1
                    node = value
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _check_flow(flow: Flow, root: yaml.Node, shown: str, folder: Folder) -> list[Problem]:
    problems = []
    for name, step in flow.steps.items():
        for where, target in step.step_references():
            if target not in flow.steps:
                problems.append(Problem(shown, _line(root, ("steps", name, *where)), f"step '{target}' does not exist in this flow"))
    loop = _loop_without_waiting(flow)
    if loop:
        problems.append(Problem(shown, _line(root, ("steps", loop[0])), "steps " + " → ".join(loop) + " go round in a loop without waiting for an answer"))
    for keyword, _ in flow.keywords():
        folded = textmatch.fold(keyword)
        if not folded:
            problems.append(Problem(shown, _line(root, ("triggers",)), f"keyword {keyword!r} has no letters"))
        elif any(textmatch.fold(word) == folded for word in ALWAYS_ON_WORDS):
            problems.append(Problem(shown, _line(root, ("triggers",)), f"keyword {keyword!r} is reserved for opt-out (STOP/START)"))
    return problems + _check_texts(flow, root, shown, folder.known_fields)


def _loop_without_waiting(flow: Flow) -> list[str] | None:
    """A cycle of steps none of which waits would run forever: find one, if any."""

    def successor(name: str) -> str | None:
        step = flow.steps[name]
        if step.waits:
            return None
        if step.go is not None:
            return step.go if step.go in flow.steps else None
        return None if step.stops else flow.step_after(name)

    for start in flow.steps:
        path, current = [], start
        while current is not None and current not in path:
            path.append(current)
            current = successor(current)
        if current == start:
            return path + [start]
    return None


def _check_texts(flow: Flow, root: yaml.Node, shown: str, known_fields: set[str]) -> list[Problem]:
    problems = []
    for name, step in flow.steps.items():
        for where, text in [*step.texts(), *step.staff_texts()]:
            for language, source in text_variants(text):
                loc = ("steps", name, *where, *([language] if language else []))
                problems.extend(_check_template(source, shown, _line(root, loc), known_fields))
        for where, text in step.texts():
            for language, source in text_variants(text):
                loc = ("steps", name, *where, *([language] if language else []))
                problems.extend(_sms_warnings(step.sms_preview(where, language, source), shown, _line(root, loc)))
    return problems


def _check_template(source: str, shown: str, line: int, known: set[str]) -> list[Problem]:
    try:
        used = variables_used(source)
    except TemplateSyntaxError as exc:
        return [Problem(shown, line, f"template: {exc.message}")]
    return [
        Problem(shown, line, f"template uses unknown field '{variable}' (declare it under 'fields:' or save it in a step)")
        for variable in sorted(used - BUILT_IN_VARIABLES - known)
    ]


def _check_community(community: Community, root: yaml.Node, shown: str, folder: Folder) -> list[Problem]:
    problems = []
    for keyword, _ in community.keywords():
        if any(textmatch.fold(word) == textmatch.fold(keyword) for word in ALWAYS_ON_WORDS):
            problems.append(Problem(shown, _line(root, ("community", "keyword")), f"keyword {keyword!r} is reserved for opt-out (STOP/START)"))
    for where, source in community.lock_screen_texts():
        line = _line(root, ("community", *where))
        words = community.sensitive_words_in(source)
        if words:
            problems.append(Problem(shown, line, f"'{words[0]}' could show on a lock screen and out someone: use a discreet word, or add it to allow_words"))
        if where[0] not in ("display_name", "announcements"):  # staff's own words, not templates
            variables = CHECKIN_VARIABLES if where[0] == "checkin" else REMINDER_VARIABLES
            problems.extend(_check_template(source, shown, line, folder.known_fields | variables))
            problems.extend(_sms_warnings(source, shown, line))
    return problems


def _check_counselling(counselling: Counselling, root: yaml.Node, shown: str, _folder: Folder) -> list[Problem]:
    problems = []
    texts = [(("texts", name), getattr(counselling.texts, name)) for name in CaseTexts.model_fields if name != "urgent_choices"]
    for where, text in texts:
        for language, source in text_variants(text):
            line = _line(root, ("counselling", *where, *([language] if language else [])))
            problems.extend(_check_template(source, shown, line, CASE_TEXT_VARIABLES))
    for name in AlertTexts.model_fields:
        problems.extend(_check_template(getattr(counselling.alerts, name), shown, _line(root, ("counselling", "alerts", name)), CASE_TEXT_VARIABLES))
    return problems


def _check_mood(mood: MoodCheckin, root: yaml.Node, shown: str, folder: Folder) -> list[Problem]:
    problems = []
    for index, slug in enumerate(mood.members_of):
        if slug not in folder.file_names:
            problems.append(Problem(shown, _line(root, ("mood", "members_of", index)), f"community '{slug}' does not exist (its file name without .yaml)"))
    named = [(("ask_again",), mood.ask_again), (("thanks",), mood.thanks), (("alert", "tell"), mood.alert.tell)]
    if mood.question is not None:
        named.append((("question",), mood.question))
    if mood.follow_up is not None:
        named.append((("follow_up",), mood.follow_up))
    for where, text in named:
        for language, source in text_variants(text):
            line = _line(root, ("mood", *where, *([language] if language else [])))
            problems.extend(_check_template(source, shown, line, folder.known_fields | MOOD_VARIABLES))
            problems.extend(_sms_warnings(source, shown, line))
    problems.extend(_check_template(mood.alert.staff_text, shown, _line(root, ("mood", "alert", "staff_text")), folder.known_fields | MOOD_VARIABLES))
    return problems


def _sms_warnings(source: str, shown: str, line: int) -> list[Problem]:
    warnings = []
    odd = sms_segments.non_gsm7_characters(source)
    if odd:
        shown_chars = " ".join(odd[:5])
        warnings.append(Problem(shown, line, f"{shown_chars} makes this a Unicode SMS: 70 characters per SMS instead of 160", True))
    segments = sms_segments.segment_count(source)
    if segments > MAX_SEGMENTS:
        warnings.append(Problem(shown, line, f"this text needs {segments} SMS (at most {MAX_SEGMENTS} is kind to the reader and the budget)", True))
    for url in sms_segments.find_urls(source):
        warnings.append(Problem(shown, line, f"link {url} in an SMS: Danish operators may filter messages with unregistered links", True))
    return warnings


def _community_instagram(community: Community) -> list[tuple[str, tuple]]:
    return [(community.instagram, ("community", "instagram"))] if community.instagram else []


def _counselling_instagram(counselling: Counselling) -> list[tuple[str, tuple]]:
    return [(account, ("counselling", "instagram", index)) for index, account in enumerate(counselling.instagram)]


FLOW = FileKind(None, Flow, _check_flow, keywords_at=("triggers",))
COMMUNITY = FileKind("community", CommunityFile, _check_community, keywords_at=("community", "keyword"), instagram=_community_instagram)
MOOD = FileKind("mood", MoodFile, _check_mood)
COUNSELLING = FileKind("counselling", CounsellingFile, _check_counselling, instagram=_counselling_instagram)
# In the order a file is recognised: one with both 'community:' and 'mood:' is a community with a key too many.
FILE_KINDS = (COMMUNITY, MOOD, COUNSELLING, FLOW)


@dataclass(frozen=True)
class BotWords:
    """Words the bot answers itself once the folder needs them, so no file may take one as a keyword."""

    words: tuple[Iterable[str], ...]
    does: str  # as in "keyword 'X' <does>; choose another"
    needed: Callable[[dict[str, LoadedFile]], bool]
    flows: Callable[[], dict[str, Flow]] = dict  # that answer them; counselling answers a case's words itself


def _has_bookable_times(good: dict[str, LoadedFile]) -> bool:
    return any(community.bookable is not None for community in _contents(good, COMMUNITY).values())


BOT_WORDS = (
    BotWords((OPEN_WORDS, DELETE_WORDS), "opens or deletes an anonymous case", lambda good: bool(_contents(good, COUNSELLING))),
    BotWords(tuple(BOOKING_WORDS.values()), "books, cancels or moves a bookable time", _has_bookable_times, booking_flows),
    BotWords((NUMBER_WORDS,), "gives the bot a mobile number (SMS, MIT NUMMER)", lambda _good: True, number_flow),
)


def _bot_words_needed(good: dict[str, LoadedFile]) -> list[BotWords]:
    return [bot_words for bot_words in BOT_WORDS if bot_words.needed(good)]


def _check_set(good: dict[str, LoadedFile]) -> list[Problem]:
    """What is wrong between the files that are good on their own."""
    counselling = list(_contents(good, COUNSELLING))
    problems = [Problem(str(good[name].path), 1, f"only one counselling file can be used; '{counselling[0]}' is") for name in counselling[1:]]
    catch_alls = [name for name, flow in _contents(good, FLOW).items() if flow.catch_all]
    problems += [
        Problem(str(good[name].path), _line(good[name].root, ("catch_all",)), f"only one flow can catch all messages; '{catch_alls[0]}' already does")
        for name in catch_alls[1:]
    ]
    for bot_words in _bot_words_needed(good):
        problems += _bot_words_taken(good, bot_words)
    return problems + _keywords_used_twice(good) + _instagram_accounts_used_twice(good)


def _keywords(good: dict[str, LoadedFile]) -> Iterator[tuple[str, LoadedFile, str]]:
    """(file name, file, keyword) for each keyword that starts a file's conversation."""
    for name, loaded in good.items():
        if loaded.kind.keywords_at is not None:
            for keyword, _ in loaded.content.keywords():
                yield name, loaded, keyword


def _keyword_line(loaded: LoadedFile) -> int:
    return _line(loaded.root, loaded.kind.keywords_at)


def _bot_words_taken(good: dict[str, LoadedFile], bot_words: BotWords) -> list[Problem]:
    reserved = {textmatch.fold(word) for words in bot_words.words for word in words}
    return [
        Problem(str(loaded.path), _keyword_line(loaded), f"keyword {keyword!r} {bot_words.does}; choose another")
        for _, loaded, keyword in _keywords(good)
        if textmatch.fold(keyword) in reserved
    ]


def _keywords_used_twice(good: dict[str, LoadedFile]) -> list[Problem]:
    problems = []
    seen: dict[str, tuple[str, str]] = {}
    for name, loaded, keyword in _keywords(good):
        folded = " ".join(textmatch.tokens(keyword))
        if folded in seen and seen[folded][0] != name:
            other, other_word = seen[folded]
            problems.append(Problem(str(loaded.path), _keyword_line(loaded), f"keyword {keyword!r} is also used in {other}.yaml ({other_word!r})"))
        seen.setdefault(folded, (name, keyword))
    return problems + _similar_keywords(good, seen)


def _similar_keywords(good: dict[str, LoadedFile], seen: dict[str, tuple[str, str]]) -> list[Problem]:
    """Keywords of different files that one typo apart could start the wrong conversation."""
    problems = []
    words = sorted(seen.items())
    for index, (folded, (name, keyword)) in enumerate(words):
        for other_folded, (other, other_word) in words[index + 1:]:
            if other == name or " " in folded or " " in other_folded:
                continue
            if textmatch.matches_keyword(other_word, keyword) or textmatch.matches_keyword(keyword, other_word):
                loaded = good[other]
                problems.append(
                    Problem(
                        str(loaded.path),
                        _keyword_line(loaded),
                        f"keyword {other_word!r} is one typo from {keyword!r} in {name}.yaml: a typo could start the wrong one",
                        True,
                    )
                )
    return problems


def _instagram_accounts_used_twice(good: dict[str, LoadedFile]) -> list[Problem]:
    """An Instagram account belongs to one community or to the counselling service, never two."""
    problems, owners = [], {}
    for name, loaded in good.items():
        for account, where in loaded.kind.instagram(loaded.content):
            if account in owners and owners[account] != name:
                problems.append(Problem(str(loaded.path), _line(loaded.root, where), f"Instagram account {account} is also {owners[account]}.yaml's"))
            owners.setdefault(account, name)
    return problems


def _drop_broken_references(flows: dict[str, Flow], files: dict[str, LoadedFile], fallback: dict[str, LoadedFile]) -> list[Problem]:
    """Leave out each flow that starts a flow that does not exist, or serve its last good version
    instead: an edit that adds such a step must not take a working flow down."""
    problems = []
    changed = True
    while changed:
        changed = False
        for name in list(flows):
            loaded = files.get(name)
            if loaded is None or loaded.of(FLOW) is None:
                continue
            broken = next(
                (
                    (step_name, where, target)
                    for step_name, step in flows[name].steps.items()
                    for where, target in step.flow_references()
                    if target not in flows
                ),
                None,
            )
            if broken is None:
                continue
            step_name, where, target = broken
            problems.append(Problem(str(loaded.path), _line(loaded.root, ("steps", step_name, *where)), f"flow '{target}' does not exist or has errors"))
            last_good = fallback.get(name)
            if last_good is not None and last_good is not loaded and last_good.of(FLOW) is not None:
                files[name], flows[name] = last_good, last_good.content
            else:
                files[name] = loaded.refused()
                del flows[name]
            changed = True
    return problems
