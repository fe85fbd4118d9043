"""Communities and their events through the API, as staff see them."""
from __future__ import annotations

from bot.core import clock
from bot.domain.communities import members
from bot.web import create_app

from support.staff_api import CAFE, FREJA, IDA, OLIVER, check_roles, join, local

CHRISTMAS = """  cancelled:
    - {date: 2026-11-26, reason: Personalemøde}
    - {date: 2026-12-24, reason: Juleaften}
  extra:
    - {date: 2026-12-19, time: "14:00-17:00", note: Julehygge}
"""


def test_every_community_route_needs_staff_or_admin(cafe, client, tokens, caplog):
    join(cafe, FREJA, "Freja")
    check_roles(client, tokens, [
        ("GET", "/api/communities", None, 200),
        ("GET", f"/api/communities/{CAFE}", None, 200),
        ("GET", f"/api/communities/{CAFE}/events", None, 200),
        ("GET", f"/api/communities/{CAFE}/events?from=2026-11-01&to=2027-01-31", None, 200),
    ], caplog)


def test_the_list_shows_what_staff_need_to_know_about_each_community(cafe, client, staff):
    join(cafe, FREJA, "Freja")
    join(cafe, OLIVER, "Oliver")
    left = join(cafe, IDA, "Ida")
    with cafe.db.session() as session:
        members.leave(session, session.get(members.Member, left), clock.now())
    response = client.get("/api/communities", headers=staff)
    assert response.status_code == 200
    assert response.json == {
        "communities": [
            {
                "slug": CAFE,
                "name": "Testcaféen",
                "display_name": "caféen",
                "place": "Huset",
                "staff": ["Ali"],
                "keywords": [{"word": "TESTCAFE", "language": None}],
                "schedule": "torsdage kl. 16:00-21:00",
                "active_members": 2,
            }
        ]
    }
    assert "+4512345602" not in response.get_data(as_text=True), "staff phone numbers stay in the YAML"


def test_one_community_with_its_next_events(cafe, client, staff):
    clock.set_now(local(2026, 11, 26, 21, 30))  # tonight's evening has ended
    response = client.get(f"/api/communities/{CAFE}", headers=staff)
    assert response.status_code == 200
    body = response.json
    assert (body["slug"], body["active_members"]) == (CAFE, 0)
    assert [e["starts_at"] for e in body["next_events"]] == [
        "2026-12-03T16:00:00+01:00", "2026-12-10T16:00:00+01:00", "2026-12-17T16:00:00+01:00",
        "2026-12-24T16:00:00+01:00", "2026-12-31T16:00:00+01:00",
    ]
    assert [e["planned"] for e in body["next_events"]] == [False] * 5, "a week ahead is further than the planner goes"
    missing = client.get("/api/communities/nowhere", headers=staff)
    assert missing.status_code == 404 and missing.json["detail"] == "no community 'nowhere'"


def test_events_default_to_the_next_two_weeks_stored_as_far_as_planned(cafe, client, staff):
    response = client.get(f"/api/communities/{CAFE}/events", headers=staff)
    assert response.status_code == 200
    body = response.json
    assert (body["community"], body["from"], body["to"]) == (CAFE, "2026-11-26", "2026-12-10")
    tonight, *later = body["events"]
    assert isinstance(tonight["id"], int) and tonight == {
        "id": tonight["id"],
        "community": CAFE,
        "starts_at": "2026-11-26T16:00:00+01:00",
        "ends_at": "2026-11-26T21:00:00+01:00",
        "local_date": "2026-11-26",
        "kind": "regular",
        "note": None,
        "cancelled": False,
        "cancelled_reason": None,
        "planned": True,
    }
    assert [(e["id"], e["local_date"], e["planned"]) for e in later] == [(None, "2026-12-03", False), (None, "2026-12-10", False)]
    again = client.get(f"/api/communities/{CAFE}/events", headers=staff).json
    assert again["events"][0]["id"] == tonight["id"], "asking again plans nothing twice"


def test_cancelled_evenings_are_listed_and_flagged_near_and_far(cafe, runtime_factory, cafe_flows_dir, staff):
    create_app(cafe).test_client().get(f"/api/communities/{CAFE}/events", headers=staff)  # tonight is stored
    path = cafe_flows_dir / f"{CAFE}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  reminder:", CHRISTMAS + "  reminder:"), encoding="utf-8")
    client = create_app(runtime_factory(flows_dir=cafe_flows_dir)).test_client()  # reads the edited file at once
    response = client.get(f"/api/communities/{CAFE}/events?from=2026-11-26&to=2026-12-31", headers=staff)
    assert response.status_code == 200, response.json
    events = [
        (e["local_date"], e["starts_at"][11:16], e["kind"], e["note"], e["cancelled"], e["cancelled_reason"], e["planned"], e["id"] is not None)
        for e in response.json["events"]
    ]
    assert events == [
        ("2026-11-26", "16:00", "regular", None, True, "Personalemøde", True, True),
        ("2026-12-03", "16:00", "regular", None, False, None, False, False),
        ("2026-12-10", "16:00", "regular", None, False, None, False, False),
        ("2026-12-17", "16:00", "regular", None, False, None, False, False),
        ("2026-12-19", "14:00", "extra", "Julehygge", False, None, False, False),
        ("2026-12-24", "16:00", "regular", None, True, "Juleaften", False, False),
        ("2026-12-31", "16:00", "regular", None, False, None, False, False),
    ]


MALFORMED_WINDOWS = [
    ("from=26-11-2026", "from"),
    ("from=2026-02-30", "from"),
    ("to=2026-W48-4", "to"),
    ("from=1999-12-31", "from"),
    ("from=2026-12-01&to=2026-11-01", "from"),
    ("from=2026-01-01&to=2027-06-01", "to"),
    ("from=2026-11-26&from=2026-11-27", "from"),
    ("form=2026-11-26", "form"),
]


def test_a_malformed_window_is_a_400_that_names_the_parameter(cafe, client, staff):
    for query, field in MALFORMED_WINDOWS:
        response = client.get(f"/api/communities/{CAFE}/events?{query}", headers=staff)
        assert response.status_code == 400, (query, response.get_data(as_text=True))
        assert response.is_json and field in response.json["fields"] and response.json["detail"], query


def test_events_of_an_unknown_community_are_404(cafe, client, staff):
    response = client.get("/api/communities/nowhere/events", headers=staff)
    assert response.status_code == 404 and response.json["detail"] == "no community 'nowhere'"
