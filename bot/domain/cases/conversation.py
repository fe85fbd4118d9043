"""What the bot says in an anonymous case: a pure function of the case, the message and the hour.

``step`` takes the case as it is and one thing the young person sent, and returns the case as it
should be, what to answer and whom to alert. It reads and writes nothing: the job in
``bot.jobs.case_processing`` applies the result, like the flow engine's actions.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_timedelta

from bot.core import textmatch
from bot.flows.counselling import Counselling, describe_opening

# Someone who writes again after this long a silence is told once more that their words arrived.
ACKNOWLEDGE_AGAIN_AFTER = timedelta(hours=12)


@dataclass(frozen=True)
class CaseState:
    alias: str
    language: str
    stage: str  # asking (is it urgent?) or open
    urgent: bool
    closed_told_until: datetime | None  # "we are closed" was said; not again before this
    waiting: bool = False  # something they wrote waits for a counsellor's answer
    acknowledged: bool = False  # they know it reaches a person (told so, or answered) since the case last fell silent for long


@dataclass(frozen=True)
class Incoming:
    kind: str  # open (RÅD, a new case), resume (RÅD again), text
    text: str
    keyword: bool = False  # the whole message is a flow's keyword ("HJÆLP"): meant for the bot


@dataclass(frozen=True)
class Reply:
    text: str
    choices: tuple[str, ...] = ()
    kind: str = "text"  # or "received": it told them their words reached the counsellors


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
    elif incoming.keyword:
        # Written to the bot, it reaches the counsellor all the same: say where they are and how out.
        replies.append(say("in_case"))
    elif state.stage == "asking" and incoming.kind == "text" and text:
        yes, no = service.urgent_choices(language)
        answer = textmatch.match_choice(text, [[yes, "yes", "ja", "haster"], [no, "no", "nej"]])
        if answer == 0:
            alerts.append(Alert("urgent"))
            replies.append(say("urgent_noted"))
            state = replace(state, stage="open", urgent=True)
        else:
            # A "no", or the question itself instead of an answer: either way it waits its turn.
            # A "no" before they have said what it is about asks them to; else the receipt follows.
            if answer == 1 and not state.waiting:
                replies.append(say("waiting"))
            state = replace(state, stage="open")
        return _with_hours(service, state, replies, alerts, now, zone, content=answer is None, say=say)
    if state.stage == "asking":
        yes, no = service.urgent_choices(language)
        replies.append(Reply(service.say("urgent_question", language), (yes, no)))
        return Step(state, tuple(replies), tuple(alerts), content=bool(text))
    return _with_hours(service, state, replies, alerts, now, zone, content=bool(text), say=say)


def _with_hours(service, state, replies, alerts, now, zone, *, content, say) -> Step:
    """Outside opening hours, say once per closed spell when a counsellor will answer.

    A message that waits for a counsellor and gets no other answer hears once that it arrived and
    when to expect an answer (and again after a long silence), so nobody writes into a void;
    "we are closed, a counsellor answers Monday at 09:00" says as much.
    """
    receipt = (content or state.waiting) and not state.acknowledged and not replies
    if service.opening_at(now, zone) is None and (state.closed_told_until is None or now >= state.closed_told_until):
        opens = service.next_opening(now, zone)
        replies.append(replace(say("closed_now", opens=describe_opening(opens, now, zone, state.language)), kind="received" if receipt else "text"))
        state = replace(state, closed_told_until=opens)
    elif receipt:
        replies.append(replace(say("received", answer_by=_answer_by(service, now, zone, state.language)), kind="received"))
    return Step(replace(state, acknowledged=state.acknowledged or receipt), tuple(replies), tuple(alerts), content)


def _answer_by(service: Counselling, now: datetime, zone: ZoneInfo, language: str) -> str:
    """When a counsellor will answer: "inden for ca. 30 minutter" while open long enough for that,
    else when the service next opens ("mandag kl. 09:00")."""
    opening = service.opening_at(now, zone)
    if opening is not None and now + service.reply_within <= opening.ends_at:
        within = format_timedelta(service.reply_within, threshold=2, locale="en" if language == "en" else "da")
        return f"within about {within}" if language == "en" else f"inden for ca. {within}"
    return describe_opening(service.next_opening(now, zone), now, zone, language)
