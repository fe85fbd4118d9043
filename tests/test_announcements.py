"""The day's announcement: one line staff write for an evening ("I dag kommer Sara fra jobcentret,
vi laver lasagne") that every member's message that day carries, from the API, the console, or the
community file by date; and a coming day prepared weeks ahead."""
from __future__ import annotations

import logging

import pytest

from bot.core import clock
from bot.flows.loader import load_flows
from bot.storage.models import Event
from bot.web import create_app

from helpers import drain
from support.staff_api import CAFE, FREJA, OLIVER, bearer, check_roles, join, local

TEXT = "Hej {name}! Caféen har åbent i dag kl. 16:00. Kommer du?"
SARA = "I dag kommer Sara fra jobcentret, vi laver lasagne."


def morning(client, staff, day: str = "2026-11-26") -> dict:
    response = client.get(f"/api/communities/{CAFE}/reminders?date={day}", headers=staff)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def announce(client, staff, event_id: int, text):
    return client.patch(f"/api/events/{event_id}", json={"announcement": text}, headers=staff)


def test_every_member_gets_the_announcement_under_the_text_and_above_their_personal_line(cafe, client, staff, twilio, caplog):
    caplog.set_level(logging.DEBUG)
    join(cafe, FREJA, "Freja")
    join(cafe, OLIVER, "Oliver")
    screen = morning(client, staff)
    event_id = screen["events"][0]["id"]
    written = announce(client, staff, event_id, f"  {SARA}  ")
    assert written.status_code == 200, written.json
    assert (written.json["announcement"], written.json["announcement_by"]) == (SARA, "kirsten")
    assert client.get(f"/api/events/{event_id}", headers=staff).json["announcement"] == SARA
    freja = next(r for r in morning(client, staff)["reminders"] if r["name"] == "Freja")
    line = client.put(f"/api/reminders/{freja['id']}/personal-line", json={"text": "Tag Mo med! /Ali"}, headers=staff)
    assert line.json["preview"] == f"{TEXT.format(name='Freja')}\n{SARA}\nTag Mo med! /Ali"
    previews = {r["name"]: r["preview"] for r in morning(client, staff)["reminders"]}
    assert previews["Oliver"] == f"{TEXT.format(name='Oliver')}\n{SARA}"

    clock.set_now(local(2026, 11, 26, 10, 0, 30))
    drain(cafe)
    assert twilio.sent_bodies_to(FREJA) == [previews["Freja"]] and twilio.sent_bodies_to(OLIVER) == [previews["Oliver"]]
    later = announce(client, staff, event_id, "Vi laver pizza i stedet")
    assert later.status_code == 200
    assert {r["preview"] for r in morning(client, staff)["reminders"]} == set(previews.values()), "what was sent stays what was sent"
    assert SARA not in caplog.text and FREJA[-8:] not in caplog.text


def test_an_announcement_is_one_line_of_plain_text_and_ends_when_the_event_starts(cafe, client, staff):
    join(cafe, FREJA, "Freja")
    event_id = morning(client, staff)["events"][0]["id"]
    assert announce(client, staff, event_id, "x" * 301).status_code == 422
    assert announce(client, staff, event_id, "bip\x07").status_code == 422
    assert announce(client, staff, event_id, "Første linje\nanden linje").json["announcement"] == "Første linje anden linje"
    cleared = announce(client, staff, event_id, "")
    assert (cleared.json["announcement"], cleared.json["announcement_by"]) == (None, "kirsten")
    assert client.get("/api/events/999999", headers=staff).status_code == 404
    clock.set_now(local(2026, 11, 26, 16, 0))
    late = announce(client, staff, event_id, SARA)
    assert late.status_code == 409 and late.json["detail"] == f"event {event_id}: the event has started"


def test_the_event_routes_need_staff_or_admin(cafe, client, tokens, caplog):
    join(cafe, FREJA, "Freja")
    event_id = morning(client, tokens["staff"])["events"][0]["id"]
    check_roles(client, tokens, [
        ("GET", f"/api/events/{event_id}", None, 200),
        ("PATCH", f"/api/events/{event_id}", {"announcement": SARA}, 200),
    ], caplog)


def write_cafe(folder, announcements: str) -> None:
    (folder / f"{CAFE}.yaml").write_text(
        f"""community:
  name: Testcaféen
  display_name: caféen
  keyword: TESTCAFE
  schedule:
    - days: torsdag
      time: "16:00-21:00"
  reminder:
    time: "10:00"
    text: Hej {{{{ name }}}}! Caféen har åbent i dag kl. {{{{ start | time }}}}. Kommer du?
{announcements}""",
        encoding="utf-8",
    )


def test_staff_who_keep_it_in_the_community_file_write_it_by_date(runtime_factory, tmp_path):
    folder = tmp_path / "flows"
    folder.mkdir()
    write_cafe(folder, f"  announcements:\n    2026-11-26: {SARA}\n")
    clock.set_now(local(2026, 11, 26, 8, 0))
    runtime = runtime_factory(flows_dir=folder)
    assert runtime.flows.current().communities[CAFE].announcements
    join(runtime, FREJA, "Freja")
    client = create_app(runtime).test_client()
    staff = bearer(runtime, "kirsten", "staff")
    (freja,) = morning(client, staff)["reminders"]
    assert freja["preview"] == f"{TEXT.format(name='Freja')}\n{SARA}"
    event_id = freja["event_id"]
    assert client.get(f"/api/events/{event_id}", headers=staff).json["announcement_by"] is None, "from the file"
    announce(client, staff, event_id, "Vi laver pizza.")
    (freja,) = morning(client, staff)["reminders"]
    assert freja["preview"].endswith("\nVi laver pizza."), "staff's word wins over the file's, also at the next planning"


@pytest.mark.parametrize(
    ("announcements", "line", "message"),
    [
        ("  announcements:\n    2026-11-27: Vi bager\n", 11, "2026-11-27 is not a day this community meets"),
        ("  announcements:\n    2026-11-26: Queer-aften med pizza\n", 12, "'queer' could show on a lock screen"),
        ("  announcements:\n    2026-11-26: '" + "x" * 301 + "'\n", 12, "at most 300 characters"),
    ],
)
def test_an_announcement_in_the_file_that_cannot_be_sent_is_an_error_with_its_line(tmp_path, announcements, line, message):
    write_cafe(tmp_path, announcements)
    problems = load_flows(tmp_path).errors
    assert problems, "the file is refused"
    assert (problems[0].line, message in problems[0].message) == (line, True), problems


def test_a_day_weeks_ahead_can_be_prepared_and_is_sent_as_prepared(cafe, client, staff, twilio):
    join(cafe, FREJA, "Freja")
    in_three_weeks = morning(client, staff, "2026-12-17")
    (freja,) = in_three_weeks["reminders"]
    announce(client, staff, freja["event_id"], "Julefrokost!")
    client.put(f"/api/reminders/{freja['id']}/personal-line", json={"text": "Vi ses /Ali"}, headers=staff)
    clock.set_now(local(2026, 12, 17, 10, 0, 30))
    drain(cafe)
    with cafe.db.session() as session:
        assert session.get(Event, freja["event_id"]).announcement == "Julefrokost!"
    assert twilio.sent_bodies_to(FREJA)[-1] == f"{TEXT.format(name='Freja')}\nJulefrokost!\nVi ses /Ali"
