"""A whole anonymous case, then a search for the young person everywhere the staff side can look.

The phone number must be nowhere: not in any table of the database, not in the logs, not in any
API answer, not in /metrics. What the young person wrote may be in exactly two places: the
case's own messages in the database, and the counsellor's case routes.
"""
from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.api.auth import create_token
from bot.core import clock
from bot.domain.communities import members
from bot.web import create_app

from conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from helpers import database_dump, drain
from support.signing import inbound_sms_params, twilio_signature

PROJECT = Path(__file__).resolve().parent.parent
CPH = ZoneInfo("Europe/Copenhagen")
PHONE = "+4520987654"
SPELLINGS = (PHONE, PHONE[1:], PHONE[3:], "20 98 76 54", "2098 7654", "0045" + PHONE[3:])
SECRET = "Jeg er blevet smidt ud hjemmefra og sover hos en ven"
SECRET_TOO = "Min far ved ikke at jeg skriver her"
REPLY = "Det lyder hårdt. Har du et sted at sove i nat?"
COUNSELLOR_ROUTES = ("/api/cases", "/api/cases/{alias}")


@pytest.fixture
def service(runtime_factory, tmp_path):
    for name in ("raadgivning.yaml", "help.yaml", "ukendt.yaml"):
        shutil.copy(PROJECT / "flows" / name, tmp_path)
    shutil.copy(PROJECT / "tests" / "fixtures" / "communities" / "torsdag.yaml", tmp_path)
    clock.set_now(datetime(2026, 11, 26, 10, 0, tzinfo=CPH))
    return runtime_factory(flows_dir=tmp_path, quiet_hours="off")


def test_a_case_leaves_the_number_nowhere_and_the_text_only_with_the_case(service, twilio, captured_logs):
    client = create_app(service).test_client()
    with service.db.session() as session:
        counsellor = {"Authorization": "Bearer " + create_token(session, name="sofie", role="counsellor", now=clock.now())}
        staff = {"Authorization": "Bearer " + create_token(session, name="kirsten", role="staff", now=clock.now())}
        members.add_member(session, community="torsdag", phone="+4529111222", name="Freja", source="api", now=clock.now())

    def text(body: str) -> None:
        params = inbound_sms_params(PHONE, "+4570000001", body)
        signature = twilio_signature(AUTH_TOKEN, PUBLIC_BASE_URL + "/webhooks/twilio/sms", params)
        assert client.post("/webhooks/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}).status_code == 200
        drain(service)

    text("RÅD")
    text("1")
    text(SECRET)
    inbox = client.get("/api/cases", headers=counsellor)
    (case,) = inbox.json["cases"]
    alias = case["alias"]
    assert client.post(f"/api/cases/{alias}/reply", json={"text": REPLY}, headers=counsellor).status_code == 201
    drain(service)
    text(SECRET_TOO)
    assert client.post(f"/api/cases/{alias}/notes", json={"text": "Følg op i morgen"}, headers=counsellor).status_code == 201
    assert [m["to"] for m in twilio.messages].count(PHONE) == 5, "intro, question, urgent noted, it arrived, the reply: all reached the phone"

    responses = {
        path: client.get(path.format(alias=alias), headers=counsellor if path.startswith("/api/cases") else staff)
        for path in (
            *COUNSELLOR_ROUTES,
            "/api/cases/stats",
            "/api/cases/audit",
            "/api/communities",
            "/api/communities/torsdag",
            "/api/communities/torsdag/members",
            "/api/communities/torsdag/members.csv",
            "/api/communities/torsdag/attendance.csv",
            "/api/communities/torsdag/reminders",
            "/api/communities/torsdag/events",
            "/api/openapi.json",
        )
    }
    responses["/metrics"] = client.get("/metrics")
    responses["/healthz"] = client.get("/healthz")
    for path, response in responses.items():
        assert response.status_code == 200, (path, response.get_data(as_text=True))
    answers = {path: response.get_data(as_text=True) for path, response in responses.items()}
    dump = database_dump(service)
    log_text = captured_logs()

    for spelling in SPELLINGS:
        assert spelling not in log_text
        for table, values in dump.items():
            assert spelling not in values, f"{spelling} in table {table}"
        for path, answer in answers.items():
            assert spelling not in answer, f"{spelling} in {path}"
    for said in (SECRET, SECRET_TOO):
        assert said not in log_text
        assert [table for table, values in dump.items() if said in values] == ["case_messages"]
        assert {path for path, answer in answers.items() if said in answer} <= set(COUNSELLOR_ROUTES)
        assert said in answers["/api/cases/{alias}"]
    assert SECRET in answers["/api/cases"], "the inbox shows the first words"
    assert "Følg op i morgen" not in "".join(m["body"] for m in twilio.messages), "a note is never sent"
    assert alias in answers["/api/cases/audit"] and SECRET not in answers["/api/cases/audit"]
