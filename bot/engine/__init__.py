"""The flow engine: (flows, contact, state, event, now) -> new state + actions.

Pure computation, in the manner of goflow: nothing here reads a database, a queue or a clock.
What an event does is decided by RULES, in order: the first rule that answers wins. Words of
danger then put the numbers for help now in front of whatever answered (``_with_crisis_lines``).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.core import textmatch
from bot.engine import actions
from bot.engine.actions import BookingFacts, ContactView, Event, IncomingText, LinkFacts, Outcome, State, TimedOut
from bot.engine.context import Context
from bot.engine.steps.base import Continue, End, Goto, StartFlow, StepBase, Transition, Wait
from bot.engine.templates import render
from bot.engine.texts import DANGER_NOTE, OPT_IN_WORDS, OPT_OUT_WORDS, system_text

if TYPE_CHECKING:
    from bot.flows.flowset import FlowSet

log = logging.getLogger(__name__)

# A flow that jumps around more than this in one go is looping; stop rather than spin.
MAX_STEPS_PER_EVENT = 100
# A step that waits on facts (a booking, a linked number) hears them from the edge and may ask
# again; no flow needs more rounds than this, so more means a loop between a step and the edge.
MAX_ROUNDS = 10

__all__ = ["ContactView", "IncomingText", "Outcome", "State", "TimedOut", "handle"]


@dataclass(frozen=True)
class Turn:
    """One event for one contact, and the conversation it meets."""

    flows: FlowSet
    contact: ContactView
    ctx: Context
    state: State | None  # None also when the conversation expired before this event
    event: Event
    timed_out: bool  # a TimedOut whose time has come
    end_reason: str | None  # "expired", or None: how the conversation ended before any rule acts

    @classmethod
    def of(cls, flows: FlowSet, contact: ContactView, state: State | None, event: Event, now: datetime, zone: ZoneInfo) -> Turn:
        if isinstance(event, IncomingText):
            # Folded once, here: every rule and step after it reads this fold of the message.
            event = IncomingText(textmatch.folded(event.text))
        ctx = Context(contact, now, zone, event.text if isinstance(event, IncomingText) else None)
        timed_out = isinstance(event, TimedOut) and state is not None and state.timeout_at is not None and state.timeout_at <= now
        # A step's own timeout gets its turn even once the conversation is past its expiry.
        if not timed_out and state is not None and state.expires_at is not None and state.expires_at <= now:
            return cls(flows, contact, ctx, None, event, timed_out, "expired")
        return cls(flows, contact, ctx, state, event, timed_out, None)

    @property
    def text(self) -> str:
        # The rules for the edge's own events come first and answer every one of them.
        assert isinstance(self.event, IncomingText)
        return self.event.text

    def waiting_step(self) -> StepBase | None:
        """The step the conversation waits at, with ctx put back where it left off; None without a
        conversation, or when a flow change took the step away."""
        state = self.state
        if state is None:
            return None
        flow = self.flows.flows.get(state.flow)
        step = flow.steps.get(state.step) if flow else None
        if step is not None:
            self.ctx.flow, self.ctx.step, self.ctx.data = state.flow, state.step, dict(state.data)
        return step

    def unchanged(self) -> Outcome:
        return Outcome(self.state, [], end_reason=self.end_reason)


Rule = Callable[[Turn], Outcome | None]


def _timed_out_wait(turn: Turn) -> Outcome | None:
    if not isinstance(turn.event, TimedOut):
        return None
    if not turn.timed_out:
        return turn.unchanged()
    step = turn.waiting_step()
    if step is None:
        return Outcome(None, [], end_reason="flow_changed")
    return _follow(turn.flows, turn.ctx, step.time_out(turn.ctx))


def _edge_answer(turn: Turn) -> Outcome | None:
    """The edge's answer to what a booking or NUMMER step asked it to look up or do."""
    event = turn.event
    if not isinstance(event, (BookingFacts, LinkFacts)):
        return None
    step = turn.waiting_step()
    transition = step.learn(turn.ctx, event) if step is not None else None
    return turn.unchanged() if transition is None else _follow(turn.flows, turn.ctx, transition)


_OPT_OUT = textmatch.Keywords(OPT_OUT_WORDS)
_OPT_IN = textmatch.Keywords(OPT_IN_WORDS)


def _opt_out(turn: Turn) -> Outcome | None:
    if _OPT_OUT.exactly(turn.text) is None:
        return None
    turn.ctx.actions.append(actions.OptOut())
    turn.ctx.say_system("opted_out", even_if_opted_out=True)
    return Outcome(None, turn.ctx.actions, end_reason="opted_out" if turn.state is not None else turn.end_reason)


def _opt_in(turn: Turn) -> Outcome | None:
    if not (turn.contact.opted_out and _OPT_IN.exactly(turn.text) is not None):
        return None
    turn.ctx.actions.append(actions.OptIn())
    turn.ctx.say_system("opted_in", even_if_opted_out=True)
    return Outcome(None, turn.ctx.actions, end_reason=turn.end_reason)


def _silent_while_opted_out(turn: Turn) -> Outcome | None:
    return turn.unchanged() if turn.contact.opted_out else None


def _check_in(turn: Turn) -> Outcome | None:
    """Arriving is not a conversation: whatever the young person was in keeps waiting."""
    if not turn.flows.is_checkin(turn.text):
        return None
    turn.ctx.check_in()
    return Outcome(turn.state, turn.ctx.actions, end_reason=turn.end_reason)


def _claimed_by_waiting_step(turn: Turn) -> Outcome | None:
    step = turn.waiting_step()
    return _resume_waiting_step(turn) if step is not None and step.claims(turn.ctx, turn.text) else None


def _keyword_trigger(turn: Turn) -> Outcome | None:
    trigger = turn.flows.match_trigger(turn.text)
    if trigger is None:
        return None
    if trigger.language and trigger.language != turn.ctx.language:
        turn.ctx.save("language", trigger.language)
    return _start(turn.flows, turn.ctx, trigger.flow, end_reason="interrupted" if turn.state is not None else turn.end_reason)


def _resume_waiting_step(turn: Turn) -> Outcome | None:
    step = turn.waiting_step()
    return _follow(turn.flows, turn.ctx, step.resume(turn.ctx, turn.text)) if step is not None else None


def _catch_all(turn: Turn) -> Outcome:
    # Every conversation whose step still exists was resumed, so one that gets here lost its step.
    end_reason = "flow_changed" if turn.state is not None else turn.end_reason
    if turn.flows.catch_all:
        return _start(turn.flows, turn.ctx, turn.flows.catch_all, end_reason=end_reason)
    return Outcome(None, turn.ctx.actions, end_reason=end_reason)


RULES: tuple[Rule, ...] = (
    # The edge's own events carry no words, so they are settled before any rule reads text.
    _timed_out_wait,
    _edge_answer,
    # The always-on words come before any flow, so no flow can swallow STOP or START.
    _opt_out,
    _opt_in,
    # Opted out means silent: nothing below may answer.
    _silent_while_opted_out,
    # A check-in word is never an answer: it must not end up in the step that is waiting.
    _check_in,
    # A step that recognises its answer keeps it, though it also reads as a keyword ("onsdag kl. 16").
    _claimed_by_waiting_step,
    # Otherwise a keyword interrupts the conversation; only what starts no flow goes to the waiting step.
    _keyword_trigger,
    _resume_waiting_step,
    # Last, because it answers everything.
    _catch_all,
)


def handle(
    flows: FlowSet, contact: ContactView, state: State | None, event: Event, now: datetime, zone: ZoneInfo
) -> Outcome:
    turn = Turn.of(flows, contact, state, event, now, zone)
    return _with_crisis_lines(turn, next(outcome for rule in RULES if (outcome := rule(turn)) is not None))


def _with_crisis_lines(turn: Turn, outcome: Outcome) -> Outcome:
    """Words of danger get the numbers for help now before anything else is said, whatever answers
    the message (even after STOP: they wrote to us), and staff a note that says why, never the
    words. An answer to a mood check-in tells staff itself, with the score."""
    if not isinstance(turn.event, IncomingText) or turn.flows.danger_in(turn.text) is None:
        return outcome
    crisis = actions.SendText(system_text("danger_help", turn.ctx.language), even_if_opted_out=turn.contact.opted_out)
    mood_answer = any(isinstance(action, (actions.RecordMood, actions.RecordMoodNote)) for action in outcome.actions)
    note = render(DANGER_NOTE, {**turn.ctx.variables(), "language": "da"})
    outcome.actions = [crisis, *outcome.actions, *([] if mood_answer else [actions.NotifyStaff(note, (), turn.ctx.flow)])]
    return outcome


def _start(flows: FlowSet, ctx: Context, flow_name: str, end_reason: str | None) -> Outcome:
    outcome = _follow(flows, ctx, StartFlow(flow_name))
    outcome.started_new = True
    outcome.end_reason = end_reason
    return outcome


def _follow(flows: FlowSet, ctx: Context, transition: Transition) -> Outcome:
    # Every transition but StartFlow comes from a step of ctx.flow, which exists (it was looked up
    # or has just been started): for those, flow and ctx.step are set.
    for _ in range(MAX_STEPS_PER_EVENT):
        flow = flows.flows.get(ctx.flow) if ctx.flow else None
        if isinstance(transition, Continue):
            assert flow is not None and ctx.step is not None
            step = flow.steps[ctx.step]
            following = step.go or flow.step_after(ctx.step)
            transition = Goto(following) if following else End()
            continue
        if isinstance(transition, StartFlow):
            if transition.flow not in flows.flows:
                log.error("flow %r is gone; ending the conversation", transition.flow)
                return Outcome(None, ctx.actions, end_reason="flow_changed")
            ctx.flow, ctx.data = transition.flow, {}
            transition = Goto(flows.flows[transition.flow].first_step())
            continue
        if isinstance(transition, Goto):
            assert flow is not None
            if transition.step not in flow.steps:
                log.error("step %r is gone from flow %r; ending the conversation", transition.step, ctx.flow)
                return Outcome(None, ctx.actions, end_reason="flow_changed")
            ctx.step = transition.step
            transition = flow.steps[ctx.step].enter(ctx)
            continue
        if isinstance(transition, Wait):
            assert flow is not None and ctx.flow is not None and ctx.step is not None
            timeout_at = ctx.now + transition.timeout if transition.timeout else None
            # A step's own timeout always gets its turn, even when it is longer than the expiry.
            expires_at = max(ctx.now + flow.expires_after, timeout_at or ctx.now)
            state = State(flow=ctx.flow, step=ctx.step, data=ctx.data, timeout_at=timeout_at, expires_at=expires_at)
            return Outcome(state, ctx.actions)
        return Outcome(None, ctx.actions, end_reason="completed")
    # Nothing it said goes out: a looping flow would otherwise send the same text a hundred times.
    log.error("flow %r loops without waiting; ending the conversation", ctx.flow)
    note = f"Flowet «{ctx.flow}» løber i ring uden at vente på et svar; samtalen blev stoppet. Ret flowet."
    return Outcome(None, [actions.NotifyStaff(note, (), ctx.flow)], end_reason="loop")
