"""Read a folder of flow files and say, by file and line, everything that is wrong with them.

Each file is checked on its own first, as its kind in ``FILE_KINDS`` says (YAML, keys, types,
templates, step references, answers that fall through); then the set (flow references, keywords
used twice, or a typo from another keyword or from an answer). A file with errors is left out and
the rest keep working; ``problems`` says why, in the ``path:line: message`` form editors
understand. Warnings leave the file in use.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.core import sms_segments, textmatch
from bot.engine.localized import Text, text_in, text_variants
from bot.engine.steps.ask import AskStep
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
from bot.flows.yaml_errors import YAML_LINE_BREAK, missing_space, yaml_error_position

MAX_SEGMENTS = 2


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
        return refused, [_refused_value(shown, root, loc, message, kind) for loc, message, kind in _explain(exc, root)]


# Errors where a mapping was wanted: a text there may be "send:Hej", a key without its space.
MAPPING_WANTED = frozenset({"step_kind", "dict_type", "model_type", "model_attributes_type"})


def _refused_value(shown: str, root: yaml.Node, loc: tuple, message: str, kind: str) -> Problem:
    """A value the model refuses; a key written as "key:value", without the space YAML needs
    after the colon, says so instead, on its own line."""
    key, value = _nodes_at(root, loc)
    for node in (key, value if kind in MAPPING_WANTED else None):
        squeezed = missing_space(node.value) if isinstance(node, yaml.ScalarNode) and node.style is None else None
        if squeezed is not None:
            return Problem(shown, node.start_mark.line + 1, f"YAML syntax: {squeezed}")
    return Problem(shown, _line(root, loc), message)


def _nodes_at(root: yaml.Node | None, loc: tuple) -> tuple[yaml.Node | None, yaml.Node | None]:
    """The key and the value at ``loc``; (None, None) when it is not there."""
    key, node = None, root
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            key, node = next(((k, v) for k, v in node.value if k.value == str(part)), (None, None))
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            key, node = None, node.value[part]
        else:
            return None, None
    return key, node


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


def _explain(exc: ValidationError, root: yaml.Node) -> list[tuple[tuple, str, str]]:
    """(where, what is wrong, pydantic's error type) for each error."""
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
        explained.append((loc, message, kind))
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
    return problems + _answers_falling_through(flow, root, shown) + _check_texts(flow, root, shown, folder.known_fields)


def _answers_falling_through(flow: Flow, root: yaml.Node, shown: str) -> list[Problem]:
    """Answers without ``go:`` that land where another answer of the same question goes.

    An answer without ``go:`` goes on to the step's own ``go:`` or else the next step in the
    file, and often that is meant ("ja" goes on, "nej" goes elsewhere). It surprises when the
    next step is where another answer was sent on purpose: with "ja: { go: fedt }" and "nej"
    left bare above ``fedt``, "nej" is answered "Fedt, vi ses!".
    """
    problems = []
    for name, step in flow.steps.items():
        following = flow.step_after(name)
        if not isinstance(step, AskStep) or step.go is not None or following is None:
            continue
        sent_there = [key for key, answer in step.answers.items() if answer and answer.go == following]
        if not sent_there:
            continue
        says = next((f" and says {_quoted_text(text)}" for _, text in flow.steps[following].texts()), "")
        for key, answer in step.answers.items():
            if answer is None or answer.go is None:
                message = (
                    f"the answer {key!r} has no go:, so the bot goes on to the next step, {following!r} (where {sent_there[0]!r} goes){says}; "
                    f"add go: to say where {key!r} should go"
                )
                problems.append(Problem(shown, _line(root, ("steps", name, "answers", key)), message, True))
    return problems


def _quoted_text(text: Text, limit: int = 40) -> str:
    shown = " ".join(text_in(text, "da").split())
    return f'"{shown}"' if len(shown) <= limit else f'"{shown[: limit - 1]}…"'


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
    return problems + _keywords_used_twice(good) + _keywords_that_catch_answers(good) + _instagram_accounts_used_twice(good)


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
                loaded, first = good[other], good[name]
                problems.append(
                    Problem(
                        str(loaded.path),
                        _keyword_line(loaded),
                        f"keyword {other_word!r} is one typo from {keyword!r} in {first.path.name}:{_keyword_line(first)}: "
                        "a message with a typo could start the wrong one; choose keywords further apart",
                        True,
                    )
                )
    return problems


@lru_cache(maxsize=4096)
def _common_answer_caught(keyword: str) -> tuple[str, str] | None:
    """(answer, what kind of answer) for the first common answer ``keyword`` catches: one that
    starts with the keyword as written ("OK" takes "ok"). A typo of a keyword never beats a common
    answer (``FlowSet.match_trigger``), so "helt" is not HELP's. Kept: the list never changes, and a
    folder is read again on every edit."""
    return next(
        ((answer, kind) for kind, answers in textmatch.COMMON_ANSWERS for answer in answers if textmatch.keyword_slips(answer, keyword) == 0), None
    )


@lru_cache(maxsize=1)
def _common_answers_folded() -> frozenset[str]:
    return frozenset(textmatch.fold(answer) for _, answers in textmatch.COMMON_ANSWERS for answer in answers)


def _keywords_that_catch_answers(good: dict[str, LoadedFile]) -> list[Problem]:
    """Keywords that take a common answer, or an answer written in a flow, from its question."""
    written = [(answer, where) for answer, where in _answers_written(good) if textmatch.fold(answer) not in _common_answers_folded()]
    problems = []
    for _, loaded, keyword in _keywords(good):
        path, line = str(loaded.path), _keyword_line(loaded)
        common = _common_answer_caught(keyword)
        if common is not None:
            answer, kind = common
            message = (
                f"keyword {keyword!r} also catches {answer!r}, {kind}: a young person who answers a question with {answer!r} "
                "would start this conversation instead; choose a keyword nobody answers with"
            )
            problems.append(Problem(path, line, message, True))
        caught: dict[str, str] = {}  # where an answer is written -> the first one there the keyword catches
        for answer, where in written:
            if where not in caught and textmatch.matches_keyword(answer, keyword):
                caught[where] = answer
        problems += [
            Problem(
                path, line,
                f"keyword {keyword!r} also catches {answer!r}, an answer in {where}: a young person who answers that question "
                f"with {answer!r} would start this conversation instead; choose another keyword",
                True,
            )
            for where, answer in caught.items()
        ]
    return problems


def _answers_written(good: dict[str, LoadedFile]) -> Iterator[tuple[str, str]]:
    """(words, "file:line") for every way of giving an answer written in a flow: its name, label and words."""
    for loaded in good.values():
        flow = loaded.of(FLOW)
        for name, step in (flow.steps.items() if flow is not None else ()):
            if not isinstance(step, AskStep):
                continue
            for key, answer in step.answers.items():
                where = f"{loaded.path.name}:{_line(loaded.root, ('steps', name, 'answers', key))}"
                labels = [text for _, text in text_variants(answer.label)] if answer and answer.label is not None else []
                for words in [key, *labels, *(answer.words if answer else [])]:
                    yield words, where


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
