"""The counsellor's side of anonymous cases: the inbox, a case's thread, assigning, replying,
internal notes, closing, weekly statistics and the audit log.

Every route here is for the ``counsellor`` role alone (``bot.api.auth.grants``): not staff, not
even admin. A case is known by its alias; no route answers with the young person's number, its
sealed form or the sender key, and the logs get aliases and token names only.

Every route writes its row in the audit log (who, when, what, which case; never content) in the
same transaction as its work, so there is no reading without a trace and no trace of a failure.
A message to the young person (a reply, the closing text) is queued for the worker only once
that transaction has committed (``bot.domain.queueing``), so the worker cannot look for it before
it is there.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy.orm import Session

from bot.api.common import EARLIEST, FROM, MAX_WINDOW_DAYS, TO, LocalTime, RowWith, date_parameter, query_date, runtime, today
from bot.api.errors import ApiError
from bot.api.fields import words
from bot.api.routing import caller, route
from bot.core import clock
from bot.domain.cases import inbox
from bot.flows.counselling import Counselling

log = logging.getLogger(__name__)

STATS_WEEKS = 8
AUDIT_DAYS = 30
SINCE = date_parameter("since", "The first local date, YYYY-MM-DD (empty or left out: 30 days ago)")
NOT_SET_UP = "Anonymous counselling is not set up"
Topic = Literal[tuple(inbox.TOPICS)]  # type: ignore[valid-type]


# Request bodies --------------------------------------------------------------------------------

ReplyText = words(inbox.TEXT_MAX, examples=["Hej. Det lyder svært. Hvad er der sket?"])
NoteText = words(inbox.NOTE_MAX)
Reason = words(inbox.REASON_MAX, examples=["Svaret og takket"])


class Reply(BaseModel):
    """The counsellor's answer, sent to the young person as an SMS ("Rådgiver: ...")."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: ReplyText


class Note(BaseModel):
    """An internal note for the counsellors; never sent."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: NoteText


class Assignment(BaseModel):
    """``"me"``: the case is the calling counsellor's; ``null``: nobody's."""

    model_config = ConfigDict(extra="forbid", strict=True)

    to: Literal["me"] | None = Field(description='"me" (the token\'s name) or null to unassign')


class Closing(BaseModel):
    """Why the case is closed (for the counsellors) and what it was about (for the statistics)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    reason: Reason
    topic: Topic = Field(description="What the case was about, for the weekly statistics")


# Responses -------------------------------------------------------------------------------------

class InboxEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    alias: str = Field(examples=["Ung-4821"])
    urgent: bool
    waiting_since: LocalTime | None = Field(description="Local time with its offset; null when nothing waits for an answer")
    waiting_minutes: int | None
    last_message_at: LocalTime = Field(description="Local time with its offset")
    first_words: str = Field(description="The start of the first thing the young person wrote")
    assigned_to: str | None = Field(description="The name of the counsellor's token")
    channel: str


class InboxOut(BaseModel):
    cases: list[InboxEntryOut] = Field(description="Urgent first, then the longest waiting, then by last message")


class CaseSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    alias: str = Field(examples=["Ung-4821"])
    status: Literal["open", "closed"]
    urgent: bool
    topic: str | None = Field(description="Set when the case is closed")
    assigned_to: str | None = Field(description="The name of the counsellor's token")
    channel: str
    language: str
    opened_at: LocalTime = Field(description="Local time with its offset")
    last_message_at: LocalTime
    waiting_since: LocalTime | None = Field(description="Since when the young person waits for an answer")
    waiting_minutes: int | None = Field(validation_alias="waiting_since")
    closed_at: LocalTime | None

    # Counted up to the moment the route works at, given as context={"now": ...}: the moment its
    # changes and its audit row have.
    @field_validator("waiting_minutes", mode="before")
    @classmethod
    def _minutes_waited(cls, since: datetime | None, info: ValidationInfo) -> int | None:
        return int((info.context["now"] - since).total_seconds() // 60) if since else None


class ThreadEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    direction: Literal["in", "bot", "out", "note"] = Field(
        description="in: the young person; bot: the bot's answer; out: a counsellor's reply; note: internal, never sent"
    )
    author: str | None = Field(description="The counsellor's token name, for out and note")
    body: str
    at: LocalTime = Field(validation_alias="created_at", description="Local time with its offset")


class CaseOut(CaseSummary):
    thread: list[ThreadEntryOut] = Field(description="Oldest first")


class WeekOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    week: str = Field(examples=["2026-W48"], description="ISO week")
    cases: int = Field(description="Cases opened that week")
    urgent: int
    median_first_reply_minutes: float | None = Field(description="From the case opening to a counsellor's first reply")
    topics: dict[str, int] = Field(description="Closed cases per topic")


class StatsOut(BaseModel):
    model_config = ConfigDict(validate_by_name=True, serialize_by_alias=True)

    first: date = Field(alias="from")
    to: date
    weeks: list[WeekOut]
    topic_labels: dict[str, str] = Field(description="The topics and their Danish labels")


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: LocalTime = Field(description="Local time with its offset")
    actor: str = Field(description="The name of the token")
    action: str = Field(description="inbox, view, assign, reply, note, close, stats or audit")
    case_alias: str | None


class AuditOut(BaseModel):
    since: date
    entries: list[AuditEntryOut] = Field(description="Newest first, at most 1000")


# Shared ----------------------------------------------------------------------------------------

def _service() -> Counselling:
    service = runtime().flows.current().counselling
    if service is None:
        raise ApiError(404, "anonymous counselling is not set up")
    return service


@contextmanager
def _work(action: str, alias: str | None = None) -> Iterator[tuple[Session, datetime]]:
    """One transaction with its audit row: committed together, or neither when the work fails."""
    now = clock.now()
    try:
        with runtime().db.session() as session:
            yield session, now
            inbox.audit(session, caller().name, action, alias, now)
    except inbox.CaseError as error:
        raise ApiError(error.status, error.message) from None


# Routes ----------------------------------------------------------------------------------------

@route(
    "GET", "/cases", requires="counsellor", summary="The inbox of open anonymous cases", response=InboxOut,
    errors={404: NOT_SET_UP},
)
def case_inbox():
    """Every open case: urgent first, then the one that has waited longest for an answer, then
    the rest by their last message. Each with the first words the young person wrote."""
    _service()
    with _work("inbox") as (session, now):
        return InboxOut(cases=inbox.inbox(session, now))


@route(
    "GET", "/cases/stats", requires="counsellor", summary="Weekly statistics of the cases", response=StatsOut,
    query=(FROM, TO), errors={404: NOT_SET_UP},
)
def case_stats():
    """Query: `from` and `to`, local dates YYYY-MM-DD (default: the last 8 ISO weeks up to
    today). Per ISO week: cases opened, how many were urgent, the median minutes to a
    counsellor's first reply, and the closed cases per topic. Counts only: no alias, no text."""
    _service()
    first, last = query_date("from"), query_date("to")
    last = last or today(runtime().settings.zone)
    if first is None:
        monday = last - timedelta(days=last.weekday())
        first = max(EARLIEST, monday - timedelta(weeks=STATS_WEEKS - 1))
    if first > last:
        raise ApiError(400, "'from' is after 'to'", fields={"from": "after 'to'"})
    if (last - first).days > MAX_WINDOW_DAYS:
        message = f"at most {MAX_WINDOW_DAYS} days from 'from' to 'to'"
        raise ApiError(400, message, fields={"to": message})
    with _work("stats") as (session, _):
        weeks = inbox.weekly_stats(session, first, last)
    return StatsOut(
        first=first,
        to=last,
        weeks=weeks,
        topic_labels=dict(inbox.TOPICS),
    )


@route(
    "GET", "/cases/audit", requires="counsellor", summary="Who looked at or answered which case", response=AuditOut,
    query=(SINCE,), errors={404: NOT_SET_UP},
)
def case_audit():
    """Query: `since`, a local date YYYY-MM-DD (default: 30 days ago). Who (the token's name),
    when, what (inbox, view, assign, reply, note, close, stats, audit) and which case; never
    what was written. Newest first, at most 1000 rows.

    This route is for the counsellor role like the others; an IT department would give it to
    the service's lead counsellor, who answers for how the cases are read. Reading the log is
    itself written to it."""
    _service()
    zone = runtime().settings.zone
    since = query_date("since") or today(zone) - timedelta(days=AUDIT_DAYS)
    with _work("audit") as (session, _):
        return AuditOut(since=since, entries=inbox.audit_log(session, datetime.combine(since, time(0), zone)))


@route("GET", "/cases/<alias>", requires="counsellor", summary="A case with its thread", response=CaseOut)
def get_case(alias: str):
    """The case and everything in it, oldest first: what the young person wrote (in), the bot's
    answers (bot), the counsellors' replies (out) and internal notes (note)."""
    _service()
    with _work("view", alias) as (session, now):
        case = inbox.find(session, alias)
        return CaseOut.model_validate(RowWith(case, thread=inbox.thread(session, case)), context={"now": now})


@route("POST", "/cases/<alias>/assign", requires="counsellor", summary="Take a case, or let it go", body=Assignment, response=CaseSummary)
def assign_case(alias: str, body: Assignment):
    """`{"to": "me"}`: the case is the calling counsellor's (their token's name); `{"to": null}`:
    nobody's. Another counsellor may take over an assigned case."""
    _service()
    who = caller().name if body.to == "me" else None
    with _work("assign", alias) as (session, now):
        case = inbox.find(session, alias, lock=True)
        inbox.assign(session, case, who)
        answer = CaseSummary.model_validate(case, context={"now": now})
    log.info("api: %s %s case %s", caller().name, "took" if who else "unassigned", alias)
    return answer


@route(
    "POST", "/cases/<alias>/reply", requires="counsellor", summary="Answer the young person", body=Reply,
    response=CaseSummary, statuses=(201,), errors={409: "The case is closed"},
)
def reply_to_case(alias: str, body: Reply):
    """The text is sent to the young person as an SMS, within seconds ("Rådgiver: ..."; at most
    1600 characters). The case no longer waits for an answer, and is the counsellor's if it was
    nobody's. Only while the case is open (409 otherwise)."""
    service = _service()
    with _work("reply", alias) as (session, now):
        case = inbox.find(session, alias, lock=True)
        inbox.reply(session, service, case, caller().name, body.text, now)
        answer = CaseSummary.model_validate(case, context={"now": now})
    log.info("api: %s replied in case %s", caller().name, alias)
    return answer


@route(
    "POST", "/cases/<alias>/notes", requires="counsellor", summary="Add an internal note", body=Note,
    response=CaseSummary, statuses=(201,),
)
def add_case_note(alias: str, body: Note):
    """A note for the counsellors in the case's thread (at most 4000 characters). It is never
    sent to the young person."""
    _service()
    with _work("note", alias) as (session, now):
        case = inbox.find(session, alias, lock=True)
        inbox.add_note(session, case, caller().name, body.text, now)
        answer = CaseSummary.model_validate(case, context={"now": now})
    log.info("api: %s added a note to case %s", caller().name, alias)
    return answer


@route(
    "POST", "/cases/<alias>/close", requires="counsellor", summary="Close a case", body=Closing, response=CaseSummary,
    errors={409: "The case is closed already"},
)
def close_case(alias: str, body: Closing):
    """The young person is told the case is closed (and how to start a new one or delete this
    one), the case leaves the inbox, and its topic counts in the statistics. Only an open case
    (409 otherwise)."""
    service = _service()
    with _work("close", alias) as (session, now):
        case = inbox.find(session, alias, lock=True)
        inbox.close(session, service, case, caller().name, body.reason, body.topic, now)
        answer = CaseSummary.model_validate(case, context={"now": now})
    log.info("api: %s closed case %s (%s)", caller().name, alias, body.topic)
    return answer
