"""``ungebot flows check``: every problem reported as path:line: message, and never a crash.

Each folder in fixtures/flows_check is one case: its flow files, and ``expected.txt`` with the
exact lines the check must print (paths relative to the folder).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.flows.loader import load_flows
from bot.flows.number_flow import NUMBER_FLOW
from bot.flows.registry import FlowRegistry
from bot.flows.schema import json_schema

BUILT_IN = {NUMBER_FLOW}  # the bot's own flows, there in every folder
FIXTURES = Path(__file__).parent / "fixtures" / "flows_check"
PROJECT = Path(__file__).resolve().parent.parent
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def check_output(folder: Path) -> list[str]:
    result = load_flows(folder)
    return [str(problem).replace(f"{folder}/", "") for problem in result.problems]


@pytest.mark.parametrize("case", CASES)
def test_each_problem_is_reported_with_file_and_line(case):
    folder = FIXTURES / case
    expected = (folder / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert check_output(folder) == expected


def test_shipped_flows_are_valid():
    result = load_flows(PROJECT / "flows")
    assert [str(p) for p in result.errors] == []
    assert result.warnings == [], "HELP does not take 'helt klart': a typo never beats a common answer"
    assert {"help", "demo"} <= set(result.flowset.flows)


def test_a_broken_file_leaves_the_other_flows_working():
    result = load_flows(FIXTURES / "syntax")
    assert set(result.flowset.flows) - BUILT_IN == {"ok"}


def ungebot(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True, text=True, cwd=PROJECT, env={**os.environ, **env}, timeout=60,
    )


def test_cli_exit_codes_and_output():
    bad = ungebot("flows", "check", str(FIXTURES / "references"))
    assert bad.returncode == 1
    assert f"{FIXTURES / 'references'}/musik.yaml:10: step 'slutt' does not exist in this flow" in bad.stderr
    good = ungebot("flows", "check", str(PROJECT / "flows"))
    assert good.returncode == 0, good.stderr
    assert "0 error(s)" in good.stdout
    warned = ungebot("flows", "check", str(FIXTURES / "warnings"))
    assert warned.returncode == 0 and "warning:" in warned.stdout
    missing = ungebot("flows", "check", "/nonexistent/flows")
    assert missing.returncode == 1 and "no such folder" in missing.stderr


def test_published_schema_is_generated_from_the_model():
    published = json.loads((PROJECT / "docs" / "flow.schema.json").read_text(encoding="utf-8"))
    assert published == json_schema(), "run: ungebot flows schema -o docs/flow.schema.json"
    printed = ungebot("flows", "schema")
    assert json.loads(printed.stdout) == published


def test_registry_picks_up_edits_and_keeps_the_last_good_version(tmp_path):
    shutil.copy(PROJECT / "flows" / "help.yaml", tmp_path / "help.yaml")
    registry = FlowRegistry(tmp_path, check_every=0)
    assert "help" in registry.current().flows
    (tmp_path / "ny.yaml").write_text("triggers: [NY]\nsteps:\n  s:\n    end: Ny!\n", encoding="utf-8")
    assert set(registry.current().flows) - BUILT_IN == {"help", "ny"}
    time.sleep(0.01)
    (tmp_path / "ny.yaml").write_text("triggers: [NY]\nsteps:\n  s:\n    end: [ødelagt\n", encoding="utf-8")
    flows = registry.current()
    assert set(flows.flows) - BUILT_IN == {"help", "ny"}, "the broken edit must not take the flow down"
    assert [p.line for p in registry.last_result.errors] == [4]
    time.sleep(0.01)
    (tmp_path / "ny.yaml").write_text("triggers: [NY]\nsteps:\n  s:\n    end: Rettet!\n", encoding="utf-8")
    assert registry.current().flows["ny"].steps["s"].end == "Rettet!"
