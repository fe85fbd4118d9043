"""Every action the engine can give has its one handler at the edge (bot/jobs/effects)."""
from __future__ import annotations

import typing

import pytest

from bot.engine import actions
from bot.jobs.effects import Effects, carry_out, handled_types, handles


def test_every_action_type_has_a_handler():
    assert handled_types() == frozenset(typing.get_args(actions.Action))


def test_a_second_handler_for_an_action_is_refused():
    with pytest.raises(RuntimeError, match="SendText has two handlers"):
        handles(actions.SendText)(lambda action, effects: None)


def test_an_action_without_a_handler_says_which():
    class Unheard:
        pass

    with pytest.raises(RuntimeError, match="no handler for the action Unheard"):
        carry_out(Unheard(), typing.cast(Effects, None))
