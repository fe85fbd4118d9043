"""The architecture's rules (docs/architecture.md) hold, and breaking one fails.

import-linter checks the contracts in pyproject.toml: layers, a pure engine, webhooks and the
API that never import a job, no cycles between packages. The planted violations show that each
rule is really checked, on a copy of the code in a temporary folder.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
IO_PACKAGES = ("requests", "sqlalchemy", "redis", "rq", "flask", "werkzeug", "twilio", "psycopg", "bot.channels", "bot.storage")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
    )


def test_every_contract_is_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("bot/engine/steps/send.py", "import sqlalchemy", "The engine and the core only compute"),
        ("bot/core/when.py", "from bot.storage import models", "Layers"),
        ("handlers/twilio.py", "from bot.jobs import processing", "never import them"),
        ("bot/domain/outbox.py", "from bot.jobs import sending", "Layers"),
        ("bot/domain/communities/members.py", "from bot.domain.bookings import bookings", "No cycles between packages"),
    ],
)
def test_a_planted_violation_breaks_its_contract(tmp_path, module, line, broken):
    for part in ("bot", "handlers"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    with open(tmp_path / module, "a") as source:
        source.write(f"\n{line}  # planted\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert f"{broken}" in result.stdout and "BROKEN" in result.stdout.split(broken, 1)[1].splitlines()[0]


def test_importing_the_engine_and_the_flow_model_loads_nothing_that_does_io():
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, json, bot.engine, bot.flows.model; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True,
    ).stdout
    doing_io = [name for name in json.loads(loaded) if name.split(".")[0] in IO_PACKAGES or name.startswith(IO_PACKAGES)]
    assert doing_io == []
