"""Anonymous counselling under test: the shipped counselling file on a Thursday evening (open),
case keys of its own, and young people who write RÅD.

conftest.py registers this module as a plugin, so its fixture reaches every test module; the
helpers and constants are imported as usual.
"""
from __future__ import annotations

import shutil
import uuid

import pytest
from sqlalchemy import select

from bot.core import clock
from bot.domain import inbound
from bot.domain.cases.identity import new_key_set
from bot.storage.models import Case

from conftest import SHIPPED_FLOWS
from helpers import drain
from support.staff_api import local

FREJA, OLIVER, IDA, MO = "+4520110001", "+4520110002", "+4520110003", "+4520110004"
YOUNG = (FREJA, OLIVER, IDA, MO)
ON_CALL = "+4512345690"  # Mette, in flows/raadgivning.yaml
QUESTION = "Jeg kan ikke betale min husleje"
ANSWER = "Hej. Det kan vi finde ud af sammen. Har du talt med din udlejer?"
NOTE = "Husk at spørge om boligstøtte næste gang"
THURSDAY_EVENING = local(2026, 11, 26, 17, 0)  # counselling is open 16:00-21:00 on Thursdays


def case_keys() -> dict[str, str]:
    return {name.lower(): value for name, value in new_key_set().items()}


@pytest.fixture
def service(runtime_factory, tmp_path, twilio):
    flows = tmp_path / "flows"
    flows.mkdir()
    shutil.copy(SHIPPED_FLOWS / "raadgivning.yaml", flows / "raadgivning.yaml")
    clock.set_now(THURSDAY_EVENING)
    runtime = runtime_factory(flows_dir=flows, **case_keys())
    assert runtime.flows.current().counselling is not None, runtime.flows.last_result.problems
    return runtime


def write(runtime, phone: str, body: str) -> None:
    """The young person texts the bot, and the bot answers (the worker runs)."""
    inbound.receive(runtime, channel="sms", scheme="tel", address=phone, body=body, provider_id="SM" + uuid.uuid4().hex)
    drain(runtime)


def open_case(runtime, phone: str, question: str = QUESTION, *, urgent: bool = False) -> str:
    """RÅD, the answer to "is it urgent?", and the question; the case's alias."""
    write(runtime, phone, "RÅD")
    write(runtime, phone, "Ja" if urgent else "Nej")
    if question:
        write(runtime, phone, question)
    return alias_of(runtime, phone)


def alias_of(runtime, phone: str) -> str:
    with runtime.db.session() as session:
        (alias,) = session.scalars(select(Case.alias).order_by(Case.id.desc()).limit(1)).all()
    return alias
