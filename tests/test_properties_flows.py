"""Property tests for the flow loader: whatever staff save (any text, any edit of a working file,
any flow built from the format's parts), loading never crashes, every problem is reported as
``path:line: message`` with a line inside the file, and the flows that were valid keep working.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot import engine
from bot.cli import cli
from bot.engine import actions
from bot.flows.loader import YAML_LINE_BREAK, LoadResult, load_flows
from bot.flows.registry import FlowRegistry

from conftest import PROJECT, SHIPPED_FLOWS

bounded = settings(max_examples=50, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
PROBLEM = re.compile(r"[^\n]+:[0-9]+: (warning: )?\S[^\n]*")
NEW_FILE = "zz-ny.yaml"  # after the shipped files by name: of two files with one keyword, the later is told
ZONE = ZoneInfo("Europe/Copenhagen")
NOW = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)


@cache
def shipped() -> LoadResult:
    return load_flows(SHIPPED_FLOWS)


@pytest.fixture
def flows_dir(tmp_path):
    directory = tmp_path / "flows"
    shutil.copytree(SHIPPED_FLOWS, directory, ignore=shutil.ignore_patterns("tests"))
    return directory


def lines_in(path: Path) -> int:
    """How many lines an editor shows for the file, counting line breaks as YAML does."""
    try:
        return len(YAML_LINE_BREAK.findall(path.read_text(encoding="utf-8"))) + 1
    except UnicodeDecodeError:
        return 1


def assert_each_problem_is_a_file_and_line(result: LoadResult, folder: Path) -> None:
    files = {str(path) for path in folder.iterdir()}
    for problem in result.problems:
        shown = str(problem)
        assert PROBLEM.fullmatch(shown) and "Traceback" not in shown, shown
        assert problem.path in files, shown
        assert 1 <= problem.line <= lines_in(Path(problem.path)), f"{shown}: the file has {lines_in(Path(problem.path))} lines"


def assert_the_shipped_flows_still_work(result: LoadResult, edited: str | None = None) -> None:
    """Every shipped flow is there, and its keywords start it (an edited file's own may change)."""
    assert set(shipped().flowset.flows) <= set(result.flowset.flows)
    keywords = [keyword for flow in shipped().flowset.flows.values() for keyword, _ in flow.keywords()]
    for keyword in keywords:
        started = shipped().flowset.match_trigger(keyword).flow
        if edited is None or started.split(".")[0] != edited:
            assert result.flowset.match_trigger(keyword).flow == started, keyword


# -- what staff might save -------------------------------------------------------------------------

KEYS = st.sampled_from(
    [
        "steps", "triggers", "name", "ask", "answers", "go", "end", "send", "save", "timeout", "on_timeout", "other", "flow",
        "notify", "wait", "da", "en", "catch_all", "expires_after", "fields", "community", "mood", "counselling", "label",
        "words", "keyword", "schedule", "s", "t", "ja", "nej", "- end", "-", "? [a]", "<<",
    ]
)
VALUES = st.sampled_from(
    [
        "", "hej", "[", "]", "{", "}", "[a, b]", "{end: hej}", "{go: s}", "&a", "*a", "&a [*a]", "&b {x: *b}", "*undefined", "!!set",
        "!!python/object:os.system", "!!binary aGVq", "|", ">-", "'", '"', "'ikke lukket", "true", "no", "yes", "24h", "1h", "-1",
        "10:00", "2026-11-26", "{{ name }}", "{{ ukendt }}", "{% if %}", "{{", "ØÆÅ 😀", "~", "null", "0x1f", "1e3", "\t", "#",
    ]
) | st.text(max_size=12)
INDENTS = st.sampled_from(["", "  ", "    ", "      ", " ", "\t", "   - "])
YAML_LINES = st.builds(lambda indent, key, value: f"{indent}{key}: {value}", INDENTS, KEYS, VALUES) | st.text(max_size=20)
YAML_LIKE = st.builds(lambda lines, end: "\n".join(lines) + end, st.lists(YAML_LINES, max_size=15), st.sampled_from(["", "\n", "\r\n"]))
FILE_CONTENTS = st.one_of(YAML_LIKE, st.text(max_size=300), st.binary(max_size=200))


def write(path: Path, content: str | bytes) -> None:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")


@bounded
@given(content=FILE_CONTENTS)
def test_any_new_file_is_reported_by_file_and_line_and_the_shipped_flows_keep_working(flows_dir, content):
    write(flows_dir / NEW_FILE, content)
    result = load_flows(flows_dir)
    event("valid" if result.files[Path(NEW_FILE).stem].valid else "refused")
    assert_each_problem_is_a_file_and_line(result, flows_dir)
    assert {problem.path for problem in result.errors} <= {str(flows_dir / NEW_FILE)}, "a new file's errors are its own"
    assert_the_shipped_flows_still_work(result)


# -- edits of a working file -----------------------------------------------------------------------

EDITED = ["demo.yaml", "help.yaml", "cafe.yaml", "raadgivning.yaml", "humoer.yaml", "ukendt.yaml"]


@st.composite
def edits(draw, lines: list[str]) -> list[str]:
    """One to three of the edits a person makes by mistake, at random lines."""
    lines = list(lines)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, max(len(lines) - 1, 0)))
        edit = draw(st.sampled_from(["delete", "duplicate", "indent", "outdent", "tab", "value", "insert"]))
        if not lines or edit == "insert":
            lines.insert(at, draw(YAML_LINES))
        elif edit == "delete":
            del lines[at]
        elif edit == "duplicate":
            lines.insert(at, lines[at])
        elif edit == "indent":
            lines[at] = " " * draw(st.integers(1, 4)) + lines[at]
        elif edit == "outdent":
            lines[at] = lines[at][draw(st.integers(1, 4)):] if lines[at].startswith(" ") else lines[at]
        elif edit == "tab":
            lines[at] = "\t" + lines[at].lstrip(" ")
        else:
            key, colon, _ = lines[at].partition(":")
            lines[at] = f"{key}{colon or ':'} {draw(VALUES)}"
    return lines


@pytest.fixture
def last_good(flows_dir):
    """The files as the registry keeps them before the edit: what a broken edit falls back on."""
    return {stem: loaded for stem, loaded in load_flows(flows_dir).files.items() if loaded.valid}


@bounded
@given(data=st.data(), name=st.sampled_from(EDITED))
def test_an_edited_file_is_served_as_edited_or_as_it_was_and_nothing_else_goes_down(flows_dir, last_good, data, name):
    original = (SHIPPED_FLOWS / name).read_text(encoding="utf-8")
    edited = "\n".join(data.draw(edits(original.split("\n")), label="edited lines"))
    (flows_dir / name).write_text(edited, encoding="utf-8")
    try:
        result = load_flows(flows_dir, fallback=last_good)
        stem = Path(name).stem
        event("served as edited" if result.files[stem] is not last_good[stem] else "served as it was")
        assert_each_problem_is_a_file_and_line(result, flows_dir)
        assert result.files[stem].valid
        assert_the_shipped_flows_still_work(result, edited=stem)
    finally:
        (flows_dir / name).write_text(original, encoding="utf-8")  # the next example edits the shipped file


def test_the_registry_keeps_serving_a_file_whose_edit_starts_a_missing_flow(flows_dir):
    # The edit is valid on its own; only the whole set shows that the flow it starts does not
    # exist. Until the edit is fixed, the version that worked keeps serving.
    registry = FlowRegistry(flows_dir, check_every=0)
    before = registry.current().flows["help"]
    (flows_dir / "help.yaml").write_text("triggers: [HJÆLP, HELP]\nsteps:\n  videre:\n    flow: findes-ikke\n", encoding="utf-8")
    assert registry.current().flows["help"] is before
    assert [str(problem).removeprefix(f"{flows_dir}/") for problem in registry.last_result.errors] == [
        "help.yaml:4: flow 'findes-ikke' does not exist or has errors"
    ]
    assert registry.current().match_trigger("hjælp").flow == "help"
    (flows_dir / "findes-ikke.yaml").write_text("steps:\n  s:\n    end: Her er jeg.\n", encoding="utf-8")
    registry.current()
    assert registry.last_result.errors == []
    assert registry.current().flows["help"].steps["videre"].flow == "findes-ikke"


@pytest.mark.parametrize(
    "content, expected",
    [
        ("steps: &s\n  a: *s\n", "x.yaml:2: YAML syntax: *s is inside &s itself, so it would never end"),
        ("triggers: &t [*t]\nsteps:\n  s:\n    end: hej\n", "x.yaml:1: YAML syntax: *t is inside &t itself, so it would never end"),
        ("triggers: [A]\nsteps:\n  s:\n    end: hej\x00\n", "x.yaml:4: YAML syntax: the invisible character U+0000 is not allowed in YAML; delete it"),
        ("steps:\r\n  s:\r\n    end: \x07hej\r\n", "x.yaml:3: YAML syntax: the invisible character U+0007 is not allowed in YAML; delete it"),
    ],
    ids=["alias-inside-itself", "alias-inside-its-list", "nul", "bell-after-crlf"],
)
def test_yaml_that_cannot_be_read_is_one_line_with_the_right_line_number(tmp_path, content, expected):
    # An alias inside its own anchor makes data without end (the loader would recurse until it
    # crashed, and every flow with it); a control character is reported on its own line.
    (tmp_path / "x.yaml").write_text(content, encoding="utf-8", newline="")
    assert [str(problem).removeprefix(f"{tmp_path}/") for problem in load_flows(tmp_path).problems] == [expected]


# -- flows built from the format's parts -----------------------------------------------------------

STEP_NAMES = ["start", "svar", "tak", "slut", "igen"]
TEXTS = st.sampled_from(["Hej!", "Kommer du i aften?", "Tak, {{ name }}.", "Hvordan går det? 😀", "Skriv {{ ukendt }}", "{% if %}", "Æbler og ØL"]) | st.text(
    min_size=1, max_size=30
)
LOCALIZED = TEXTS | st.fixed_dictionaries({"da": TEXTS}, optional={"en": TEXTS})
ANSWER_KEYS = st.sampled_from(["ja", "nej", "yes", "måske", "1", "godt", "skidt", "kan ikke"])


@st.composite
def flows_from_the_format(draw) -> dict:
    names = draw(st.lists(st.sampled_from(STEP_NAMES), min_size=1, max_size=5, unique=True))
    target = st.sampled_from(names) | st.sampled_from(["findes-ikke"])

    def maybe(step: dict, key: str, strategy) -> None:
        if draw(st.booleans()):
            step[key] = draw(strategy)

    steps = {}
    for name in names:
        kind = draw(st.sampled_from(["ask", "ask", "send", "end", "go"]))
        if kind == "ask":
            step = {"ask": draw(LOCALIZED)}
            answer = st.fixed_dictionaries({}, optional={"go": target, "words": st.lists(TEXTS, max_size=2), "label": LOCALIZED})
            answers = draw(st.dictionaries(ANSWER_KEYS, st.none() | answer, max_size=3))
            if answers:
                step["answers"] = answers
            maybe(step, "save", st.sampled_from(["svar", "name"]))
            maybe(step, "timeout", st.sampled_from(["1h", "30m", "2d"]))
            maybe(step, "on_timeout", target)
            maybe(step, "other", target)
        elif kind == "send":
            step = {"send": draw(LOCALIZED)}
            maybe(step, "go", target)
        elif kind == "end":
            step = {"end": draw(LOCALIZED | st.just(True))}
        else:
            step = {"go": draw(target)}
        steps[name] = step
    flow = {"triggers": ["FUZZ"], "steps": steps}
    if draw(st.booleans()):
        flow["expires_after"] = draw(st.sampled_from(["2h", "24h", "1d"]))
    return flow


@bounded
@given(flow=flows_from_the_format(), replies=st.lists(ANSWER_KEYS | TEXTS | st.just(None), max_size=5))
def test_a_flow_the_checker_accepts_runs_on_any_replies(tmp_path, flow, replies):
    """``None`` in ``replies`` is a timeout: the time of the step runs out before anyone answers."""
    (tmp_path / "fuzz.yaml").write_text(yaml.safe_dump(flow, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = load_flows(tmp_path)
    assert_each_problem_is_a_file_and_line(result, tmp_path)
    event("refused" if result.errors else "accepted")
    if result.errors:
        assert "fuzz" not in result.flowset.flows
        return
    now, contact = NOW, actions.ContactView()
    outcome = engine.handle(result.flowset, contact, None, actions.IncomingText("fuzz"), now, ZONE)
    for reply in replies:
        assert outcome.end_reason not in ("loop", "flow_changed"), outcome
        if outcome.state is None:
            break
        assert outcome.state.step in result.flowset.flows[outcome.state.flow].steps
        if reply is None:
            now += timedelta(days=3)
            outcome = engine.handle(result.flowset, contact, outcome.state, actions.TimedOut(), now, ZONE)
        else:
            outcome = engine.handle(result.flowset, contact, outcome.state, actions.IncomingText(reply), now, ZONE)
    assert outcome.end_reason not in ("loop", "flow_changed"), outcome


# -- ungebot flows check ---------------------------------------------------------------------------


@settings(max_examples=5, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=YAML_LIKE.filter(lambda text: text.strip()))
def test_the_check_command_reports_a_broken_file_by_line_and_exits_1(tmp_path, content):
    folder = tmp_path / "flows"
    folder.mkdir(exist_ok=True)
    shutil.copy(SHIPPED_FLOWS / "help.yaml", folder)
    (folder / "ny.yaml").write_text(content + "\nucheckbar: [\n", encoding="utf-8")
    run = CliRunner().invoke(cli, ["flows", "check", str(folder)])
    assert run.exception is None or isinstance(run.exception, SystemExit), run.exception
    assert run.exit_code == 1
    reported, summary = run.stderr.splitlines()[:-1], run.stderr.splitlines()[-1]
    assert reported and all(PROBLEM.fullmatch(line) and line.startswith(f"{folder}/ny.yaml:") for line in reported), run.stderr
    assert re.fullmatch(r"2 flow file\(s\), [1-9][0-9]* error\(s\), [0-9]+ warning\(s\)", summary), summary


def test_the_check_command_reports_an_alias_inside_itself_without_a_traceback(tmp_path):
    (tmp_path / "ring.yaml").write_text("steps: &s\n  a: *s\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "bot.cli", "flows", "check", str(tmp_path)], capture_output=True, text=True, cwd=PROJECT, timeout=60)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert run.stderr.splitlines()[0] == f"{tmp_path}/ring.yaml:2: YAML syntax: *s is inside &s itself, so it would never end"
