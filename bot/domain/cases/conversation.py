"""What the bot says in an anonymous case: a pure function of the case, the message and the hour.

``step`` takes the case as it is and one thing the young person sent, and returns the case as it
should be, what to answer and whom to alert. It reads and writes nothing: the job in
``bot.jobs.case_processing`` applies the result, like the flow engine's actions.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core import textmatch
from bot.flows.counselling import Counselling, describe_opening


@dataclass(frozen=True)
class CaseState:
    alias: str
    language: str
    stage: str  # asking (is it urgent?) or open
    urgent: bool
    closed_told_until: datetime | None  # "we are closed" was said; not again before this


@dataclass(frozen=True)
class Incoming:
    kind: str  # open (RÅD, a new case), resume (RÅD again), text
    text: str


@dataclass(frozen=True)
class Reply:
    text: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Alert:
    reason: str  # urgent, danger


@dataclass(frozen=True)
class Step:
    state: CaseState
    replies: tuple[Reply, ...]
    alerts: tuple[Alert, ...]
    content: bool  # the message says something the counsellor must read


def step(service: Counselling, state: CaseState, incoming: Incoming, now: datetime, zone: ZoneInfo, retention_days: int) -> Step:
    language = state.language
    say = lambda name, **extra: Reply(service.say(name, language, alias=state.alias, retention_days=retention_days, **extra))  # noqa: E731
    replies: list[Reply] = []
    alerts: list[Alert] = []
    text = incoming.text.strip()
    danger = bool(text) and service.danger_in(text) is not None

    if incoming.kind == "open":
        replies.append(say("intro"))
    elif incoming.kind == "resume":
        replies.append(say("resumed"))

    if danger:
        replies.append(say("safety"))
        alerts.append(Alert("danger"))
        state = replace(state, stage="open", urgent=True)
    elif state.stage == "asking" and incoming.kind == "text" and text:
        yes, no = service.urgent_choices(language)
        answer = textmatch.match_choice(text, [[yes, "yes", "ja", "haster"], [no, "no", "nej"]])
        if answer == 0:
            alerts.append(Alert("urgent"))
            replies.append(say("urgent_noted"))
            state = replace(state, stage="open", urgent=True)
        else:
            # A "no", or the question itself instead of an answer: either way it waits its turn.
            replies.append(say("waiting"))
            state = replace(state, stage="open")
        return _with_hours(service, state, replies, alerts, now, zone, content=answer is None, say=say)
    if state.stage == "asking":
        yes, no = service.urgent_choices(language)
        replies.append(Reply(service.say("urgent_question", language), (yes, no)))
        return Step(state, tuple(replies), tuple(alerts), content=bool(text))
    return _with_hours(service, state, replies, alerts, now, zone, content=bool(text), say=say)


def _with_hours(service, state, replies, alerts, now, zone, *, content, say) -> Step:
    """Outside opening hours, say once per closed spell when a counsellor will answer."""
    if service.opening_at(now, zone) is None and (state.closed_told_until is None or now >= state.closed_told_until):
        opens = service.next_opening(now, zone)
        replies.append(say("closed_now", opens=describe_opening(opens, now, zone, state.language)))
        state = replace(state, closed_told_until=opens)
    return Step(state, tuple(replies), tuple(alerts), content)
