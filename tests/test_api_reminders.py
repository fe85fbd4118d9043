"""The morning screen: today's reminders, a personal line, a skip; and the preview is what is sent."""
from __future__ import annotations

import logging

from sqlalchemy import select

from bot.core import clock
from bot.storage.models import Reminder
from bot.web import create_app

from helpers import drain
from support.staff_api import CAFE, FREJA, IDA, OLIVER, PHONES, check_roles, join, local

MO = "+4529500004"
TEXT = "Hej {name}! Caféen har åbent i dag kl. 16:00. Kommer du?"


def morning(client, staff, day: str | None = None) -> dict:
    response = client.get(f"/api/communities/{CAFE}/reminders" + (f"?date={day}" if day else ""), headers=staff)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def by_name(screen: dict) -> dict[str, dict]:
    return {r["name"]: r for r in screen["reminders"]}


def line(client, staff, reminder_id: int, text):
    return client.put(f"/api/reminders/{reminder_id}/personal-line", json={"text": text}, headers=staff)


def test_every_reminder_route_needs_staff_or_admin(cafe, client, tokens, caplog):
    join(cafe, FREJA, "Freja")
    (reminder,) = morning(client, tokens["staff"])["reminders"]
    path = f"/api/reminders/{reminder['id']}"
    check_roles(client, tokens, [
        ("GET", f"/api/communities/{CAFE}/reminders", None, 200),
        ("GET", f"/api/communities/{CAFE}/reminders?date=2026-11-27", None, 200),
        ("PUT", f"{path}/personal-line", {"text": "Vi ses! /Ali"}, 200),
        ("POST", f"{path}/skip", None, 200),
        ("POST", f"{path}/unskip", None, 200),
    ], caplog)


def test_the_morning_screen_lists_todays_reminders_with_exactly_what_each_will_say(cafe, client, staff):
    freja = join(cafe, FREJA, "Freja")
    join(cafe, OLIVER, "Oliver", reminder_time=local(2026, 1, 1, 9, 15).time())
    screen = morning(client, staff)
    assert screen["community"] == CAFE and screen["date"] == "2026-11-26"
    assert [e["starts_at"] for e in screen["events"]] == ["2026-11-26T16:00:00+01:00"]
    event_id = screen["events"][0]["id"]
    oliver, first = screen["reminders"]
    assert first == {
        "id": first["id"],
        "member_id": freja,
        "name": "Freja",
        "event_id": event_id,
        "send_at": "2026-11-26T10:00:00+01:00",
        "status": "planned",
        "personal_line": None,
        "skipped_by": None,
        "opted_out": False,
        "preview": TEXT.format(name="Freja"),
    }
    assert (oliver["name"], oliver["send_at"]) == ("Oliver", "2026-11-26T09:15:00+01:00"), "by send time"
    assert morning(client, staff, "2026-11-27")["reminders"] == [], "no event on a Friday"
    next_week = morning(client, staff, "2026-12-03")
    assert [(r["name"], r["send_at"], r["status"]) for r in next_week["reminders"]] == [
        ("Oliver", "2026-12-03T09:15:00+01:00", "planned"), ("Freja", "2026-12-03T10:00:00+01:00", "planned"),
    ], "a coming day is planned when staff ask for it, so they can prepare it"
    far = morning(client, staff, "2027-03-04")
    assert far["events"] == [] and far["reminders"] == [], "not more than 92 days ahead"


def test_what_staff_preview_is_what_the_young_people_get(cafe, client, staff, twilio, caplog):
    caplog.set_level(logging.DEBUG)
    for phone, name in ((FREJA, "Freja"), (OLIVER, "Oliver"), (IDA, "Ida")):
        join(cafe, phone, name)
    reminders = by_name(morning(client, staff))
    personal = "  Tag {{ name }} med, hvis du vil! {% if x %}ja{% endif %} /Ali  "
    changed = line(client, staff, reminders["Freja"]["id"], personal)
    assert changed.status_code == 200, changed.json
    assert changed.json["personal_line"] == personal.strip()
    assert changed.json["preview"] == TEXT.format(name="Freja") + "\nTag {{ name }} med, hvis du vil! {% if x %}ja{% endif %} /Ali"
    skipped = client.post(f"/api/reminders/{reminders['Oliver']['id']}/skip", headers=staff)
    assert skipped.status_code == 200
    assert (skipped.json["status"], skipped.json["skipped_by"]) == ("skipped", "kirsten")

    previews = {name: r["preview"] for name, r in by_name(morning(client, staff)).items()}
    clock.set_now(local(2026, 11, 26, 10, 0, 30))
    drain(cafe)
    assert sorted(m["body"] for m in twilio.messages) == sorted([previews["Freja"], previews["Ida"]])
    assert twilio.sent_bodies_to(FREJA) == [previews["Freja"]] and twilio.sent_bodies_to(OLIVER) == []

    after = by_name(morning(client, staff))
    assert {name: r["status"] for name, r in after.items()} == {"Freja": "sent", "Oliver": "skipped", "Ida": "sent"}
    assert {name: r["preview"] for name, r in after.items()} == previews, "a sent reminder shows what was sent"
    for phone in PHONES:
        assert phone[-8:] not in caplog.text


def test_a_sent_or_skipped_reminder_cannot_be_changed_and_says_why(cafe, client, staff, twilio):
    join(cafe, FREJA, "Freja")
    join(cafe, OLIVER, "Oliver")
    reminders = by_name(morning(client, staff))
    freja, oliver = reminders["Freja"]["id"], reminders["Oliver"]["id"]
    assert client.post(f"/api/reminders/{oliver}/skip", headers=staff).status_code == 200
    refused = line(client, staff, oliver, "Hej")
    assert refused.status_code == 409 and refused.json["detail"].endswith("it is skipped; unskip it first")
    clock.set_now(local(2026, 11, 26, 10, 1))
    drain(cafe)
    for response in (
        line(client, staff, freja, "For sent"),
        line(client, staff, freja, None),
        client.post(f"/api/reminders/{freja}/skip", headers=staff),
        client.post(f"/api/reminders/{freja}/unskip", headers=staff),
    ):
        assert response.status_code == 409 and response.is_json, response.json
        assert "it has been sent" in response.json["detail"]
    with cafe.db.session() as session:
        row = session.get(Reminder, freja)
        assert (row.status, row.personal_line, row.skipped_by) == ("sent", None, None)


def test_skip_and_unskip_repeat_harmlessly_and_unskip_comes_too_late_in_the_afternoon(cafe, client, staff, twilio):
    join(cafe, FREJA, "Freja")
    join(cafe, OLIVER, "Oliver")
    join(cafe, MO, "Mo")
    reminders = by_name(morning(client, staff))
    freja, oliver, mo = reminders["Freja"]["id"], reminders["Oliver"]["id"], reminders["Mo"]["id"]
    assert client.post(f"/api/reminders/{mo}/skip", headers=staff).status_code == 200
    for _ in range(2):
        assert client.post(f"/api/reminders/{freja}/skip", headers=staff).json["status"] == "skipped"
        assert client.post(f"/api/reminders/{oliver}/skip", headers=staff).json["status"] == "skipped"
    unskipped = client.post(f"/api/reminders/{freja}/unskip", headers=staff)
    assert (unskipped.json["status"], unskipped.json["skipped_by"]) == ("planned", None)
    assert client.post(f"/api/reminders/{freja}/unskip", headers=staff).status_code == 200

    clock.set_now(local(2026, 11, 26, 12, 0))
    drain(cafe)
    assert client.post(f"/api/reminders/{oliver}/unskip", headers=staff).json["status"] == "planned"
    drain(cafe)
    assert twilio.sent_bodies_to(OLIVER) == [TEXT.format(name="Oliver")], "unskipped after its time: it goes at once"
    assert len(twilio.sent_bodies_to(FREJA)) == 1 and twilio.sent_bodies_to(MO) == []

    clock.set_now(local(2026, 11, 26, 15, 31))
    late = client.post(f"/api/reminders/{mo}/unskip", headers=staff)
    assert late.status_code == 409 and "too late" in late.json["detail"]
    assert by_name(morning(client, staff))["Mo"]["status"] == "skipped"


def test_a_personal_line_is_checked_and_an_empty_one_removes_it(cafe, client, staff):
    join(cafe, FREJA, "Freja")
    (reminder,) = morning(client, staff)["reminders"]
    path = f"/api/reminders/{reminder['id']}/personal-line"
    bad = [
        ({"text": "x" * 301}, None, 422, {"text": "String should have at most 300 characters"}),
        ({}, None, 422, {"text": "required"}),
        ({"text": 5}, None, 422, {"text": "Input should be a valid string"}),
        ({"text": "Hej", "from": "Ali"}, None, 422, {"from": "unknown field"}),
        ({"text": "Hej\u0000 /Ali"}, None, 422, {"text": "Value error, control characters cannot be sent"}),
        (b'{"text": ', "application/json", 400, None),
        (b"text=Hej", "application/x-www-form-urlencoded", 415, None),
    ]
    for body, content_type, status, fields in bad:
        if content_type:
            response = client.put(path, data=body, content_type=content_type, headers=staff)
        else:
            response = client.put(path, json=body, headers=staff)
        assert response.status_code == status, (body, response.get_data(as_text=True))
        assert response.is_json and response.json["detail"]
        if fields:
            for field, message in fields.items():
                assert response.json["fields"][field].startswith(message), response.json
    assert line(client, staff, reminder["id"], "x" * 300).json["personal_line"] == "x" * 300
    for empty in ("", "   ", None):
        assert line(client, staff, reminder["id"], "Hej").json["personal_line"] == "Hej"
        cleared = line(client, staff, reminder["id"], empty)
        assert cleared.status_code == 200 and cleared.json["personal_line"] is None
        assert cleared.json["preview"] == TEXT.format(name="Freja")
    assert line(client, staff, reminder["id"] + 1000, "Hej").status_code == 404
    assert client.post(f"/api/reminders/{reminder['id'] + 1000}/skip", headers=staff).status_code == 404
    assert client.post(f"/api/reminders/{reminder['id'] + 1000}/unskip", headers=staff).status_code == 404
    assert client.post(f"/api/reminders/{10**20}/skip", headers=staff).status_code == 404, "not a database error"
    windows = line(client, staff, reminder["id"], "Første linje\r\nAnden linje\t/Ali")
    assert windows.json["personal_line"] == "Første linje\nAnden linje\t/Ali"


def test_the_morning_screen_checks_its_date_and_community(cafe, client, staff):
    for query, status in (("date=26.11.2026", 400), ("date=2026-11-31", 400), ("day=2026-11-26", 400)):
        response = client.get(f"/api/communities/{CAFE}/reminders?{query}", headers=staff)
        assert response.status_code == status and response.is_json, query
    assert client.get("/api/communities/nowhere/reminders", headers=staff).status_code == 404


def test_cancelling_the_evening_leaves_its_reminders_unchangeable(cafe, client, staff, runtime_factory, cafe_flows_dir):
    join(cafe, FREJA, "Freja")
    (reminder,) = morning(client, staff)["reminders"]
    path = cafe_flows_dir / f"{CAFE}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  reminder:", "  cancelled: [2026-11-26]\n  reminder:"), encoding="utf-8")
    client = create_app(runtime_factory(flows_dir=cafe_flows_dir)).test_client()
    screen = morning(client, staff)
    assert screen["events"][0]["cancelled"] is True and screen["reminders"][0]["status"] == "cancelled"
    response = client.post(f"/api/reminders/{reminder['id']}/skip", headers=staff)
    assert response.status_code == 409 and "cancelled" in response.json["detail"]
    with cafe.db.session() as session:
        assert session.scalars(select(Reminder.status)).all() == ["cancelled"]
