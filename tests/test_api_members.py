"""Members through the API (as staff would use it) and the service under it."""
from __future__ import annotations

import csv
import io
import logging
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from bot.api.auth import create_token
from bot.core import clock
from bot.domain.communities.csv_import import import_members, read_member_file
from bot.domain.communities.members import MemberError, add_member, leave, list_members, update_member
from bot.storage.models import Contact, Event, Member, Reminder
from bot.web import create_app

CLUB, GIRLS = "ungdomsklub", "pigegruppe"
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FREJA = "+4512345601"
OLIVER = "+4512345602"


def community_file(name: str, keyword: str) -> str:
    return f"""community:
  name: {name}
  display_name: {name.lower()}
  keyword: {keyword}
  schedule:
    - days: onsdag
      time: "18:00-21:00"
  reminder:
    text: Hej {{{{ name }}}}! Der er {name.lower()} i dag. Kommer du?
"""


@pytest.fixture
def runtime(runtime_factory, tmp_path):
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / f"{CLUB}.yaml").write_text(community_file("Ungdomsklubben", "KLUB"), encoding="utf-8")
    (flows / f"{GIRLS}.yaml").write_text(community_file("Pigegruppen", "PIGER"), encoding="utf-8")
    runtime = runtime_factory(flows_dir=flows)
    assert set(runtime.flows.current().communities) == {CLUB, GIRLS}, runtime.flows.last_result.problems
    return runtime


@pytest.fixture
def client(runtime):
    with time_machine.travel(NOON, tick=False):
        yield create_app(runtime).test_client()


@pytest.fixture
def staff(runtime) -> dict[str, str]:
    with runtime.db.session() as session:
        return {"Authorization": f"Bearer {create_token(session, name='kirsten', role='staff', now=clock.now())}"}


def add(client, staff, community=CLUB, **body):
    return client.post(f"/api/communities/{community}/members", json=body, headers=staff)


def count(runtime, model) -> int:
    with runtime.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_staff_add_a_member_who_is_active_with_consent_recorded_now(runtime, client, staff):
    response = add(
        client, staff, phone="12 34 56 01", name="Freja  Testesen", language="en", reminder_time="7:05",
        contact_person_name="Mette Kontakt", contact_person_phone="12345690", contact_person_email="mette@example.dk",
        contact_person_consent=True,
    )
    assert response.status_code == 201, response.json
    assert response.json == {
        "id": response.json["id"],
        "community": CLUB,
        "name": "Freja Testesen",
        "phone": FREJA,
        "language": "en",
        "status": "active",
        "source": "api",
        "joined_at": "2026-11-23T12:00:00Z",
        "consent_at": "2026-11-23T12:00:00Z",
        "left_at": None,
        "reminder_time": "07:05",
        "contact_person_name": "Mette Kontakt",
        "contact_person_phone": "+4512345690",
        "contact_person_email": "mette@example.dk",
        "contact_person_consent_at": "2026-11-23T12:00:00Z",
        "pronouns": None,
        "last_activity": None,
        "opted_out": False,
    }
    with runtime.db.session() as session:
        contact = session.scalars(select(Contact)).one()
        assert [urn.path for urn in contact.urns] == [FREJA] and contact.language == "en"


def test_adding_a_member_again_updates_only_what_is_given(runtime, client, staff):
    first = add(client, staff, phone=FREJA, name="Freja", language="en", contact_person_name="Mette", contact_person_consent=True).json
    clock.travel(timedelta(days=3))
    again = add(client, staff, phone="+45 12 34 56 01", reminder_time="18:00", contact_person_consent=True)
    assert again.status_code == 200
    assert again.json["id"] == first["id"]
    assert (again.json["name"], again.json["language"], again.json["reminder_time"]) == ("Freja", "en", "18:00")
    assert again.json["contact_person_consent_at"] == first["contact_person_consent_at"], "consent keeps the day it was given"
    assert count(runtime, Member) == 1 and count(runtime, Contact) == 1


def test_one_young_person_can_be_in_several_communities(runtime, client, staff):
    in_club = add(client, staff, phone=FREJA, name="Freja").json
    in_girls = add(client, staff, GIRLS, phone=FREJA).json
    assert in_club["id"] != in_girls["id"] and in_girls["name"] == "Freja"
    assert count(runtime, Contact) == 1
    for community in (CLUB, GIRLS):
        listed = client.get(f"/api/communities/{community}/members", headers=staff).json["members"]
        assert [(m["community"], m["phone"]) for m in listed] == [(community, FREJA)]


def test_change_leave_and_come_back(runtime, client, staff):
    member = add(client, staff, phone=FREJA, name="Freja", reminder_time="17:00", contact_person_name="Mette", contact_person_consent=True).json
    add(client, staff, phone=OLIVER)
    changed = client.patch(
        f"/api/members/{member['id']}", headers=staff,
        json={"name": None, "language": "en", "reminder_time": None, "contact_person_consent": False},
    )
    assert changed.status_code == 200
    assert (changed.json["name"], changed.json["language"], changed.json["reminder_time"]) == (None, "en", None)
    assert changed.json["contact_person_name"] == "Mette" and changed.json["contact_person_consent_at"] is None

    with runtime.db.session() as session:
        event = Event(
            community=CLUB,
            starts_at=NOON + timedelta(days=1),
            ends_at=NOON + timedelta(days=1, hours=2),
            local_date=(NOON + timedelta(days=1)).date(),
            kind="schedule",
        )
        session.add(event)
        session.flush()
        session.add(Reminder(member_id=member["id"], event_id=event.id, send_at=NOON + timedelta(hours=20), status="planned", updated_at=NOON))
    left = client.post(f"/api/members/{member['id']}/leave", headers=staff)
    assert left.status_code == 200 and left.json["status"] == "left" and left.json["left_at"] == "2026-11-23T12:00:00Z"
    assert [m["phone"] for m in client.get(f"/api/communities/{CLUB}/members", headers=staff).json["members"]] == [OLIVER]
    assert client.get(f"/api/members/{member['id']}", headers=staff).json["status"] == "left", "leaving deletes nothing"
    with runtime.db.session() as session:
        assert session.scalars(select(Reminder.status)).all() == ["cancelled"]

    back = add(client, staff, phone=FREJA)
    assert back.status_code == 200 and back.json["id"] == member["id"]
    assert (back.json["status"], back.json["left_at"]) == ("active", None)


def test_unknown_communities_and_members_are_404(runtime, client, staff):
    member_id = add(client, staff, phone=FREJA).json["id"]
    responses = [
        client.get("/api/communities/nowhere/members", headers=staff),
        client.post("/api/communities/nowhere/members", json={"phone": OLIVER}, headers=staff),
        client.get("/api/communities/nowhere/members.csv", headers=staff),
        client.get(f"/api/members/{member_id + 1}", headers=staff),
        client.patch(f"/api/members/{member_id + 1}", json={"name": "x"}, headers=staff),
        client.post(f"/api/members/{member_id + 1}/leave", headers=staff),
    ]
    assert [(r.status_code, r.is_json) for r in responses] == [(404, True)] * len(responses)
    assert responses[0].json["detail"] == "no community 'nowhere'"
    assert count(runtime, Member) == 1


BAD_REQUESTS = [
    # (method, body as sent, content type, status, field -> start of its message)
    ("POST", b'{"phone": ', "application/json", 400, None),
    ("POST", b"", "application/json", 400, None),
    ("POST", b"\xff\xfe{}", "application/json", 400, None),
    ("POST", b"phone=%2B4512345603", "application/x-www-form-urlencoded", 415, None),
    ("POST", b"[]", "application/json", 422, {"body": "Input should be an object"}),
    ("POST", {"phone": "+4512345603", "colour": "blue"}, None, 422, {"colour": "unknown field"}),
    ("POST", {"name": "Ida"}, None, 422, {"phone": "required"}),
    ("POST", {"phone": 4512345603}, None, 422, {"phone": "Input should be a valid string"}),
    ("POST", {"phone": "+4512345603", "contact_person_consent": "yes"}, None, 422, {"contact_person_consent": "Input should be a valid boolean"}),
    ("POST", {"phone": "+4512345603", "reminder_time": "25:00"}, None, 422, {"reminder_time": "Value error, write the time as HH:MM"}),
    ("POST", {"phone": "+4512345603", "reminder_time": 1730}, None, 422, {"reminder_time": "Value error, write the time as a string"}),
    ("POST", {"phone": "+4512345603", "language": "fr"}, None, 422, {"language": "Input should be 'da' or 'en'"}),
    ("POST", {"phone": "+4512345603", "name": "x" * 101}, None, 422, {"name": "String should have at most 100 characters"}),
    ("POST", {"phone": "12"}, None, 422, {"phone": "not a phone number"}),
    ("POST", {"phone": "+4512345603", "contact_person_phone": "nej"}, None, 422, {"contact_person_phone": "not a phone number"}),
    ("POST", {"phone": "+4512345603", "contact_person_email": "mette.example.dk"}, None, 422, {"contact_person_email": "not an email address"}),
    ("PATCH", {"language": None}, None, 422, {"language": "Input should be 'da' or 'en'"}),
    ("PATCH", {"contact_person_consent": None}, None, 422, {"contact_person_consent": "Input should be a valid boolean"}),
    ("PATCH", {"phone": "+4512345603"}, None, 422, {"phone": "unknown field"}),
    ("PATCH", b"{}}", "application/json", 400, None),
]


def test_malformed_requests_get_a_clear_4xx_and_change_nothing(runtime, client, staff):
    member = add(client, staff, phone=FREJA, name="Freja", language="da").json
    for method, body, content_type, status, fields in BAD_REQUESTS:
        path = f"/api/communities/{CLUB}/members" if method == "POST" else f"/api/members/{member['id']}"
        if isinstance(body, dict):
            response = client.open(path, method=method, json=body, headers=staff)
        else:
            response = client.open(path, method=method, data=body, content_type=content_type, headers=staff)
        assert response.status_code == status, (body, response.get_data(as_text=True))
        assert response.is_json and response.json["detail"]
        if fields:
            assert set(response.json["fields"]) == set(fields), response.json
            for field, message in fields.items():
                assert response.json["fields"][field].startswith(message), response.json
    assert count(runtime, Member) == 1 and count(runtime, Contact) == 1
    assert client.get(f"/api/members/{member['id']}", headers=staff).json == member


def test_the_csv_export_opens_in_danish_excel_and_cannot_run_formulas(runtime, client, staff):
    add(client, staff, phone=FREJA, name="Ægir Åsen-Øby", reminder_time="17:30", contact_person_name="Søren", contact_person_consent=True)
    add(client, staff, phone=OLIVER, name="=HYPERLINK(\"http://example.com\")")
    response = client.get(f"/api/communities/{CLUB}/members.csv", headers=staff)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        [
            "navn", "telefon", "sprog", "kontaktperson", "kontaktperson_telefon", "kontaktperson_email",
            "kontaktperson_samtykke", "påmindelse", "status", "tilmeldt",
        ],
        ["Ægir Åsen-Øby", "'" + FREJA, "da", "Søren", "", "", "ja", "17:30", "active", "2026-11-23"],
        ["'=HYPERLINK(\"http://example.com\")", "'" + OLIVER, "da", "", "", "", "", "", "active", "2026-11-23"],
    ]


def test_an_edited_export_can_be_imported_again(runtime, client, staff, tmp_path):
    add(client, staff, phone=FREJA, name="Ægir", language="en", reminder_time="17:30", contact_person_phone="12345690", contact_person_consent=True)
    add(client, staff, phone=OLIVER, name="-Oliver")
    exported = tmp_path / "export.csv"
    exported.write_bytes(client.get(f"/api/communities/{CLUB}/members.csv", headers=staff).data)
    result = import_members(runtime.db, read_member_file(exported), community=GIRLS, now=clock.now())
    assert (result.imported, result.problems) == (2, [])

    def comparable(member):
        return {k: v for k, v in member.items() if k not in ("id", "community", "source")}

    club = client.get(f"/api/communities/{CLUB}/members", headers=staff).json["members"]
    girls = client.get(f"/api/communities/{GIRLS}/members", headers=staff).json["members"]
    assert [comparable(m) for m in girls] == [comparable(m) for m in club]


def test_no_phone_number_in_logs_or_in_answers_that_do_not_need_one(runtime, client, staff, caplog):
    caplog.set_level(logging.DEBUG)
    with runtime.db.session() as session:
        counsellor = {"Authorization": f"Bearer {create_token(session, name='sofie', role='counsellor', now=clock.now())}"}
    member_id = add(client, staff, phone=FREJA, contact_person_phone=OLIVER).json["id"]
    client.patch(f"/api/members/{member_id}", json={"contact_person_phone": "+4512345603"}, headers=staff)
    client.get(f"/api/communities/{CLUB}/members.csv", headers=staff)
    client.post(f"/api/members/{member_id}/leave", headers=staff)
    refused = [
        add(client, staff, phone="+45123456", contact_person_phone="+4512345604"),
        add(client, staff, phone=4512345605),
        add(client, staff, phone="+4512345606", colour="+4512345607"),
        add(client, counsellor, phone="+4512345608"),
        add(client, {}, phone="+4512345609"),
        add(client, staff, "nowhere", phone="+4512345610"),
    ]
    assert [r.status_code for r in refused] == [422, 422, 422, 403, 401, 404]
    answers = "".join(r.get_data(as_text=True) for r in refused)
    assert "member" in caplog.text, "the logs say what happened, by id"
    for number in (FREJA, OLIVER, "+45123456", "4512345603", "4512345604", "4512345605", "4512345606", "4512345607", "4512345608", "4512345609", "4512345610"):
        assert number[-8:] not in caplog.text
        assert number[-8:] not in answers


# The service, as CSV import and the SMS join flow use it ----------------------------------------

def test_joining_by_sms_after_saying_yes_makes_an_active_member_and_anyone_can_come_back(runtime):
    with runtime.db.session() as session:
        member = add_member(session, community=CLUB, phone=FREJA, source="sms", now=NOON)
        assert (member.status, member.consent_at, member.source) == ("active", NOON, "sms")
        later = NOON + timedelta(days=1)
        assert leave(session, member, later).left_at == leave(session, member, later + timedelta(days=1)).left_at == later
        assert list_members(session, CLUB) == []
        member.status = "declined"
        back = add_member(session, community=CLUB, phone=FREJA, source="import", reminder_time=time(17), now=later)
        assert back is member
        assert (member.status, member.consent_at, member.left_at, member.source) == ("active", later, None, "sms")
        assert list_members(session, CLUB) == [member]


def test_service_errors_name_the_field(runtime):
    with runtime.db.session() as session:
        member = add_member(session, community=CLUB, phone=FREJA, source="api", now=NOON)
        for call, field in [
            (lambda: add_member(session, community=CLUB, phone="", source="api", now=NOON), "phone"),
            (lambda: add_member(session, community=CLUB, phone=OLIVER, language="sv", source="api", now=NOON), "language"),
            (lambda: update_member(session, member, now=NOON, contact_person_email="a@b"), "contact_person_email"),
            (lambda: update_member(session, member, now=NOON, contact_person_name="x" * 101), "contact_person_name"),
        ]:
            with pytest.raises(MemberError) as raised:
                call()
            assert raised.value.field == field
        with pytest.raises(TypeError):
            update_member(session, member, now=NOON, status="left")
    assert count(runtime, Contact) == 1, "a refused member leaves no contact behind"


def test_pronouns_and_last_activity_are_kept_and_can_be_cleared(runtime, client, staff):
    response = add(client, staff, phone="+4520777001", name="Robin", pronouns="de/dem", last_activity="spillede trommer")
    assert response.status_code == 201, response.json
    member = response.json
    assert (member["pronouns"], member["last_activity"]) == ("de/dem", "spillede trommer")
    changed = client.patch(f"/api/members/{member['id']}", json={"pronouns": None}, headers=staff)
    assert changed.status_code == 200 and changed.json["pronouns"] is None
