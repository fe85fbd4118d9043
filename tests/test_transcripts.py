"""The shipped transcripts, run through the real queue, worker, engine and database."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.transcripts import TranscriptRun, load_transcripts, transcript_phone

from conftest import SERVER_DATABASE

PROJECT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((PROJECT / "flows" / "tests").glob("*.yaml"))
TRANSCRIPTS = [transcript for path in SHIPPED for transcript in load_transcripts(path)]


# `ungebot flows test` runs every one of them on SQLite (the laptop's database) below; here they
# run on the production database.
@pytest.mark.parametrize("database_url", [SERVER_DATABASE], indirect=True)
@pytest.mark.parametrize("transcript", TRANSCRIPTS, ids=[f"{t.path.stem}: {t.name}" for t in TRANSCRIPTS])
def test_shipped_transcript(runtime, transcript):
    assert TranscriptRun(runtime, transcript, transcript_phone(1)).run() == []


def test_every_shipped_flow_has_a_transcript():
    flows = {path.stem for path in (PROJECT / "flows").glob("*.yaml")}
    assert flows <= {path.stem for path in SHIPPED}


def ungebot(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, cwd=PROJECT, env=dict(os.environ), timeout=120)


def test_flows_test_command_reports_failures_by_file_and_line(redis_connection):
    result = ungebot("flows", "test", str(PROJECT / "tests" / "fixtures" / "transcripts_failing"))
    assert result.returncode == 1
    assert "forkert.yaml:4: the bot said:" in result.stdout
    assert "for-meget.yaml:4: the bot also said:" in result.stdout
    assert result.stdout.rstrip().endswith("0 passed, 2 failed")


def test_flows_test_command_passes_on_the_shipped_flows(redis_connection):
    result = ungebot("flows", "test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith(f"{len(TRANSCRIPTS)} passed, 0 failed")
