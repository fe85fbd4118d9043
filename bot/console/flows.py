"""The flows page, for staff and admin: every flow and community file with what
``ungebot flows check`` says of it, the transcripts' results (``ungebot flows test``), and a
"try it" chat that runs the live flows for a young person who does not exist.

An admin sees every file; staff see the general ones and the community files of their own
communities (and those communities' transcripts).

The transcripts run through the whole stack (queues, a worker, a database), which is why they run
as the ``ungebot flows test`` command in a process of its own, on request, and never on a page
load: it brings its own throwaway database and queues, and sends nothing to any provider. The
result waits in Redis for whoever opens the page next.

The try-it chat (``bot.domain.tryout``) keeps its sandbox in Redis under the staff session, for
an hour after its last message; it writes nothing to the database and queues nothing.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

from flask import abort, redirect, render_template, request, session, url_for

from bot.console.access import SESSION_KEY, requires, runtime, viewer
from bot.console.blueprint import blueprint, menu
from bot.core import clock
from bot.domain import tryout
from bot.engine.choices import buttons, render
from bot.flows.check import FileCheck, file_checks
from bot.flows.loader import load_flows
from bot.flows.transcript_report import TranscriptReport

log = logging.getLogger(__name__)

ROLES = ("staff", "admin")
SANDBOX_SECONDS = 60 * 60
RUN_SECONDS = 10 * 60  # the longest a run of the transcripts may take
RESULT_SECONDS = 7 * 24 * 60 * 60

menu(70, "flows_page", "flows")


@blueprint.get("/flows")
@requires(*ROLES)
def flows_page():
    files, community_files = _files()
    page = dict(
        files=files,
        errors=sum(len(check.errors) for check in files),
        warnings=sum(len(check.warnings) for check in files),
        tests=_tests(community_files),
        chat=_chat(_sandbox()),
    )
    return render_template("console/flows.html", **page)


# The files ----------------------------------------------------------------------------------------


def _files() -> tuple[list[FileCheck], set[str]]:
    """The viewer's files as ``flows check`` reads the folder now, with which version of each is
    in use; and the names of all community files, whose transcripts are theirs too."""
    registry = runtime().flows
    registry.current()  # an edit made since the last look is read before it is shown
    checks = file_checks(load_flows(registry.directory), registry.last_result.files)
    communities = {check.name for check in checks if check.kind == "community"} | set(registry.current().communities)
    return [check for check in checks if _sees(check.name, communities)], communities


def _sees(name: str, community_files: set[str]) -> bool:
    """A community's file (or transcript) is for those who work in it; the rest for all."""
    return name not in community_files or viewer().works_in(name)


# The transcripts ----------------------------------------------------------------------------------


def _run_key(ungebot) -> str:
    return f"{ungebot.queue_prefix}:console:flows-test"


def _running_key(ungebot) -> str:
    return f"{_run_key(ungebot)}:running"


def _transcripts_folder() -> Path:
    return runtime().flows.directory / "tests"


def _tests(community_files: set[str]) -> dict:
    redis = runtime().redis
    folder = _transcripts_folder()
    view = dict(folder=str(folder), present=folder.is_dir(), running=bool(redis.exists(_running_key(runtime()))), last=None, broke=False)
    stored = redis.get(_run_key(runtime()))
    if stored is None:
        return view
    last = json.loads(stored)
    view["when"] = datetime.fromisoformat(last["finished_at"])
    try:
        report = TranscriptReport.from_json(last["report"] or "")
    except ValueError:  # the run broke (or an earlier release kept it otherwise)
        view["broke"] = True
        return view
    results = [result for result in report.results if _sees(Path(result.file).stem, community_files)]
    problems = [problem for problem in report.flow_problems if _sees(Path(problem.partition(":")[0]).stem, community_files)]
    passed = sum(result.passed for result in results)
    view["last"] = dict(results=results, flow_problems=problems, passed=passed, failed=len(results) - passed)
    return view


@blueprint.get("/flows/tests")
@requires(*ROLES)
def flows_tests():
    """The transcripts' part of the page (htmx asks for it every few seconds while they run)."""
    if request.method == "GET" and request.headers.get("HX-Request") and runtime().redis.exists(_running_key(runtime())):
        return "", 204  # nothing new: htmx leaves the page, and a screen reader, alone
    _, community_files = _files()
    return render_template("console/_flow_tests.html", tests=_tests(community_files))


@blueprint.post("/flows/tests")
@requires(*ROLES)
def run_flows_tests():
    folder = _transcripts_folder()
    # One run at a time for the whole service: a second click joins the one running.
    if folder.is_dir() and runtime().redis.set(_running_key(runtime()), clock.now().isoformat(), nx=True, ex=RUN_SECONDS):
        threading.Thread(target=_run_transcripts, args=(runtime(), folder), name="flows-test", daemon=True).start()
    if request.headers.get("HX-Request"):
        return flows_tests()
    return redirect(url_for("console.flows_page", _anchor="tests"))


def _run_transcripts(ungebot, folder: Path) -> None:
    """``ungebot flows test --json`` on the live flows, and its report into Redis (None: it broke)."""
    command = [sys.executable, "-m", "bot.cli", "flows", "test", "--json", "--flows", str(ungebot.flows.directory), str(folder)]
    report = None
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=RUN_SECONDS, check=False, env={**os.environ, "REDIS_URL": ungebot.settings.redis_url},
        )
        report = TranscriptReport.from_json(done.stdout.strip().splitlines()[-1]).to_json()
    except subprocess.TimeoutExpired:
        log.error("the transcripts took longer than %d s and were stopped", RUN_SECONDS)
    except (OSError, ValueError, IndexError):
        log.error("the transcripts could not be run (ungebot flows test --json gave no report)")
    finally:
        ungebot.redis.set(_run_key(ungebot), json.dumps({"finished_at": clock.now().isoformat(), "report": report}), ex=RESULT_SECONDS)
        ungebot.redis.delete(_running_key(ungebot))


# Try it -------------------------------------------------------------------------------------------


def _sandbox_key() -> str:
    # The session's token is its credential: only a hash of it names anything in Redis.
    token = hashlib.sha256(session.get(SESSION_KEY, "").encode()).hexdigest()
    return f"{runtime().queue_prefix}:console:tryout:{token}"


def _sandbox() -> tryout.Sandbox:
    stored = runtime().redis.get(_sandbox_key())
    if stored is None:
        return tryout.Sandbox()
    try:
        return tryout.Sandbox.from_json(stored)
    except (ValueError, TypeError, KeyError):  # kept by an earlier release: start afresh
        return tryout.Sandbox()


def _keep(sandbox: tryout.Sandbox) -> None:
    runtime().redis.set(_sandbox_key(), sandbox.to_json(), ex=SANDBOX_SECONDS)


def _chat(sandbox: tryout.Sandbox, added: list[tryout.Line] | None = None) -> dict:
    """The conversation as the young person's phone (SMS) or the web chat shows it: the same
    rendering the bot sends with (``bot.engine.choices``)."""
    channel = sandbox.channel
    last_you = max((index for index, line in enumerate(sandbox.lines) if line.who == "you"), default=-1)
    last_bot = max((index for index, line in enumerate(sandbox.lines) if line.who == "bot"), default=-1)
    answers = buttons(channel, sandbox.lines[last_bot].choices) if last_bot > last_you else None
    return dict(
        channel=channel,
        channels=tryout.CHANNELS,
        lines=[_shown(line, channel) for line in sandbox.lines],
        added=[_shown(line, channel) for line in added or []],
        answers=answers or [],
        last_you=last_you,
        waiting_until=sandbox.waiting_until,
    )


def _shown(line: tryout.Line, channel: str) -> dict:
    if line.who == "bot":
        return dict(who="bot", text=render(channel, line.text, line.choices))
    return dict(who=line.who, text=line.text, effect=line.effect, detail=line.detail)


def _answer(sandbox: tryout.Sandbox, added: list[tryout.Line] | None = None):
    _keep(sandbox)
    if request.headers.get("HX-Request"):
        return render_template("console/_flow_try.html", chat=_chat(sandbox, added), swapped=True)
    # Where the page opens: at what they last wrote, the bot's answer below it.
    written = any(line.who == "you" for line in sandbox.lines)
    return redirect(url_for("console.flows_page", _anchor="try-you" if written else "try"))


@blueprint.post("/flows/try")
@requires(*ROLES)
def try_flows():
    sandbox = _sandbox()
    added = tryout.write(runtime(), sandbox, request.form.get("text", ""), clock.now())
    return _answer(sandbox, added)


@blueprint.post("/flows/try/wait")
@requires(*ROLES)
def try_flows_wait():
    sandbox = _sandbox()
    return _answer(sandbox, tryout.wait(runtime(), sandbox))


@blueprint.post("/flows/try/channel")
@requires(*ROLES)
def try_flows_channel():
    channel = request.form.get("channel", "")
    if channel not in tryout.CHANNELS:
        abort(400)
    sandbox = _sandbox()
    sandbox.channel = channel
    return _answer(sandbox)


@blueprint.post("/flows/try/reset")
@requires(*ROLES)
def try_flows_again():
    return _answer(tryout.Sandbox(channel=_sandbox().channel))
