"""The flow engine: (flows, contact, state, event, now) -> new state + actions.

Pure computation, in the manner of goflow: nothing here reads a database, a queue or a clock.
The always-on words (STOP, START) are decided here first, so no flow can swallow them.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.core import textmatch
from bot.engine import actions
from bot.engine.actions import BookingFacts, ContactView, Event, IncomingText, LinkFacts, Outcome, State, TimedOut
from bot.engine.context import Context
from bot.engine.steps.base import Continue, End, Goto, StartFlow, StepBase, Transition, Wait
from bot.engine.texts import OPT_IN_WORDS, OPT_OUT_WORDS

if TYPE_CHECKING:
    from bot.flows.flowset import FlowSet

log = logging.getLogger(__name__)

# A flow that jumps around more than this in one go is looping; stop rather than spin.
MAX_STEPS_PER_EVENT = 100

__all__ = ["ContactView", "IncomingText", "Outcome", "State", "TimedOut", "handle"]


def handle(
    flows: FlowSet, contact: ContactView, state: State | None, event: Event, now: datetime, zone: ZoneInfo
) -> Outcome:
    ctx = Context(contact, now, zone, event.text if isinstance(event, IncomingText) else None)
    end_reason = None
    timed_out = isinstance(event, TimedOut) and state is not None and state.timeout_at is not None and state.timeout_at <= now
    if not timed_out and state is not None and state.expires_at is not None and state.expires_at <= now:
        state, end_reason = None, "expired"

    if isinstance(event, TimedOut):
        if not timed_out:
            return Outcome(state, [], end_reason=end_reason)
        assert state is not None  # timed_out is only true with a state
        step = _lookup(flows, state)
        if step is None:
            return Outcome(None, [], end_reason="flow_changed")
        ctx.flow, ctx.step, ctx.data = state.flow, state.step, dict(state.data)
        return _follow(flows, ctx, step.time_out(ctx))

    if isinstance(event, (BookingFacts, LinkFacts)):
        # The edge's answer to what a booking or NUMMER step asked it to look up or do.
        step = _lookup(flows, state) if state is not None else None
        if state is None or step is None:
            return Outcome(state, [], end_reason=end_reason)
        ctx.flow, ctx.step, ctx.data = state.flow, state.step, dict(state.data)
        transition = step.learn(ctx, event)
        return Outcome(state, [], end_reason=end_reason) if transition is None else _follow(flows, ctx, transition)

    text = event.text
    if any(textmatch.is_exactly(text, word) for word in OPT_OUT_WORDS):
        ctx.actions.append(actions.OptOut())
        ctx.say_system("opted_out", even_if_opted_out=True)
        return Outcome(None, ctx.actions, end_reason="opted_out" if state else end_reason)
    if any(textmatch.is_exactly(text, word) for word in OPT_IN_WORDS) and contact.opted_out:
        ctx.actions.append(actions.OptIn())
        ctx.say_system("opted_in", even_if_opted_out=True)
        return Outcome(None, ctx.actions, end_reason=end_reason)
    if contact.opted_out:
        return Outcome(state, [], end_reason=end_reason)

    if flows.is_checkin(text):
        # Arriving is not a conversation: whatever the young person was in keeps waiting.
        ctx.actions.append(actions.CheckIn())
        return Outcome(state, ctx.actions, end_reason=end_reason)

    waiting = _lookup(flows, state) if state is not None else None
    if state is not None and waiting is not None:
        ctx.flow, ctx.step, ctx.data = state.flow, state.step, dict(state.data)
        if waiting.claims(ctx, text):
            return _follow(flows, ctx, waiting.resume(ctx, text))

    trigger = flows.match_trigger(text)
    if trigger is not None:
        if trigger.language and trigger.language != ctx.language:
            ctx.save("language", trigger.language)
        return _start(flows, ctx, trigger.flow, end_reason="interrupted" if state else end_reason)

    if state is not None:
        step = _lookup(flows, state)
        if step is not None:
            ctx.flow, ctx.step, ctx.data = state.flow, state.step, dict(state.data)
            return _follow(flows, ctx, step.resume(ctx, text))
        end_reason = "flow_changed"

    if flows.catch_all:
        return _start(flows, ctx, flows.catch_all, end_reason=end_reason)
    return Outcome(None, ctx.actions, end_reason=end_reason)


def _lookup(flows: FlowSet, state: State) -> StepBase | None:
    flow = flows.flows.get(state.flow)
    return flow.steps.get(state.step) if flow else None


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
