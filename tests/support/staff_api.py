"""The staff API under test: the Thursday café (tests/fixtures/communities/torsdag.yaml), a token
per role, and a check that every route keeps out whoever is not staff or admin.

conftest.py registers this module as a plugin, so its fixtures reach every test module; the
helpers and constants are imported as usual.
"""
from __future__ import annotations

import logging
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from bot.api.auth import create_token
from bot.api.openapi import document
from bot.core import clock
from bot.domain.communities import members
from bot.web import create_app

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "communities" / "torsdag.yaml"
CPH = ZoneInfo("Europe/Copenhagen")
CAFE = "torsdag"
FREJA, OLIVER, IDA = "+4529500001", "+4529500002", "+4529500003"
PHONES = (FREJA, OLIVER, IDA, "+4512345602")  # the last is the staff member Ali's, in the YAML


def local(*args) -> datetime:
    return datetime(*args, tzinfo=CPH)


@pytest.fixture
def cafe_flows_dir(tmp_path):
    directory = tmp_path / "flows"
    directory.mkdir()
    shutil.copy(FIXTURE, directory / f"{CAFE}.yaml")
    return directory


@pytest.fixture
def cafe(runtime_factory, cafe_flows_dir):
    clock.set_now(local(2026, 11, 26, 8, 0))  # a Thursday; the café opens at 16:00
    runtime = runtime_factory(flows_dir=cafe_flows_dir)
    assert set(runtime.flows.current().communities) == {CAFE}, runtime.flows.last_result.problems
    return runtime


@pytest.fixture
def client(cafe):
    return create_app(cafe).test_client()


def bearer(runtime, name: str, role: str) -> dict[str, str]:
    with runtime.db.session() as session:
        return {"Authorization": f"Bearer {create_token(session, name=name, role=role, now=clock.now())}"}


def tokens_per_role(runtime) -> dict[str, dict[str, str]]:
    """Headers per role, as check_roles takes them; the staff token is called kirsten."""
    return {
        "none": {},
        "counsellor": bearer(runtime, "sofie", "counsellor"),
        "staff": bearer(runtime, "kirsten", "staff"),
        "admin": bearer(runtime, "anne", "admin"),
    }


@pytest.fixture
def tokens(cafe) -> dict[str, dict[str, str]]:
    return tokens_per_role(cafe)


@pytest.fixture
def staff(tokens):
    return tokens["staff"]


def join(runtime, phone: str, name: str | None, **fields) -> int:
    with runtime.db.session() as session:
        member = members.add_member(session, community=CAFE, phone=phone, name=name, source="api", now=clock.now(), **fields)
        session.flush()
        return member.id


def check_roles(client, tokens, calls, caplog) -> None:
    """Every call: 401 without a token, 403 for a counsellor, and for staff and admin the
    expected status, with an answer that matches the OpenAPI document. No phone number is logged."""
    caplog.set_level(logging.DEBUG)
    openapi = OpenAPI.from_dict(document(), config=Config(spec_validator_cls=None))
    for method, path, body, expected in calls:
        assert client.open(path, method=method, json=body, headers=tokens["none"]).status_code == 401, path
        refused = client.open(path, method=method, json=body, headers=tokens["counsellor"])
        assert refused.status_code == 403 and "counsellor" in refused.json["detail"], path
        for role in ("staff", "admin"):
            response = client.open(path, method=method, json=body, headers=tokens[role])
            assert response.status_code == expected, (role, method, path, response.get_data(as_text=True))
            if response.is_json:  # openapi-core reads a CSV body as bytes, never as the string it is
                request = Request(EnvironBuilder(path=path, method=method, json=body, headers=tokens[role]).get_environ())
                openapi.validate_response(WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))
    for phone in PHONES:
        assert phone[-8:] not in caplog.text
