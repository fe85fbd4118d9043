"""The counsellor's REST API for anonymous cases: only the counsellor role, never a phone number,
and every look at a case in the audit log (without what was written)."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from sqlalchemy import select
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from bot.api.openapi import document
from bot.core import clock
from bot.storage.models import Case, CaseAudit, CaseMessage
from bot.web import create_app

from helpers import drain
from support.counselling import ANSWER, FREJA, IDA, MO, NOTE, OLIVER, ON_CALL, QUESTION, THURSDAY_EVENING, YOUNG, alias_of, case_keys, open_case, write
from support.staff_api import bearer, local, tokens_per_role


@pytest.fixture
def client(service):
    return create_app(service).test_client()


@pytest.fixture
def tokens(service) -> dict[str, dict[str, str]]:
    """Headers per role, and mads's: a second counsellor (the first is sofie)."""
    return {**tokens_per_role(service), "mads": bearer(service, "mads", "counsellor")}


@pytest.fixture
def sofie(tokens):
    return tokens["counsellor"]


def inbox(client, headers) -> list[dict]:
    response = client.get("/api/cases", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["cases"]


def minute(moment: str | None) -> str | None:
    """A local time as the API writes it, to the minute (the clock runs on while a test runs)."""
    return moment[:16] + moment[-6:] if moment else moment


def audit_rows(runtime) -> list[tuple[str, str, str | None]]:
    with runtime.db.session() as session:
        return [(row.actor, row.action, row.case_alias) for row in session.scalars(select(CaseAudit).order_by(CaseAudit.id))]


def test_every_case_route_is_for_the_counsellor_role_alone(service, client, tokens, caplog):
    caplog.set_level(logging.DEBUG)
    alias = open_case(service, FREJA)
    other = open_case(service, OLIVER)
    openapi = OpenAPI.from_dict(document(), config=Config(spec_validator_cls=None))
    calls = [
        ("GET", "/api/cases", None, 200),
        ("GET", f"/api/cases/{alias}", None, 200),
        ("POST", f"/api/cases/{alias}/assign", {"to": "me"}, 200),
        ("POST", f"/api/cases/{alias}/assign", {"to": None}, 200),
        ("POST", f"/api/cases/{alias}/reply", {"text": ANSWER}, 201),
        ("POST", f"/api/cases/{alias}/notes", {"text": NOTE}, 201),
        ("POST", f"/api/cases/{alias}/close", {"reason": "Svaret", "topic": "housing"}, 200),
        ("GET", "/api/cases/stats", None, 200),
        ("GET", "/api/cases/stats?from=2026-11-01&to=2026-11-30", None, 200),
        ("GET", "/api/cases/audit", None, 200),
        ("GET", "/api/cases/audit?since=2026-11-01", None, 200),
        ("GET", "/api/cases/Ung-0000", None, 404),
        ("POST", f"/api/cases/{alias}/reply", {"text": ANSWER}, 409),  # closed now
        ("POST", f"/api/cases/{other}/reply", {"text": "  "}, 422),
        ("POST", f"/api/cases/{other}/reply", {"text": "x" * 1601}, 422),
        ("POST", f"/api/cases/{other}/close", {"reason": "Svaret", "topic": "weather"}, 422),
        ("POST", f"/api/cases/{other}/assign", {"to": "mads"}, 422),
        ("POST", f"/api/cases/{other}/notes", {"text": NOTE, "private": True}, 422),
    ]
    for method, path, body, expected in calls:
        assert client.open(path, method=method, json=body, headers=tokens["none"]).status_code == 401, path
        for role in ("staff", "admin"):
            refused = client.open(path, method=method, json=body, headers=tokens[role])
            assert refused.status_code == 403 and role in refused.json["detail"], (role, path)
        response = client.open(path, method=method, json=body, headers=tokens["counsellor"])
        assert response.status_code == expected, (method, path, response.get_data(as_text=True))
        request = Request(EnvironBuilder(path=path, method=method, json=body, headers=tokens["counsellor"]).get_environ())
        if expected < 400:
            openapi.validate_request(WerkzeugOpenAPIRequest(request))
        if expected != 409:  # the document lists no conflicts (nor does it for the reminders' 409)
            openapi.validate_response(WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))
    assert {actor for actor, _, _ in audit_rows(service)} == {"sofie"}, "refused calls leave no audit row"
    for phone in YOUNG:
        assert phone[-8:] not in caplog.text


def test_the_document_names_only_the_counsellor_role_for_the_case_routes(service, client):
    paths = client.get("/api/openapi.json").json["paths"]
    case_operations = [entry for path, item in paths.items() if path.startswith("/api/cases") for entry in item.values()]
    assert len(case_operations) == 8
    for entry in case_operations:
        assert entry["security"] == [{"bearerAuth": []}] and {"401", "403"} <= set(entry["responses"])


def test_staff_routes_still_refuse_a_counsellor_and_admin_keeps_them(service, client, tokens):
    refused = client.get("/api/communities", headers=tokens["counsellor"])
    assert refused.status_code == 403 and "counsellor" in refused.json["detail"]
    assert client.get("/api/communities", headers=tokens["admin"]).status_code == 200


def test_without_a_counselling_service_the_case_routes_are_404(runtime_factory, tmp_path):
    flows = tmp_path / "flows"
    flows.mkdir()
    clock.set_now(THURSDAY_EVENING)
    runtime = runtime_factory(flows_dir=flows, **case_keys())
    client = create_app(runtime).test_client()
    headers = bearer(runtime, "sofie", "counsellor")
    for method, path, body in [
        ("GET", "/api/cases", None),
        ("GET", "/api/cases/Ung-1234", None),
        ("POST", "/api/cases/Ung-1234/reply", {"text": ANSWER}),
        ("GET", "/api/cases/stats", None),
        ("GET", "/api/cases/audit", None),
    ]:
        response = client.open(path, method=method, json=body, headers=headers)
        assert response.status_code == 404 and response.json["detail"] == "anonymous counselling is not set up", path


def test_the_inbox_puts_urgent_cases_first_then_the_longest_waiting(service, client, sofie):
    clock.set_now(local(2026, 11, 26, 16, 50))
    oliver = open_case(service, OLIVER)  # waits since 16:50
    clock.set_now(local(2026, 11, 26, 17, 0))
    freja = open_case(service, FREJA, "Hvordan søger jeg SU? Jeg er 18 og bor hjemme og ved ikke hvad jeg skal gøre")
    write(service, IDA, "RÅD")  # has said nothing yet: not waiting
    ida = alias_of(service, IDA)
    clock.set_now(local(2026, 11, 26, 17, 5))
    mo = open_case(service, MO, "Min kæreste er sur", urgent=True)
    clock.set_now(local(2026, 11, 26, 17, 10, 30))
    cases = inbox(client, sofie)
    assert [c["alias"] for c in cases] == [mo, oliver, freja, ida]
    assert [c["waiting_minutes"] for c in cases] == [5, 20, 10, None]
    assert [c["urgent"] for c in cases] == [True, False, False, False]
    first = cases[2]
    assert minute(first["waiting_since"]) == minute(first["last_message_at"]) == "2026-11-26T17:00+01:00"
    assert first == {
        "alias": freja,
        "urgent": False,
        "waiting_since": first["waiting_since"],
        "waiting_minutes": 10,
        "last_message_at": first["last_message_at"],
        "first_words": "Hvordan søger jeg SU? Jeg er 18 og bor hjemme og ved ikke…",
        "assigned_to": None,
        "channel": "sms",
    }
    assert audit_rows(service) == [("sofie", "inbox", None)]


def test_a_case_shows_its_thread_and_can_be_taken(service, client, tokens, sofie):
    alias = open_case(service, FREJA)
    case = client.get(f"/api/cases/{alias}", headers=sofie).json
    assert (case["alias"], case["status"], case["urgent"], case["topic"], case["assigned_to"]) == (alias, "open", False, None, None)
    assert minute(case["opened_at"]) == "2026-11-26T17:00+01:00"
    directions = [entry["direction"] for entry in case["thread"]]
    assert directions == ["bot", "bot", "in", "bot", "in", "bot"], "intro, urgent question, Nej, waiting, the question, it arrived"
    last = case["thread"][-2]
    assert last == {"direction": "in", "author": None, "body": QUESTION, "at": last["at"]}
    assert minute(last["at"]) == "2026-11-26T17:00+01:00"
    taken = client.post(f"/api/cases/{alias}/assign", json={"to": "me"}, headers=sofie)
    assert taken.status_code == 200 and taken.json["assigned_to"] == "sofie"
    assert inbox(client, sofie)[0]["assigned_to"] == "sofie"
    taken_over = client.post(f"/api/cases/{alias}/assign", json={"to": "me"}, headers=tokens["mads"])
    assert taken_over.json["assigned_to"] == "mads"
    let_go = client.post(f"/api/cases/{alias}/assign", json={"to": None}, headers=tokens["mads"])
    assert let_go.json["assigned_to"] is None
    missing = client.get("/api/cases/Ung-0000", headers=sofie)
    assert missing.status_code == 404 and missing.json["detail"] == "no case 'Ung-0000'"
    assert audit_rows(service) == [
        ("sofie", "view", alias), ("sofie", "assign", alias), ("sofie", "inbox", None), ("mads", "assign", alias), ("mads", "assign", alias),
    ], "the 404 left no row"


def test_a_reply_reaches_the_young_persons_phone_within_one_drain(service, client, sofie, twilio):
    alias = open_case(service, FREJA)
    before = len(twilio.sent_bodies_to(FREJA))
    clock.set_now(local(2026, 11, 26, 17, 12))
    response = client.post(f"/api/cases/{alias}/reply", json={"text": ANSWER}, headers=sofie)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.json["waiting_since"] is None and response.json["waiting_minutes"] is None
    assert response.json["assigned_to"] == "sofie", "a case nobody had is the one who answered it"
    drain(service)
    assert twilio.sent_bodies_to(FREJA)[before:] == [f"Rådgiver: {ANSWER}"]
    assert [c["waiting_since"] for c in inbox(client, sofie)] == [None]
    write(service, FREJA, "Nej, det har jeg ikke")
    case = client.get(f"/api/cases/{alias}", headers=sofie).json
    assert minute(case["waiting_since"]) == "2026-11-26T17:12+01:00", "their answer waits for the counsellor again"
    assert [(e["direction"], e["author"], e["body"]) for e in case["thread"][-2:]] == [
        ("out", "sofie", f"Rådgiver: {ANSWER}"), ("in", None, "Nej, det har jeg ikke"),
    ]


def test_an_internal_note_is_never_sent(service, client, sofie, twilio):
    alias = open_case(service, FREJA)
    sent = len(twilio.messages)
    response = client.post(f"/api/cases/{alias}/notes", json={"text": NOTE}, headers=sofie)
    assert response.status_code == 201 and response.json["alias"] == alias
    drain(service)
    assert len(twilio.messages) == sent and not any(NOTE in m["body"] for m in twilio.messages)
    thread = client.get(f"/api/cases/{alias}", headers=sofie).json["thread"]
    assert thread[-1]["direction"] == "note" and thread[-1]["author"] == "sofie" and thread[-1]["body"] == NOTE
    assert inbox(client, sofie)[0]["waiting_since"] is not None, "a note is not an answer"


def test_closing_sends_the_closing_text_and_the_case_leaves_the_inbox(service, client, sofie, twilio):
    alias = open_case(service, FREJA)
    other = open_case(service, OLIVER)
    before = len(twilio.sent_bodies_to(FREJA))
    response = client.post(f"/api/cases/{alias}/close", json={"reason": "Henvist til boligrådgivningen", "topic": "housing"}, headers=sofie)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert (response.json["status"], response.json["topic"]) == ("closed", "housing")
    assert minute(response.json["closed_at"]) == "2026-11-26T17:00+01:00"
    drain(service)
    (closing,) = twilio.sent_bodies_to(FREJA)[before:]
    assert closing.startswith("Rådgiveren har afsluttet din sag.")
    assert [c["alias"] for c in inbox(client, sofie)] == [other]
    again = client.post(f"/api/cases/{alias}/close", json={"reason": "x", "topic": "other"}, headers=sofie)
    assert again.status_code == 409 and again.json["detail"] == "the case is already closed"
    refused = client.post(f"/api/cases/{other}/close", json={"reason": "x", "topic": "weather"}, headers=sofie)
    assert refused.status_code == 422 and "topic" in refused.json["fields"]


def test_stats_count_cases_per_iso_week_with_the_median_first_reply_and_topics(service, client, sofie):
    def answered(phone: str, opened, minutes: int, topic: str | None, urgent: bool = False) -> None:
        clock.set_now(opened)
        alias = open_case(service, phone, urgent=urgent)
        clock.set_now(opened + timedelta(minutes=minutes))
        assert client.post(f"/api/cases/{alias}/reply", json={"text": ANSWER}, headers=sofie).status_code == 201
        if topic:
            assert client.post(f"/api/cases/{alias}/close", json={"reason": "Svaret", "topic": topic}, headers=sofie).status_code == 200

    answered(FREJA, local(2026, 11, 19, 17, 0), 10, "economy")  # week 47
    answered(OLIVER, local(2026, 11, 24, 10, 0), 4, "housing", urgent=True)  # week 48
    answered(IDA, local(2026, 11, 26, 17, 0), 20, "housing")
    clock.set_now(local(2026, 11, 26, 18, 0))
    open_case(service, MO)  # not answered yet
    response = client.get("/api/cases/stats?from=2026-11-16&to=2026-11-29", headers=sofie)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.json
    assert (body["from"], body["to"]) == ("2026-11-16", "2026-11-29")
    assert body["weeks"] == [
        {"week": "2026-W47", "cases": 1, "urgent": 0, "median_first_reply_minutes": 10.0, "topics": {"economy": 1}},
        {"week": "2026-W48", "cases": 3, "urgent": 1, "median_first_reply_minutes": 12.0, "topics": {"housing": 2}},
    ]
    assert body["topic_labels"]["housing"] == "Bolig" and set(body["topic_labels"]) >= {"economy", "mitid", "other"}
    default = client.get("/api/cases/stats", headers=sofie).json
    assert (default["from"], default["to"]) == ("2026-10-05", "2026-11-26"), "the last 8 ISO weeks up to today"
    assert [w["week"] for w in default["weeks"]] == [f"2026-W{n}" for n in range(41, 49)]
    text = response.get_data(as_text=True) + client.get("/api/cases/stats", headers=sofie).get_data(as_text=True)
    assert "Ung-" not in text and ANSWER not in text and QUESTION not in text
    for query, field in [("from=2026-11-30&to=2026-11-01", "from"), ("from=2025-01-01&to=2026-11-30", "to"), ("from=30-11-2026", "from"), ("week=48", "week")]:
        bad = client.get(f"/api/cases/stats?{query}", headers=sofie)
        assert bad.status_code == 400 and field in bad.json["fields"], query


def test_the_audit_log_has_one_row_per_look_and_reply_and_no_content(service, client, tokens, sofie):
    alias = open_case(service, FREJA)
    clock.set_now(local(2026, 11, 26, 17, 20))
    client.get(f"/api/cases/{alias}", headers=sofie)
    client.post(f"/api/cases/{alias}/reply", json={"text": ANSWER}, headers=sofie)
    client.get(f"/api/cases/{alias}", headers=tokens["mads"])
    client.post(f"/api/cases/{alias}/notes", json={"text": NOTE}, headers=tokens["mads"])
    clock.set_now(local(2026, 11, 26, 17, 30))
    response = client.get("/api/cases/audit", headers=sofie)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["since"] == "2026-10-27"
    entries = response.json["entries"]
    assert [(e["actor"], e["action"], e["case_alias"]) for e in entries] == [
        ("mads", "note", alias), ("mads", "view", alias), ("sofie", "reply", alias), ("sofie", "view", alias),
    ], "newest first"
    assert {minute(e["at"]) for e in entries} == {"2026-11-26T17:20+01:00"}
    assert all(set(e) == {"at", "actor", "action", "case_alias"} for e in entries)
    assert audit_rows(service)[-1] == ("sofie", "audit", None), "reading the log is logged too"
    later = client.get("/api/cases/audit?since=2026-11-27", headers=sofie).json
    assert later["entries"] == []
    with service.db.session() as session:
        stored = " ".join(
            " ".join(str(value) for value in row)
            for row in session.execute(select(CaseAudit.__table__)).all()
        )
    for text in (ANSWER, NOTE, QUESTION, "Rådgiver", "RÅD"):
        assert text not in stored and text not in response.get_data(as_text=True)


def test_no_case_response_holds_a_phone_number_or_the_sealed_address(service, client, sofie, caplog):
    caplog.set_level(logging.DEBUG)
    alias = open_case(service, FREJA, f"Ring til mig? Nej, skriv hellere. {QUESTION}")
    write(service, OLIVER, "RÅD")
    with service.db.session() as session:
        secrets = [value for case in session.scalars(select(Case)) for value in (case.sealed_address, case.sender_key)]
    answers = [
        client.get("/api/cases", headers=sofie),
        client.get(f"/api/cases/{alias}", headers=sofie),
        client.post(f"/api/cases/{alias}/assign", json={"to": "me"}, headers=sofie),
        client.post(f"/api/cases/{alias}/notes", json={"text": NOTE}, headers=sofie),
        client.post(f"/api/cases/{alias}/reply", json={"text": ANSWER}, headers=sofie),
        client.post(f"/api/cases/{alias}/close", json={"reason": "Svaret", "topic": "housing"}, headers=sofie),
        client.get("/api/cases/stats", headers=sofie),
        client.get("/api/cases/audit", headers=sofie),
    ]
    drain(service)
    for response in answers:
        assert response.status_code in (200, 201), response.get_data(as_text=True)
        text = response.get_data(as_text=True)
        assert "sealed" not in text and "sender" not in text
        for phone in (FREJA, OLIVER, ON_CALL):
            assert phone[-8:] not in text, response.request.path
        for secret in secrets:
            assert secret not in text
    for phone in (FREJA, OLIVER):
        assert phone[-8:] not in caplog.text
    with service.db.session() as session:
        assert session.scalars(select(CaseMessage.body).where(CaseMessage.direction == "note")).all() == [NOTE]
