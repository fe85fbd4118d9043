"""The console's "try it" chat: a young person's conversation with the live flows that reaches no
one and changes nothing.

Each message goes through the engine exactly as a real one does (``bot.engine.handle``, with the
flows the bot serves now). What its actions would do at the edge is not done but told: the
sandbox keeps what a flow saves, the communities joined and the times booked in itself, and adds
an effect line ("here the young person would join ...") where the real edge would write to the
database or send to staff. Nothing is written, nothing is queued, no provider is called; the only
thing read is which bookable times are free. A message that would open an anonymous case is told
as such too: no case is made and no counsellor hears of it.

The sandbox is plain data (``to_json``), so the console can keep it for the staff session.
"""
from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from bot import engine
from bot.core.phone import InvalidPhoneNumber, normalise_phone
from bot.domain.bookings import bookings
from bot.domain.cases.intake import case_route
from bot.domain.contacts.linking import MAX_TRIES, shown
from bot.engine import actions
from bot.flows.flowset import FlowSet
from bot.runtime import Runtime

log = logging.getLogger(__name__)

CHANNELS = ("sms", "webchat")  # choices as a numbered list in the text, or as buttons
MAX_TEXT_CHARS = 1000
LINES_KEPT = 200


@dataclass
class Line:
    """One thing in the conversation: what the young person wrote, what the bot said (its choices
    apart, so either channel can show them), or what would have happened at the edge."""

    who: str  # "you", "bot" or "effect"
    text: str = ""
    choices: list[str] = field(default_factory=list)
    effect: str = ""  # what would have happened: joined, notify, case_opened ...
    detail: dict[str, str] = field(default_factory=dict)  # its particulars


@dataclass
class Sandbox:
    channel: str = "sms"
    name: str | None = None
    language: str = "da"
    fields: dict[str, str] = field(default_factory=dict)
    opted_out: bool = False
    state: dict[str, Any] | None = None  # the engine's State, as JSON
    joined: list[str] = field(default_factory=list)
    booked: list[dict[str, Any]] = field(default_factory=list)  # BookedTime, as JSON
    link: dict[str, Any] | None = None  # NUMMER: the number, its code and the wrong tries
    in_case: bool = False  # an anonymous case would be listening
    lines: list[Line] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> Sandbox:
        data = json.loads(text)
        data["lines"] = [Line(**line) for line in data["lines"]]
        return cls(**data)

    @property
    def waiting_until(self) -> datetime | None:
        """When the step the conversation waits at gives up waiting for an answer, if it does."""
        timeout_at = self.state and self.state["timeout_at"]
        return datetime.fromisoformat(timeout_at) if timeout_at else None


def write(runtime: Runtime, sandbox: Sandbox, text: str, now: datetime) -> list[Line]:
    """The young person writes ``text``: the lines it adds (what they wrote, what the bot answers,
    and what would have happened)."""
    text = text.strip()[:MAX_TEXT_CHARS]
    if not text:
        return []
    before = len(sandbox.lines)
    sandbox.lines.append(Line("you", text))
    flows = runtime.flows.current()
    if not _goes_to_a_case(flows, sandbox, text):
        outcome = engine.handle(flows, _view(sandbox), _state(sandbox), actions.IncomingText(text), now, runtime.settings.zone)
        _carry_out(runtime, flows, sandbox, outcome, now)
    return _added(sandbox, before)


def wait(runtime: Runtime, sandbox: Sandbox) -> list[Line]:
    """The young person does not answer until the waiting step gives up: the lines that adds."""
    until = sandbox.waiting_until
    if until is None:
        return []
    before = len(sandbox.lines)
    sandbox.lines.append(Line("effect", effect="waited", detail={"when": _local(runtime, until)}))
    flows = runtime.flows.current()
    outcome = engine.handle(flows, _view(sandbox), _state(sandbox), actions.TimedOut(), until, runtime.settings.zone)
    _carry_out(runtime, flows, sandbox, outcome, until)
    return _added(sandbox, before)


def _added(sandbox: Sandbox, before: int) -> list[Line]:
    added = sandbox.lines[before:]
    del sandbox.lines[:-LINES_KEPT]
    return added


def _goes_to_a_case(flows: FlowSet, sandbox: Sandbox, text: str) -> bool:
    """As ``bot.domain.cases.intake.take`` routes a message, without a case: True when it is the
    anonymous case's (opening, deleting, or while one listens), told as an effect."""
    route = case_route(text, listening=sandbox.in_case) if flows.counselling is not None else None
    if route is None:
        return False
    _, deleting = route
    if deleting:
        sandbox.lines.append(Line("effect", effect="case_deleted"))
        sandbox.in_case = False
    else:
        sandbox.lines.append(Line("effect", effect="case_message" if sandbox.in_case else "case_opened"))
        sandbox.in_case = True
    return True


def _view(sandbox: Sandbox) -> actions.ContactView:
    return actions.ContactView(name=sandbox.name, language=sandbox.language, fields=dict(sandbox.fields), opted_out=sandbox.opted_out)


def _state(sandbox: Sandbox) -> actions.State | None:
    kept = sandbox.state
    if kept is None:
        return None
    moments = {key: datetime.fromisoformat(kept[key]) if kept[key] else None for key in ("timeout_at", "expires_at")}
    return actions.State(flow=kept["flow"], step=kept["step"], data=dict(kept["data"]), **moments)


def _keep(state: actions.State | None) -> dict[str, Any] | None:
    if state is None:
        return None
    moments = {key: moment.isoformat() if moment else None for key, moment in (("timeout_at", state.timeout_at), ("expires_at", state.expires_at))}
    return {"flow": state.flow, "step": state.step, "data": dict(state.data), **moments}


@dataclass
class _Turn:
    runtime: Runtime
    flows: FlowSet
    sandbox: Sandbox
    now: datetime
    answers: list[actions.Event] = field(default_factory=list)  # facts a waiting step hears next

    def tell(self, effect: str, **detail: str) -> None:
        self.sandbox.lines.append(Line("effect", effect=effect, detail=detail))


def _carry_out(runtime: Runtime, flows: FlowSet, sandbox: Sandbox, outcome: actions.Outcome, now: datetime) -> None:
    """As the processing job applies an outcome, with the sandbox as the edge."""
    turn = _Turn(runtime, flows, sandbox, now)
    for _ in range(engine.MAX_ROUNDS):
        for action in outcome.actions:
            _EDGE[type(action)](action, turn)
        sandbox.state = _keep(outcome.state)
        if not turn.answers:
            return
        outcome = engine.handle(flows, _view(sandbox), outcome.state, turn.answers.pop(0), now, runtime.settings.zone)
    log.error("try-it chat: a step and the edge answered each other %d times; stopped", engine.MAX_ROUNDS)


def _local(runtime: Runtime, moment: datetime) -> str:
    return moment.astimezone(runtime.settings.zone).strftime("%d.%m.%Y %H:%M")


# What each action would do at the edge -----------------------------------------------------------


def _send(action: actions.SendText, turn: _Turn) -> None:
    # Sending holds back all but the system's own texts from someone who said STOP.
    if turn.sandbox.opted_out and not action.even_if_opted_out:
        return
    turn.sandbox.lines.append(Line("bot", action.text, list(action.choices)))


def _save(action: actions.SaveField, turn: _Turn) -> None:
    sandbox = turn.sandbox
    if action.field == "name":
        sandbox.name = action.value[:100]
    elif action.field == "language":
        sandbox.language = action.value
    else:
        sandbox.fields[action.field] = action.value
    turn.tell("saved", field=action.field, value=action.value)


def _notify(action: actions.NotifyStaff, turn: _Turn) -> None:
    if action.to:
        turn.tell("notify_by_sms", text=action.text, phones=str(len(action.to)))
    else:
        turn.tell("notify", text=action.text)


def _opt_out(_action: actions.OptOut, turn: _Turn) -> None:
    turn.sandbox.opted_out = True
    turn.tell("opted_out")


def _opt_in(_action: actions.OptIn, turn: _Turn) -> None:
    turn.sandbox.opted_out = False
    turn.tell("opted_in")


def _join(action: actions.JoinCommunity, turn: _Turn) -> None:
    if action.community not in turn.sandbox.joined:
        turn.sandbox.joined.append(action.community)
    community = turn.flows.communities.get(action.community)
    turn.tell("joined", community=community.display_name if community is not None else action.community)


def _attendance(action: actions.RecordAttendance, turn: _Turn) -> None:
    turn.tell("attendance", reply=action.reply)


def _check_in(_action: actions.CheckIn, turn: _Turn) -> None:
    turn.tell("checked_in")


def _mood(action: actions.RecordMood, turn: _Turn) -> None:
    turn.tell("mood", score=str(action.score))


def _mood_note(_action: actions.RecordMoodNote, turn: _Turn) -> None:
    turn.tell("mood_note")


def _pause(action: actions.PauseCheckins, turn: _Turn) -> None:
    if action.until is None:
        turn.tell("checkins_stopped")
    else:
        turn.tell("checkins_paused", when=_local(turn.runtime, action.until))


def _resume(_action: actions.ResumeCheckins, turn: _Turn) -> None:
    turn.tell("checkins_resumed")


def _booking(action: actions.LookUpTimes | actions.BookTime | actions.CancelBooking, turn: _Turn) -> None:
    """As ``bookings.answer``, with the sandbox's own memberships and bookings; the free times are
    the real ones, read and left as they are."""
    communities = bookings.bookable_communities(turn.runtime)
    joined = [slug for slug in turn.sandbox.joined if slug in communities]
    booked = [_booked_time(entry) for entry in turn.sandbox.booked]
    slug, result, subject = getattr(action, "community", None), None, None
    with turn.runtime.db.session() as session:

        def free(where: str, limit: int | None = bookings.OFFERED) -> tuple[tuple[datetime, datetime], ...]:
            found = bookings.free_times(session, where, communities[where], turn.now, turn.runtime.settings.zone, limit=None)
            theirs = {b.starts_at for b in booked if b.community == where}
            return tuple((slot.starts_at, slot.ends_at) for slot in found if slot.starts_at not in theirs)[:limit]

        if isinstance(action, actions.BookTime):
            times = dict(free(action.community, limit=None)) if action.community in joined else {}
            if action.starts_at not in times:
                result = "taken" if action.community in joined else "gone"
            else:
                subject = actions.BookedTime(max((b.id for b in booked), default=0) + 1, action.community, action.starts_at, times[action.starts_at])
                result = "moved" if any(b.id == action.replacing for b in booked) else "booked"
                booked = [b for b in booked if b.id != action.replacing] + [subject]
                turn.tell(result, community=communities[action.community].display_name, when=_local(turn.runtime, action.starts_at))
        elif isinstance(action, actions.CancelBooking):
            subject = next((b for b in booked if b.id == action.booking_id), None)
            result = "gone" if subject is None else "cancelled"
            if subject is not None:
                booked.remove(subject)
                slug = subject.community
                turn.tell("cancelled", community=communities[slug].display_name, when=_local(turn.runtime, subject.starts_at))
        if slug is None and len(joined) == 1:
            slug = joined[0]
        times = free(slug) if slug in joined else ()
    turn.sandbox.booked = [_kept_booking(b) for b in booked]
    places = tuple(
        actions.BookableCommunity(slug=name, display_name=c.display_name, keyword=c.keywords()[0][0], member=name in joined)
        for name, c in sorted(communities.items())
    )
    coming = tuple(sorted((b for b in booked if b.starts_at > turn.now), key=lambda b: (b.starts_at, b.id)))
    turn.answers.append(actions.BookingFacts(places, slug if slug in joined else None, times, coming, result, subject))


def _booked_time(kept: dict[str, Any]) -> actions.BookedTime:
    return actions.BookedTime(kept["id"], kept["community"], datetime.fromisoformat(kept["starts_at"]), datetime.fromisoformat(kept["ends_at"]))


def _kept_booking(booked: actions.BookedTime) -> dict[str, Any]:
    return {"id": booked.id, "community": booked.community, "starts_at": booked.starts_at.isoformat(), "ends_at": booked.ends_at.isoformat()}


def _send_link_code(action: actions.SendLinkCode, turn: _Turn) -> None:
    """As ``linking.answer``: the code that would go by SMS to the number is shown instead."""
    try:
        number = normalise_phone(action.number)
    except InvalidPhoneNumber:
        turn.answers.append(actions.LinkFacts("invalid"))
        return
    code = f"{secrets.randbelow(10**6):06d}"
    turn.sandbox.link = {"number": number, "code": code, "tries": 0}
    turn.tell("link_code", number=shown(number), code=code)
    turn.answers.append(actions.LinkFacts("sent", shown(number)))


def _check_link_code(action: actions.CheckLinkCode, turn: _Turn) -> None:
    link = turn.sandbox.link
    if link is None:
        turn.answers.append(actions.LinkFacts("expired"))
        return
    if re.sub(r"\D", "", action.code) != link["code"]:
        link["tries"] += 1
        if link["tries"] >= MAX_TRIES:
            turn.sandbox.link = None
        turn.answers.append(actions.LinkFacts("expired" if turn.sandbox.link is None else "wrong"))
        return
    turn.sandbox.link = None
    turn.tell("linked", number=shown(link["number"]))
    turn.answers.append(actions.LinkFacts("linked", shown(link["number"])))


_EDGE: dict[type, Callable[[Any, _Turn], None]] = {
    actions.SendText: _send,
    actions.SaveField: _save,
    actions.NotifyStaff: _notify,
    actions.OptOut: _opt_out,
    actions.OptIn: _opt_in,
    actions.JoinCommunity: _join,
    actions.RecordAttendance: _attendance,
    actions.CheckIn: _check_in,
    actions.RecordMood: _mood,
    actions.RecordMoodNote: _mood_note,
    actions.PauseCheckins: _pause,
    actions.ResumeCheckins: _resume,
    **dict.fromkeys(actions.BOOKING_ACTIONS, _booking),
    actions.SendLinkCode: _send_link_code,
    actions.CheckLinkCode: _check_link_code,
}


def stands_in_for() -> frozenset[type]:
    """The actions the sandbox tells instead of doing (a test checks that this is every one)."""
    return frozenset(_EDGE)
