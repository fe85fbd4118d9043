"""Attendance through the API: who said they would come, who came, who quietly stays away, and Excel."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

import bot.api.attendance as api
from bot.core import clock
from bot.domain.attendance import attendance
from bot.domain.communities import members, reminders
from bot.storage.models import Attendance, Event, Member

from support.staff_api import CAFE, FREJA, IDA, OLIVER, check_roles, join, local

MO = "+4529500004"


def event_on(runtime, day) -> int:
    """The id of the café's event on a local date, planned if need be."""
    reminders.plan(runtime)
    with runtime.db.session() as session:
        return session.scalars(select(Event.id).where(Event.community == CAFE, Event.local_date == day)).one()


def reply(runtime, member_id: int, event_id: int, answer: str) -> None:
    with runtime.db.session() as session:
        moment = clock.now().replace(microsecond=0)
        attendance.record_reply(session, session.get(Member, member_id).contact_id, event_id, answer, moment)


def presence(client, staff, event_id: int, member_id: int, value):
    return client.put(f"/api/events/{event_id}/attendance/{member_id}", json={"presence": value}, headers=staff)


def test_every_attendance_route_needs_staff_or_admin(cafe, client, tokens, caplog):
    freja = join(cafe, FREJA, "Freja", contact_person_phone=OLIVER, contact_person_consent=True)
    event_id = event_on(cafe, local(2026, 11, 26).date())
    check_roles(client, tokens, [
        ("GET", f"/api/events/{event_id}/attendance", None, 200),
        ("PUT", f"/api/events/{event_id}/attendance/{freja}", {"presence": "attended"}, 200),
        ("GET", f"/api/members/{freja}/attendance", None, 200),
        ("GET", f"/api/communities/{CAFE}/attendance.csv", None, 200),
        ("GET", f"/api/communities/{CAFE}/attendance.csv?from=2026-11-01&to=2026-11-30", None, 200),
    ], caplog)


def test_staff_see_replies_and_mark_who_came_from_the_day_of_the_event(cafe, client, staff):
    clock.set_now(local(2026, 11, 25, 12, 0))  # Wednesday: tomorrow's evening is planned
    freja = join(cafe, FREJA, "Freja")
    oliver = join(cafe, OLIVER, "oliver")
    ida = join(cafe, IDA, "Ida")
    event_id = event_on(cafe, local(2026, 11, 26).date())
    too_early = presence(client, staff, event_id, freja, "attended")
    assert too_early.status_code == 409 and "2026-11-26" in too_early.json["detail"]

    clock.set_now(local(2026, 11, 26, 10, 5))
    reply(cafe, freja, event_id, "confirmed")
    reply(cafe, ida, event_id, "declined")
    with cafe.db.session() as session:
        members.leave(session, session.get(Member, ida), clock.now())
    clock.set_now(local(2026, 11, 26, 16, 20))
    marked = presence(client, staff, event_id, freja, "attended")
    assert marked.status_code == 200
    assert marked.json == {
        "member_id": freja, "name": "Freja", "member_status": "active", "reply": "confirmed",
        "reply_at": "2026-11-26T10:05:00+01:00", "presence": "attended", "presence_set_by": "kirsten",
    }
    assert presence(client, staff, event_id, oliver, "absent").status_code == 200

    listed = client.get(f"/api/events/{event_id}/attendance", headers=staff)
    assert listed.status_code == 200
    assert listed.json["event"]["id"] == event_id and listed.json["event"]["starts_at"] == "2026-11-26T16:00:00+01:00"
    assert [(m["name"], m["member_status"], m["reply"], m["presence"]) for m in listed.json["members"]] == [
        ("Freja", "active", "confirmed", "attended"),
        ("Ida", "left", "declined", None),
        ("oliver", "active", None, "absent"),
    ], "by name; a member who has left since still shows what they said"

    cleared = presence(client, staff, event_id, oliver, None)
    assert cleared.status_code == 200 and cleared.json["presence"] is None
    with cafe.db.session() as session:
        rows = {row.member_id: row.presence for row in session.scalars(select(Attendance))}
    assert rows == {freja: "attended", oliver: None, ida: None}


def test_wrong_events_members_and_bodies_are_refused_cleanly(cafe, client, staff, runtime_factory, cafe_flows_dir):
    freja = join(cafe, FREJA, "Freja")
    event_id = event_on(cafe, local(2026, 11, 26).date())
    with cafe.db.session() as session:
        outsider = members.add_member(session, community="andet", phone=MO, source="api", now=clock.now())
        session.flush()
        outsider = outsider.id
    assert client.get(f"/api/events/{event_id + 1000}/attendance", headers=staff).status_code == 404
    assert presence(client, staff, event_id + 1000, freja, "attended").status_code == 404
    assert presence(client, staff, event_id, freja + 1000, "attended").status_code == 404
    assert presence(client, staff, event_id, outsider, "attended").status_code == 404, "not in this community"
    assert client.get(f"/api/members/{freja + 1000}/attendance", headers=staff).status_code == 404
    for path in (f"/api/members/{10**20}/attendance", f"/api/events/{10**20}/attendance"):
        assert client.get(path, headers=staff).status_code == 404, "not a database error"
    assert presence(client, staff, event_id, 10**20, "attended").status_code == 404
    path = f"/api/events/{event_id}/attendance/{freja}"
    for body, status, field in [
        ({"presence": "came"}, 422, "presence"),
        ({"presence": True}, 422, "presence"),
        ({}, 422, "presence"),
        ({"presence": "attended", "by": "Ali"}, 422, "by"),
        (b"{", 400, None),
    ]:
        if isinstance(body, dict):
            response = client.put(path, json=body, headers=staff)
        else:
            response = client.put(path, data=body, content_type="application/json", headers=staff)
        assert response.status_code == status and response.is_json, (body, response.get_data(as_text=True))
        if field:
            assert field in response.json["fields"]

    edited = cafe_flows_dir / f"{CAFE}.yaml"
    edited.write_text(edited.read_text(encoding="utf-8").replace("  reminder:", "  cancelled: [2026-11-26]\n  reminder:"), encoding="utf-8")
    reminders.plan(runtime_factory(flows_dir=cafe_flows_dir))
    cancelled = presence(client, staff, event_id, freja, "attended")
    assert cancelled.status_code == 409 and "cancelled" in cancelled.json["detail"]
    with cafe.db.session() as session:
        assert session.scalars(select(Attendance)).all() == []


def live_thursdays(runtime, count: int) -> list[int]:
    """Plan the café's Thursdays from 5 November on; the clock ends after the last one."""
    ids = []
    for week in range(count):
        day = local(2026, 11, 5, 8, 0) + timedelta(weeks=week)
        clock.set_now(day)
        ids.append(event_on(runtime, day.date()))
    clock.set_now(local(2026, 11, 5, 22, 0) + timedelta(weeks=count - 1))
    return ids


def test_a_members_history_shows_who_quietly_stays_away(cafe, client, staff):
    clock.set_now(local(2026, 11, 5, 7, 0))
    freja, oliver, ida = join(cafe, FREJA, "Freja"), join(cafe, OLIVER, "Oliver"), join(cafe, IDA, "Ida")
    thursdays = live_thursdays(cafe, 4)  # 5, 12, 19 and 26 November
    with cafe.db.session() as session:
        attendance.set_presence(session, session.get(Member, freja), session.get(Event, thursdays[0]), "attended", "Ali", clock.now())
    reply(cafe, ida, thursdays[3], "declined")

    history = client.get(f"/api/members/{freja}/attendance", headers=staff)
    assert history.status_code == 200
    body = history.json
    assert (body["member_id"], body["name"], body["community"], body["member_status"]) == (freja, "Freja", CAFE, "active")
    assert [e["event"]["local_date"] for e in body["events"]] == ["2026-11-26", "2026-11-19", "2026-11-12", "2026-11-05"]
    assert body["events"][-1] | {"event": None} == {
        "event": None, "reply": None, "reply_at": None, "presence": "attended", "presence_set_by": "Ali",
    }
    assert (body["silent_misses_in_a_row"], body["dormant"]) == (3, False), "she came five weeks ago"

    oliver_history = client.get(f"/api/members/{oliver}/attendance", headers=staff).json
    assert (oliver_history["silent_misses_in_a_row"], oliver_history["dormant"]) == (4, True)
    ida_history = client.get(f"/api/members/{ida}/attendance", headers=staff).json
    assert (ida_history["silent_misses_in_a_row"], ida_history["dormant"]) == (0, False), "saying no is not staying away"
    assert ida_history["events"][0]["reply"] == "declined"

    clock.set_now(local(2027, 1, 22, 12, 0))  # eight weeks after her last word, with no events planned since
    assert client.get(f"/api/members/{freja}/attendance", headers=staff).json["dormant"] is False, "no events, nothing to miss"


def test_a_new_member_has_no_history_and_is_not_dormant(cafe, client, staff):
    member = join(cafe, FREJA, "Freja")
    body = client.get(f"/api/members/{member}/attendance", headers=staff).json
    assert (body["events"], body["silent_misses_in_a_row"], body["dormant"]) == ([], 0, False)


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv" and response.headers["Content-Disposition"].startswith("attachment;")
    assert response.data.startswith(b"\xef\xbb\xbf"), "a byte order mark, so Excel reads UTF-8"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_the_attendance_export_opens_in_danish_excel_and_cannot_run_formulas(cafe, client, staff):
    clock.set_now(local(2026, 11, 5, 7, 0))
    freja = join(cafe, FREJA, "Ægir Åsen-Øby")
    oliver = join(cafe, OLIVER, '=HYPERLINK("http://example.com")')
    thursdays = live_thursdays(cafe, 2)
    late = join(cafe, IDA, "Ida")  # joined after both evenings
    reply(cafe, freja, thursdays[0], "late")
    with cafe.db.session() as session:
        event = session.get(Event, thursdays[0])
        attendance.set_presence(session, session.get(Member, freja), event, "attended", "-Ali", clock.now())
        attendance.set_presence(session, session.get(Member, oliver), event, "absent", "Ali", clock.now())
    clock.travel(timedelta(minutes=5))
    reply(cafe, oliver, thursdays[1], "unsure")

    rows = read_csv(client.get(f"/api/communities/{CAFE}/attendance.csv?from=2026-11-01&to=2026-11-30", headers=staff))
    reply_at = clock.now().astimezone(local(2026, 1, 1).tzinfo).strftime("%Y-%m-%d %H:%M")
    assert rows == [
        ["dato", "start", "medlem_id", "navn", "svar", "svar_tidspunkt", "fremmøde", "fremmøde_sat_af"],
        ["2026-11-05", "16:00", str(oliver), "'=HYPERLINK(\"http://example.com\")", "", "", "kom ikke", "Ali"],
        ["2026-11-05", "16:00", str(freja), "Ægir Åsen-Øby", "kommer senere", "2026-11-12 22:00", "kom", "'-Ali"],
        ["2026-11-12", "16:00", str(oliver), "'=HYPERLINK(\"http://example.com\")", "måske", reply_at, "", ""],
        ["2026-11-12", "16:00", str(freja), "Ægir Åsen-Øby", "", "", "", ""],
    ]
    assert str(late) not in {row[2] for row in rows}, "not a member then"
    assert not any(phone[-8:] in str(rows) for phone in (FREJA, OLIVER, IDA)), "no phone numbers in the export"

    default = read_csv(client.get(f"/api/communities/{CAFE}/attendance.csv", headers=staff))
    assert [row[0] for row in default[1:]] == ["2026-11-05"] * 2 + ["2026-11-12"] * 2, "the last four weeks"
    assert read_csv(client.get(f"/api/communities/{CAFE}/attendance.csv?from=2026-12-01", headers=staff)) == [default[0]]


def test_the_export_checks_its_window_and_community(cafe, client, staff):
    for query in ("from=2026-11-31", "to=yesterday", "from=2026-12-01&to=2026-11-01", "from=2025-01-01&to=2026-12-31", "format=xlsx"):
        response = client.get(f"/api/communities/{CAFE}/attendance.csv?{query}", headers=staff)
        assert response.status_code == 400 and response.is_json, query
    assert client.get("/api/communities/nowhere/attendance.csv", headers=staff).status_code == 404


def test_a_reply_recorded_at_the_same_moment_does_not_lose_the_presence(cafe, client, staff, monkeypatch):
    freja = join(cafe, FREJA, "Freja")
    event_id = event_on(cafe, local(2026, 11, 26).date())
    calls = []

    def racing(session, member, event, value, set_by, now):
        calls.append(value)
        if len(calls) == 1:  # the reply flow made the row first; our insert hits the unique key
            raise IntegrityError("INSERT INTO attendance", {}, Exception("uq_attendance_member_event"))
        return attendance.set_presence(session, member, event, value, set_by, now)

    monkeypatch.setattr(api, "set_presence", racing)
    response = presence(client, staff, event_id, freja, "attended")
    assert response.status_code == 200 and response.json["presence"] == "attended"
    assert calls == ["attended", "attended"]
