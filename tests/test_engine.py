"""The engine alone: pure in, pure out, no database or queue."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot import engine
from bot.engine import actions
from bot.flows.flowset import FlowSet
from bot.flows.loader import load_flows

ZONE = ZoneInfo("Europe/Copenhagen")
NOW = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)


def flowset(tmp_path: Path, **flows: dict) -> FlowSet:
    for name, flow in flows.items():
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(flow, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = load_flows(tmp_path)
    assert result.errors == []
    return result.flowset


def said(outcome: actions.Outcome) -> list[str]:
    return [a.text for a in outcome.actions if isinstance(a, actions.SendText)]


QUESTION = {
    "triggers": ["KOMMER"],
    "steps": {
        "spørg": {"ask": "Kommer du i aften?", "answers": {"ja": {"go": "fedt"}, "nej": {"go": "øv"}}, "save": "svar", "timeout": "1h"},
        "fedt": {"end": "Fedt, vi ses!"},
        "øv": {"end": "Okay, ny chance næste gang."},
    },
}


def test_start_ask_and_branch(tmp_path):
    flows = flowset(tmp_path, kommer=QUESTION)
    contact = actions.ContactView()
    started = engine.handle(flows, contact, None, actions.IncomingText("kommer"), NOW, ZONE)
    assert said(started) == ["Kommer du i aften?"]
    assert started.state.step == "spørg" and started.state.timeout_at == NOW + timedelta(hours=1)
    answered = engine.handle(flows, contact, started.state, actions.IncomingText("jep 👍"), NOW, ZONE)
    assert said(answered) == ["Fedt, vi ses!"]
    assert answered.state is None and answered.end_reason == "completed"
    assert actions.SaveField("svar", "ja") in answered.actions


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("nej", "Okay, ny chance næste gang."),
        ("kan ikke", "Okay, ny chance næste gang."),
        ("👎", "Okay, ny chance næste gang."),
        ("YES", "Fedt, vi ses!"),
    ],
)
def test_yes_no_in_danish_english_and_emoji(tmp_path, reply, expected):
    flows = flowset(tmp_path, kommer=QUESTION)
    state = engine.handle(flows, actions.ContactView(), None, actions.IncomingText("KOMMER"), NOW, ZONE).state
    assert said(engine.handle(flows, actions.ContactView(), state, actions.IncomingText(reply), NOW, ZONE)) == [expected]


def test_timeout_ends_quietly_without_on_timeout(tmp_path):
    flows = flowset(tmp_path, kommer=QUESTION)
    state = engine.handle(flows, actions.ContactView(), None, actions.IncomingText("kommer"), NOW, ZONE).state
    early = engine.handle(flows, actions.ContactView(), state, actions.TimedOut(), NOW + timedelta(minutes=59), ZONE)
    assert early.state == state and early.actions == []
    late = engine.handle(flows, actions.ContactView(), state, actions.TimedOut(), NOW + timedelta(hours=1), ZONE)
    assert late.state is None and late.actions == []


def test_expired_conversation_ends_and_message_is_handled_fresh(tmp_path):
    flows = flowset(tmp_path, kommer={**QUESTION, "expires_after": "2h"})
    state = engine.handle(flows, actions.ContactView(), None, actions.IncomingText("kommer"), NOW, ZONE).state
    later = engine.handle(flows, actions.ContactView(), state, actions.IncomingText("ja"), NOW + timedelta(hours=3), ZONE)
    assert later.state is None and later.actions == [] and later.end_reason == "expired"


def test_stop_wins_over_the_active_flow_and_silences(tmp_path):
    flows = flowset(tmp_path, kommer=QUESTION)
    state = engine.handle(flows, actions.ContactView(), None, actions.IncomingText("kommer"), NOW, ZONE).state
    stopped = engine.handle(flows, actions.ContactView(), state, actions.IncomingText("Stop!"), NOW, ZONE)
    assert actions.OptOut() in stopped.actions and stopped.state is None and stopped.end_reason == "opted_out"
    assert all(a.even_if_opted_out for a in stopped.actions if isinstance(a, actions.SendText))
    silent = engine.handle(flows, actions.ContactView(opted_out=True), None, actions.IncomingText("kommer"), NOW, ZONE)
    assert silent.actions == []
    back = engine.handle(flows, actions.ContactView(opted_out=True), None, actions.IncomingText("START"), NOW, ZONE)
    assert actions.OptIn() in back.actions


def test_english_keyword_switches_language(tmp_path):
    flows = flowset(
        tmp_path,
        hi={"triggers": {"da": ["HEJSA"], "en": ["HELLO"]}, "steps": {"s": {"end": {"da": "Hej!", "en": "Hi!"}}}},
    )
    outcome = engine.handle(flows, actions.ContactView(), None, actions.IncomingText("hello there"), NOW, ZONE)
    assert said(outcome) == ["Hi!"] and actions.SaveField("language", "en") in outcome.actions


def test_templates_use_fields_and_danish_dates(tmp_path):
    flows = flowset(
        tmp_path,
        dato={
            "triggers": ["DATO"],
            "fields": ["aktivitet"],
            "steps": {"s": {"end": "Hej {{ name }}, i dag er {{ today | weekday }} den {{ today | date }}. Sidst: {{ aktivitet }}."}},
        },
    )
    contact = actions.ContactView(name="Sara", fields={"aktivitet": "trommer"})
    assert said(engine.handle(flows, contact, None, actions.IncomingText("dato"), NOW, ZONE)) == [
        "Hej Sara, i dag er torsdag den 26. november. Sidst: trommer."
    ]


def test_a_flow_that_loops_without_waiting_is_stopped_and_sends_nothing(tmp_path):
    first = {"triggers": ["LOOP"], "steps": {"a": {"send": "x"}, "b": {"flow": "second"}}}
    second = {"steps": {"a": {"send": "y"}, "b": {"flow": "first"}}}
    flows = flowset(tmp_path, first=first, second=second)
    outcome = engine.handle(flows, actions.ContactView(), None, actions.IncomingText("loop"), NOW, ZONE)
    assert outcome.state is None
    assert [type(a) for a in outcome.actions] == [actions.NotifyStaff]


def test_go_to_another_flow(tmp_path):
    flows = flowset(
        tmp_path,
        first={"triggers": ["FØRST"], "steps": {"a": {"send": "én"}, "b": {"flow": "second"}}},
        second={"steps": {"a": {"end": "to"}}},
    )
    assert said(engine.handle(flows, actions.ContactView(), None, actions.IncomingText("først"), NOW, ZONE)) == ["én", "to"]


def test_a_conversation_whose_step_was_removed_ends_instead_of_crashing(tmp_path):
    flows = flowset(tmp_path, kommer=QUESTION)
    gone = actions.State(flow="kommer", step="removed", data={}, timeout_at=None, expires_at=NOW + timedelta(hours=1))
    outcome = engine.handle(flows, actions.ContactView(), gone, actions.IncomingText("ja"), NOW, ZONE)
    assert outcome.state is None and outcome.end_reason == "flow_changed"
