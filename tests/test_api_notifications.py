"""What staff were told, through the API until the console lists it: newest first, the unseen
ones on their own, marked seen once; staff and admin only."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.api.auth import create_token
from bot.core import clock
from bot.storage.models import StaffNotification
from bot.web import create_app

CPH = ZoneInfo("Europe/Copenhagen")


@pytest.fixture
def runtime(runtime_factory):
    clock.set_now(datetime(2026, 11, 24, 9, 0, tzinfo=CPH))
    runtime = runtime_factory()
    with runtime.db.session() as session:
        for minutes, text in enumerate(["Ungebot: første", "Ungebot: anden", "Ungebot: tredje"]):
            session.add(StaffNotification(contact_id=None, flow="cafe", text=text, created_at=clock.now() + timedelta(minutes=minutes)))
    return runtime


def bearer(runtime, role: str) -> dict:
    with runtime.db.session() as session:
        return {"Authorization": "Bearer " + create_token(session, name=f"{role}-x", role=role, now=clock.now())}


def test_staff_read_them_newest_first_and_mark_them_seen_once(runtime):
    client, staff = create_app(runtime).test_client(), bearer(runtime, "staff")
    listed = client.get("/api/notifications", headers=staff).json["notifications"]
    assert [n["text"] for n in listed] == ["Ungebot: tredje", "Ungebot: anden", "Ungebot: første"]
    assert listed[0]["created_at"].startswith("2026-11-24T09:02:00") and listed[0]["seen_at"] is None
    first = client.post(f"/api/notifications/{listed[0]['id']}/seen", headers=staff).json
    clock.set_now(clock.now() + timedelta(hours=1))
    again = client.post(f"/api/notifications/{listed[0]['id']}/seen", headers=staff).json
    assert first["seen_at"] == again["seen_at"] and first["seen_at"].startswith("2026-11-24T09:00")
    unseen = client.get("/api/notifications?unseen=true", headers=staff).json["notifications"]
    assert [n["text"] for n in unseen] == ["Ungebot: anden", "Ungebot: første"]
    assert client.get("/api/notifications?unseen=maybe", headers=staff).status_code == 422
    assert client.post("/api/notifications/999999/seen", headers=staff).status_code == 404


def test_counsellors_do_not_see_the_staffs_notes(runtime):
    client = create_app(runtime).test_client()
    assert client.get("/api/notifications", headers=bearer(runtime, "counsellor")).status_code == 403
    assert client.get("/api/notifications", headers=bearer(runtime, "admin")).status_code == 200
