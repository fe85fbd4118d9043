"""The API against its own OpenAPI document, with requests schemathesis makes up from it.

For each role's token, every operation gets requests the document calls valid, which must not be
refused, and requests it calls invalid, which must be; no answer may be a 5xx or differ from
what the document promises. Once, on PostgreSQL: production's database, and the stricter one.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from schemathesis.config import SchemathesisConfig
from sqlalchemy import select

import bot.api.routes  # noqa: F401  (importing it registers every route)
from bot.api import ROLES
from bot.api.auth import create_token, grants
from bot.api.routing import OPERATIONS
from bot.core import clock
from bot.domain.bookings import bookings
from bot.domain.communities import reminders
from bot.domain.communities.members import add_member
from bot.storage.models import Booking, Case, Event, Member, Reminder, StaffNotification
from bot.web import create_app

from conftest import SERVER_DATABASE
from support.counselling import THURSDAY_EVENING, case_keys, open_case
from support.staff_api import local

CAFE, GYM = "cafe", "gym"
YOUNG = ("+4520120001", "+4520120002", "+4520120003")
MONDAY_AT_3 = local(2026, 11, 30, 15, 0)  # one of the gym's times, four days on
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    positive_data_acceptance,
    negative_data_rejection,
    unsupported_method,  # a 405 with an Allow header, not a 404 or a 500
]
# What schemathesis accepts as the answer to a valid request, by default.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
# Rules a JSON Schema cannot state, so a request the document calls valid may still be refused:
# `from` and `to` together (not `from` after `to`, at most 366 days apart) ...
DATE_WINDOWS = [
    "community_event_list", "community_attendance_csv", "case_stats", "member_mood", "member_mood_chart", "mood_weeks",
]
# ... and whether a time is one of the community's free times, which its schedule and the clock decide.
BOOKING = ["book_for_member"]

# Every operation: schemathesis would leave out the one that served the document unless named.
schema = schemathesis.pytest.from_fixture("api_schema").include(path_regex="^/api/")


@pytest.fixture
def world(runtime_factory, twilio):
    """The shipped flows on a Thursday evening: members, planned reminders, a booking, an open case."""
    clock.set_now(THURSDAY_EVENING)
    runtime = runtime_factory(**case_keys())
    communities = runtime.flows.current().communities
    with runtime.db.session() as session:
        for phone in YOUNG:
            member = add_member(session, community=CAFE, phone=phone, source="api", now=clock.now())
        session.add(StaffNotification(contact_id=member.contact_id, flow=CAFE, text="Ungebot: en note", created_at=clock.now()))
        training = add_member(session, community=GYM, phone=YOUNG[0], source="api", now=clock.now())
        bookings.book(runtime, session, GYM, communities[GYM], training, MONDAY_AT_3, clock.now(), "staff")
    reminders.plan(runtime)
    open_case(runtime, "+4520120009")
    return runtime


@pytest.fixture(params=ROLES)
def role(request) -> str:
    return request.param


@pytest.fixture
def api_schema(world, role):
    with world.db.session() as session:
        token = create_token(session, name=f"{role}-token", role=role, now=clock.now())
        ids = {
            "member_id": session.scalars(select(Member.id)).all(),
            "event_id": session.scalars(select(Event.id)).all(),
            "reminder_id": session.scalars(select(Reminder.id)).all(),
            "booking_id": session.scalars(select(Booking.id)).all(),
            "notification_id": session.scalars(select(StaffNotification.id)).all(),
            "alias": session.scalars(select(Case.alias)).all(),
        }
    flows = world.flows.current()
    # Made-up slugs and ids would only ever find nothing: half the time, take ones that exist.
    known = {"slug": sorted(flows.communities) + sorted(flows.moods), **ids}
    # A route the role may not use answers 403 before it reads anything else, which
    # test_api_auth.py checks for every route and role; made-up requests would only repeat that.
    not_granted = [op.endpoint for op in OPERATIONS if op.requires and not grants(role, op.requires)]
    config = SchemathesisConfig.from_dict({
        "auth": {"openapi": {"bearerAuth": {"bearer": token}}},
        "dictionaries": {name: {"values": values} for name, values in known.items()},
        "parameters": {f"path.{name}": {"dictionary": name, "probability": 0.5} for name in known},
        "operations": [
            {"include-operation-id": not_granted, "enabled": False},
            {"include-operation-id": DATE_WINDOWS, "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, 400]}}},
            {"include-operation-id": BOOKING, "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, 422]}}},
        ],
    })
    return schemathesis.openapi.from_wsgi("/api/openapi.json", create_app(world), config=config)


@pytest.fixture(autouse=True)
def node_id_for_schemathesis(request):
    # schemathesis (4.32) renames the running test through Node._nodeid, which pytest 9.2 no longer has.
    request.node._nodeid = request.node.nodeid


@pytest.mark.parametrize("database_url", [SERVER_DATABASE], indirect=True)
@schema.parametrize()
@settings(max_examples=10, deadline=None, derandomize=True, database=None)
def test_the_api_keeps_to_its_document(case):
    case.call_and_validate(checks=CHECKS)
