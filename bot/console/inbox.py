"""The counsellor's inbox: open anonymous cases, a case's thread, replying, notes, assigning,
closing, and the week's numbers. For the counsellor role alone (not even admin): what young
people wrote in a case is theirs to read.

Every page calls ``bot.domain.cases.inbox``, as the REST API does, and every look at a case and
every action on one goes to the case audit log (who, what, which case; never content). No page,
form or URL ever holds a case's phone number, its sealed form or its sender key: only the alias.
"""
from __future__ import annotations

from datetime import timedelta

from flask import abort, redirect, render_template, request, url_for

from bot.console.access import requires, runtime, viewer
from bot.console.blueprint import blueprint, menu
from bot.core import clock
from bot.domain.cases import inbox
from bot.domain.staff import accounts
from bot.engine.texts import HELP_NOW_DA, HELP_NOW_EN
from bot.flows.counselling import Counselling

COUNSELLOR = "counsellor"
STATS_WEEKS = 12

menu(80, "inbox_page", "inbox", current=("case_page",))
menu(81, "stats_page", "stats")


def _service() -> Counselling:
    service = runtime().flows.current().counselling
    if service is None:
        abort(404)
    return service


def _fragment() -> bool:
    return bool(request.headers.get("HX-Request"))


@blueprint.get("/inbox")
@requires(COUNSELLOR)
def inbox_page():
    service = _service()
    with runtime().db.session() as db:
        entries = inbox.inbox(db, clock.now())
    template = "console/_inbox_list.html" if _fragment() else "console/inbox.html"
    return render_template(template, entries=entries, overdue_after=int(service.reply_within.total_seconds() // 60))


@blueprint.get("/cases/<alias>")
@requires(COUNSELLOR)
def case_page(alias: str):
    service = _service()
    now = clock.now()
    with runtime().db.session() as db:
        case = _find(db, alias)
        if not _fragment():
            inbox.audit(db, viewer().email, "view", alias, now)
        view = _case_view(db, service, case, now)
    # Rendered once the transaction is over: a page may look something up on its own (SQLite has
    # one writer at a time, and this transaction was one).
    return render_template("console/_thread.html" if _fragment() else "console/case.html", **view)


def _case_view(db, service: Counselling, case, now, *, warning=None, draft: str = "") -> dict:
    thread = inbox.thread_with_status(db, case)
    return dict(
        case=case, thread=thread, seen=thread[-1].message.id if thread else 0, topics=inbox.TOPICS, now=now, warning=warning, draft=draft,
        colleagues=[user.email for user in accounts.list_users(db) if user.role == COUNSELLOR and user.disabled_at is None],
        overdue_after=int(service.reply_within.total_seconds() // 60), help_now=HELP_NOW_EN if case.language == "en" else HELP_NOW_DA,
    )


def _find(db, alias: str):
    try:
        return inbox.find(db, alias, lock=request.method == "POST")
    except inbox.CaseError:
        abort(404)


def _act(alias: str, action: str, work):
    """One transaction: the work and its audit row together, or neither; a CaseError is shown."""
    now = clock.now()
    try:
        with runtime().db.session() as db:
            work(db, _find(db, alias), now)
            inbox.audit(db, viewer().email, action, alias, now)
    except inbox.CaseError as error:
        _refuse(error)


def _refuse(error: inbox.CaseError):
    abort(error.status if error.status in (404, 409) else 422, error.message)


@blueprint.post("/cases/<alias>/reply")
@requires(COUNSELLOR)
def reply_to_case(alias: str):
    service = _service()
    text = request.form.get("text", "")
    seen = request.form.get("seen", type=int) or 0
    sure = request.form.get("send_anyway") == "1"
    now = clock.now()
    warned = None
    try:
        with runtime().db.session() as db:
            case = _find(db, alias)  # locked: two replies to one case are decided one after the other
            others = inbox.replies_since(db, case, seen, not_by=viewer().email)
            if others and not sure:
                # Someone answered while this reply was being written: the young person should not
                # get two answers by accident, so this one waits until the counsellor has read theirs.
                warned = _case_view(db, service, case, now, warning=others, draft=text)
            else:
                inbox.reply(db, service, case, viewer().email, text, now)
                inbox.audit(db, viewer().email, "reply", alias, now)
    except inbox.CaseError as error:
        _refuse(error)
    if warned is not None:
        return render_template("console/case.html", **warned), 409
    return redirect(url_for("console.case_page", alias=alias))


@blueprint.post("/cases/<alias>/notes")
@requires(COUNSELLOR)
def add_case_note(alias: str):
    _service()
    text = request.form.get("text", "")
    _act(alias, "note", lambda db, case, at: inbox.add_note(db, case, viewer().email, text, at))
    return redirect(url_for("console.case_page", alias=alias))


@blueprint.post("/cases/<alias>/assign")
@requires(COUNSELLOR)
def assign_case(alias: str):
    _service()
    chosen = request.form.get("to", "me")
    with runtime().db.session() as db:
        colleague = accounts.find_user(db, chosen) if chosen != "me" else None
    if chosen != "me" and (colleague is None or colleague.role != COUNSELLOR or colleague.disabled_at is not None):
        abort(422, "no such counsellor")
    to = viewer().email if chosen == "me" else colleague.email
    _act(alias, "assign", lambda db, case, at: inbox.assign(db, case, to))
    return redirect(url_for("console.case_page", alias=alias))


@blueprint.post("/cases/<alias>/close")
@requires(COUNSELLOR)
def close_case(alias: str):
    service = _service()
    reason, topic = request.form.get("reason", ""), request.form.get("topic", "")
    _act(alias, "close", lambda db, case, at: inbox.close(db, service, case, viewer().email, reason, topic, at))
    return redirect(url_for("console.inbox_page"))


@blueprint.get("/stats")
@requires(COUNSELLOR)
def stats_page():
    _service()
    until = clock.now().astimezone(runtime().settings.zone).date()
    since = until - timedelta(weeks=STATS_WEEKS - 1, days=until.weekday())
    with runtime().db.session() as db:
        weeks = inbox.weekly_stats(db, since, until)
        inbox.audit(db, viewer().email, "stats", None, clock.now())
    most = max((week.cases for week in weeks), default=0)
    return render_template("console/stats.html", weeks=weeks, most=max(most, 1), topics=inbox.TOPICS)
