"""API tokens and roles on every route, the token commands, and the OpenAPI document."""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_spec_validator import validate
from sqlalchemy import select
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

import bot.api.routes  # noqa: F401  (importing it registers every route)
from bot.api import ROLES
from bot.api.auth import create_token, grants, revoke_token
from bot.api.openapi import document
from bot.api.routing import OPERATIONS
from bot.cli import cli
from bot.core import clock
from bot.domain.bookings import bookings
from bot.domain.communities import reminders
from bot.domain.communities.members import add_member
from bot.storage.models import ApiToken, Booking, Reminder, StaffNotification
from bot.web import create_app

from helpers import BOOKABLE_COMMUNITY_FILE, COMMUNITY_FILE

COMMUNITY = "ungdomsklub"
GYM = "gym"  # the booking routes need a community with bookable times
GYM_ROUTES = ("community_slots", "community_bookings", "book_for_member")
PROTECTED = [operation for operation in OPERATIONS if operation.requires]
VALID_BODIES = {
    "add_community_member": {"phone": "+4512345601"},
    "change_member": {"name": "Freja"},
    "set_personal_line": {"text": "Vi ses!"},
    "set_announcement": {"announcement": "Vi laver lasagne."},
    "set_member_presence": {"presence": "attended"},
}


@pytest.fixture
def runtime(runtime_factory, tmp_path):
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / f"{COMMUNITY}.yaml").write_text(COMMUNITY_FILE, encoding="utf-8")
    (flows / f"{GYM}.yaml").write_text(BOOKABLE_COMMUNITY_FILE, encoding="utf-8")
    runtime = runtime_factory(flows_dir=flows)
    assert set(runtime.flows.current().communities) == {COMMUNITY, GYM}, runtime.flows.last_result.problems
    return runtime


@pytest.fixture
def client(runtime):
    return create_app(runtime).test_client()


@pytest.fixture
def member_id(runtime) -> int:
    # A Wednesday morning: tonight's event and the member's reminder are planned and can be changed.
    clock.set_now(datetime(2026, 11, 25, 8, 0, tzinfo=ZoneInfo("Europe/Copenhagen")))
    with runtime.db.session() as session:
        member = add_member(session, community=COMMUNITY, phone="+4512345602", source="api", now=clock.now())
        # The reminder routes use another member's reminder: the leave route cancels this one's.
        add_member(session, community=COMMUNITY, phone="+4512345603", source="api", now=clock.now())
        training = add_member(session, community=GYM, phone="+4512345604", source="api", now=clock.now())
        session.add(StaffNotification(contact_id=member.contact_id, flow=COMMUNITY, text="Ungebot: en note", created_at=clock.now()))
    reminders.plan(runtime)
    with runtime.db.session() as session:
        # After planning, so the first reminder found by path_ids is the club's, not this booking's.
        training = session.merge(training)
        bookings.book(runtime, session, GYM, runtime.flows.current().communities[GYM], training, MONDAY_AT_3, clock.now(), "staff")
    return member.id


MONDAY_AT_3 = datetime(2026, 11, 30, 15, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))


def path_ids(runtime, member_id: int) -> dict[str, str]:
    with runtime.db.session() as session:
        reminder = session.scalars(select(Reminder).where(Reminder.member_id != member_id).order_by(Reminder.id)).first()
        booking = session.scalars(select(Booking)).first()
        notification = session.scalars(select(StaffNotification.id)).first()
        return {
            "notification_id": str(notification),
            "slug": COMMUNITY, "member_id": str(member_id), "event_id": str(reminder.event_id), "reminder_id": str(reminder.id),
            "alias": "Ung-1234", "booking_id": str(booking.id), "gym_member_id": booking.member_id,
        }


def token(runtime, role: str, name: str | None = None) -> str:
    with runtime.db.session() as session:
        return create_token(session, name=name or f"{role}-token", role=role, now=clock.now())


def call(client, operation, member_id: int, bearer: str | None = None):
    ids = path_ids(client.application.extensions["ungebot"], member_id)
    body = VALID_BODIES.get(operation.endpoint)
    if operation.endpoint in GYM_ROUTES:
        ids["slug"] = GYM
        body = {"member_id": ids["gym_member_id"], "starts_at": MONDAY_AT_3.isoformat()} if operation.method == "POST" else None
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda match: ids[match.group(1)], operation.rule)
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    return client.open("/api" + path, method=operation.method, json=body, headers=headers)


def assert_bearer_challenge(response) -> None:
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert response.is_json and response.json["error"] == "Unauthorized"


def test_every_route_refuses_a_request_without_a_valid_token(runtime, client, member_id):
    for operation in PROTECTED:
        assert_bearer_challenge(call(client, operation, member_id))
    for header in ["Bearer", "Bearer ", "Basic dXNlcjpwdw==", "ungb_abc", "Bearer ungb_not-a-real-token"]:
        assert_bearer_challenge(client.get(f"/api/communities/{COMMUNITY}/members", headers={"Authorization": header}))


def test_every_route_refuses_a_revoked_token_and_the_role_decides_the_rest(runtime, client, member_id, caplog):
    revoked, counsellor, staff, admin = (token(runtime, role, name) for role, name in [
        ("admin", "old"), ("counsellor", "counsellor"), ("staff", "staff"), ("admin", "admin"),
    ])
    with runtime.db.session() as session:
        revoke_token(session, "old", clock.now())
    for operation in PROTECTED:
        assert_bearer_challenge(call(client, operation, member_id, revoked))
        if operation.requires == "counsellor":  # cases: the counsellor alone (test_api_cases.py)
            for other in (staff, admin):
                refused = call(client, operation, member_id, other)
                assert refused.status_code == 403, (operation.endpoint, refused.get_data(as_text=True))
            continue
        refused = call(client, operation, member_id, counsellor)
        assert refused.status_code == 403 and "counsellor" in refused.json["detail"], operation.endpoint
        for allowed in (staff, admin):
            response = call(client, operation, member_id, allowed)
            assert response.status_code in operation.statuses, (operation.endpoint, response.get_data(as_text=True))
    assert "revoked token 'old' used" in caplog.text


def test_the_token_is_stored_only_as_its_sha256(runtime):
    secret = token(runtime, "staff")
    assert re.fullmatch(r"ungb_[A-Za-z0-9_-]{43}", secret)
    with runtime.db.session() as session:
        stored = session.scalars(select(ApiToken)).one()
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (stored.name, stored.role, stored.token_hash)


def test_last_use_is_written_at_most_once_a_minute(runtime, client):
    secret = token(runtime, "staff")

    def last_used():
        with runtime.db.session() as session:
            return session.scalars(select(ApiToken.last_used_at)).one()

    def use():
        assert client.get(f"/api/communities/{COMMUNITY}/members", headers={"Authorization": f"Bearer {secret}"}).status_code == 200

    assert last_used() is None
    use()
    first = last_used()
    assert first is not None
    clock.travel(timedelta(seconds=59))
    use()
    assert last_used() == first
    clock.travel(timedelta(seconds=2))
    use()
    assert last_used() > first


# The commands ----------------------------------------------------------------------------------

@pytest.fixture
def ungebot(runtime, monkeypatch):
    # The commands set up logging for a terminal; in-process that would outlive the test's streams.
    monkeypatch.setattr("bot.logs.configure", lambda *args, **kwargs: None)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args))


def test_tokens_create_list_and_revoke(runtime, client, ungebot):
    created = ungebot("tokens", "create", "kirsten", "--role", "staff")
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("ungb_") and "cannot be shown again" in created.stderr
    assert client.get(f"/api/communities/{COMMUNITY}/members", headers={"Authorization": f"Bearer {secret}"}).status_code == 200

    listed = ungebot("tokens", "list")
    assert listed.exit_code == 0
    assert re.search(r"^kirsten\s+staff\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+-$", listed.stdout, re.M), listed.stdout
    assert secret not in listed.output and secret[5:20] not in listed.output

    assert ungebot("tokens", "revoke", "kirsten").exit_code == 0
    assert_bearer_challenge(client.get(f"/api/communities/{COMMUNITY}/members", headers={"Authorization": f"Bearer {secret}"}))
    assert re.search(r"^kirsten\s+staff\s+.*\d\d:\d\d$", ungebot("tokens", "list").stdout, re.M)


def test_token_command_mistakes_exit_1_with_a_clear_message(runtime, ungebot):
    assert ungebot("tokens", "create", "kirsten", "--role", "staff").exit_code == 0
    duplicate = ungebot("tokens", "create", "kirsten", "--role", "admin")
    assert duplicate.exit_code == 1 and "a token named 'kirsten' exists already" in duplicate.stderr
    unknown = ungebot("tokens", "revoke", "nobody")
    assert unknown.exit_code == 1 and "no token named 'nobody'" in unknown.stderr
    assert ungebot("tokens", "create", "x", "--role", "janitor").exit_code == 2
    with runtime.db.session() as session:
        assert session.scalars(select(ApiToken.name)).all() == ["kirsten"]


# The OpenAPI document -------------------------------------------------------------------------

def test_the_served_document_is_valid_openapi_3_1_and_needs_no_token(runtime, client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json
    validate(spec)
    assert spec["openapi"] == "3.1.0"
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "A token from `ungebot tokens create`",
    }


def test_every_registered_route_is_in_the_document_with_its_roles(runtime, client):
    paths = client.get("/api/openapi.json").json["paths"]
    app = client.application
    flask_routes = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, item in paths.items() for method in item}
    assert flask_routes == documented
    for operation in OPERATIONS:
        entry = paths[operation.path][operation.method.lower()]
        if operation.requires:
            assert entry["security"] == [{"bearerAuth": []}] and {"401", "403"} <= set(entry["responses"])
            assert entry["x-roles"] == [role for role in ROLES if grants(role, operation.requires)]
            assert entry["x-roles"] == (["counsellor"] if operation.requires == "counsellor" else ["admin", operation.requires])
        else:
            assert entry["security"] == []


def test_requests_and_responses_match_the_document(runtime, client, member_id):
    # The document's validity has its own test; checking it again here only costs time.
    openapi = OpenAPI.from_dict(document(), config=Config(spec_validator_cls=None))
    staff = {"Authorization": f"Bearer {token(runtime, 'staff')}"}
    exchanges = [
        ("POST", f"/api/communities/{COMMUNITY}/members", {"phone": "20 12 34 56", "reminder_time": "17:30", "contact_person_consent": True}, staff, 201),
        ("POST", f"/api/communities/{COMMUNITY}/members", {"phone": "x", "name": 3}, staff, 422),
        ("GET", f"/api/communities/{COMMUNITY}/members", None, staff, 200),
        ("PATCH", f"/api/members/{member_id}", {"name": None}, staff, 200),
        ("POST", f"/api/members/{member_id}/leave", None, staff, 200),
        ("GET", f"/api/members/{member_id + 1000}", None, staff, 404),
        ("GET", f"/api/communities/{COMMUNITY}/members", None, {}, 401),
    ]
    for method, path, body, headers, expected in exchanges:
        response = client.open(path, method=method, json=body, headers=headers)
        assert response.status_code == expected, (method, path, response.get_data(as_text=True))
        # The test client has read the request body; openapi-core reads it again from a fresh one.
        request = Request(EnvironBuilder(path=path, method=method, json=body, headers=headers).get_environ())
        if expected < 400:
            openapi.validate_request(WerkzeugOpenAPIRequest(request))
        openapi.validate_response(WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))
