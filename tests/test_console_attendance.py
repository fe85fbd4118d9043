"""The console's attendance pages: per community a chart of who said yes and who came (an SVG of
its own, with the numbers in a table beside it), falling attendance flagged, each member's record,
the export for Danish Excel; per event, staff marking who came, audited; and staff of another
community refused."""
from __future__ import annotations

import csv
import html
import io
import re
import xml.etree.ElementTree as ElementTree
from datetime import timedelta

from sqlalchemy import select

from bot.console.charts import CHART_POLICY
from bot.core import clock
from bot.domain.attendance import attendance
from bot.domain.communities import members, reminders
from bot.domain.staff import accounts
from bot.storage.models import Attendance, Event, Member, StaffAudit

from support.console import PASSWORD, PEOPLE, csrf_of, sign_in
from support.staff_api import CAFE, FREJA, IDA, OLIVER, join, local

MO, NOAH = "+4529500004", "+4529500005"
ELSEWHERE = "lars@kommune.dk"
SVG = "{http://www.w3.org/2000/svg}"


def thursdays(runtime, count: int) -> list[int]:
    """The café's Thursdays from 1 October on, planned as the scheduler would; then the clock is
    the morning of the Thursday after the last."""
    ids = []
    for week in range(count):
        clock.set_now(local(2026, 10, 1, 8, 0) + timedelta(weeks=week))
        reminders.plan(runtime)
        with runtime.db.session() as db:
            ids.append(db.scalars(select(Event.id).where(Event.community == CAFE, Event.local_date == clock.now().date())).one())
    clock.set_now(local(2026, 10, 1, 8, 0) + timedelta(weeks=count))
    return ids


def said_and_came(runtime, event_id: int, said_yes: list[int], came: list[int]) -> None:
    with runtime.db.session() as db:
        event = db.get(Event, event_id)
        for member_id in said_yes:
            attendance.record_reply(db, db.get(Member, member_id).contact_id, event_id, "confirmed", event.starts_at - timedelta(hours=6))
        for member_id in came:
            attendance.set_presence(db, db.get(Member, member_id), event, "attended", "Ali", event.starts_at)


def a_falling_cafe(runtime) -> tuple[list[int], list[int]]:
    """Six Thursdays: four come to each of the first three, one to each of the last three."""
    clock.set_now(local(2026, 9, 30, 12, 0))
    people = [join(runtime, phone, name) for phone, name in ((FREJA, "Freja"), (OLIVER, "Oliver"), (IDA, "Ida"), (MO, "Mo"))]
    events = thursdays(runtime, 6)
    for week, event_id in enumerate(events):
        said_and_came(runtime, event_id, said_yes=people[:3] if week < 3 else people[:2], came=people if week < 3 else people[:1])
    return people, events


def text_of(answer, status: int = 200) -> str:
    """The page as a reader sees it: tags gone, entities read, spaces squeezed."""
    assert answer.status_code == status, answer.status_code
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", answer.get_data(as_text=True))))


def staff_elsewhere(console, cafe):
    with cafe.db.session() as db:
        accounts.add_user(db, email=ELSEWHERE, role="staff", communities=["andet"], password=PASSWORD, now=clock.now())
    return sign_in(console, "staff", email=ELSEWHERE)


def audit_of(runtime, action: str) -> list[tuple[str, str | None]]:
    with runtime.db.session() as db:
        return [(row.actor, row.detail) for row in db.scalars(select(StaffAudit).where(StaffAudit.action == action).order_by(StaffAudit.id))]


def test_the_chart_is_an_svg_of_its_own_with_the_numbers_and_a_strict_policy(console, cafe):
    a_falling_cafe(cafe)
    chart = sign_in(console, "staff").get(f"/console/communities/{CAFE}/attendance.svg")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    assert chart.headers["Content-Security-Policy"] == CHART_POLICY, "no script, only the chart's own style"
    root = ElementTree.fromstring(chart.get_data(as_text=True))
    assert root.tag == f"{SVG}svg"
    words = [element.text for element in root.iter(f"{SVG}text") if element.text]
    assert "Sagde ja og kom" in words and "1. okt." in words and "5. nov." in words
    assert any(word.startswith("Sagde ja") for word in words) and any(word.startswith("Kom ") for word in words), "the legend names both"
    values = [element.text for element in root.iter(f"{SVG}text") if "value" in (element.get("class") or "")]
    assert sorted(values) == sorted(["3"] * 3 + ["2"] * 3 + ["4"] * 3 + ["1"] * 3), "every number printed on its line"


def test_the_page_has_the_same_numbers_in_a_table_flags_falling_attendance_and_lists_the_members(console, cafe):
    people, events = a_falling_cafe(cafe)
    with cafe.db.session() as db:
        members.leave(db, db.get(Member, people[3]), clock.now())
    answer = sign_in(console, "staff").get(f"/console/communities/{CAFE}/attendance")
    page = text_of(answer)
    body = answer.get_data(as_text=True)
    assert f'<img src="/console/communities/{CAFE}/attendance.svg" alt="Linjediagram: ' in body
    assert "Faldende fremmøde: Fremmødet er faldet: de seneste 3 gange kom klart færre end de 3 gange før." in page
    rows = re.findall(r'<th scope="row">([^<]+)</th>\s*<td>(\d+)</td>\s*<td>(\d+)</td>\s*<td><a href="([^"]+)"', body)
    assert [(day, int(yes), int(came)) for day, yes, came, _ in rows] == [
        ("tors. 5. nov. 2026", 2, 1), ("tors. 29. okt. 2026", 2, 1), ("tors. 22. okt. 2026", 2, 1),
        ("tors. 15. okt. 2026", 3, 4), ("tors. 8. okt. 2026", 3, 4), ("tors. 1. okt. 2026", 3, 4),
    ], "newest first, the chart's numbers"
    assert rows[0][3] == f"/console/communities/{CAFE}/events/{events[-1]}/attendance"
    assert "Freja 6 6 tors. 5. nov. 2026 0" in page
    assert "Ida 3 3 tors. 15. okt. 2026 3" in page, "three times in a row without a word"
    assert "Mo (har forladt fællesskabet) 0 3 tors. 15. okt. 2026 –" in page
    assert f'<a href="/console/members/{people[0]}">Freja</a>' in body, "to the member's own page"
    listed = text_of(sign_in(console, "staff").get("/console/attendance"))
    assert "Testcaféen Sidste gang: tors. 5. nov. 2026: 2 sagde ja, 1 kom Faldende fremmøde" in listed


def test_steady_attendance_is_not_flagged(console, cafe):
    clock.set_now(local(2026, 9, 30, 12, 0))
    freja, oliver = join(cafe, FREJA, "Freja"), join(cafe, OLIVER, "Oliver")
    for event_id in thursdays(cafe, 6):
        said_and_came(cafe, event_id, said_yes=[freja, oliver], came=[freja, oliver])
    staff = sign_in(console, "staff")
    assert "Faldende fremmøde" not in text_of(staff.get(f"/console/communities/{CAFE}/attendance"))
    assert "Faldende fremmøde" not in text_of(staff.get("/console/attendance"))


def read_csv(answer) -> list[list[str]]:
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "text/csv" and answer.headers["Content-Disposition"].startswith("attachment;")
    assert answer.data.startswith(b"\xef\xbb\xbf"), "a byte order mark: Excel reads UTF-8"
    return list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_the_export_opens_in_danish_excel(console, cafe):
    people, _ = a_falling_cafe(cafe)
    staff = sign_in(console, "staff")
    rows = read_csv(staff.get(f"/console/communities/{CAFE}/attendance.csv"))
    assert rows[0] == ["dato", "start", "medlem_id", "navn", "svar", "svar_tidspunkt", "fremmøde", "fremmøde_sat_af"]
    assert rows[1] == ["2026-10-01", "16:00", str(people[0]), "Freja", "kommer", "2026-10-01 10:00", "kom", "Ali"]
    assert len(rows) == 1 + 6 * 4, "every member at every evening of the page's weeks"
    assert ";" in staff.get(f"/console/communities/{CAFE}/attendance.csv").get_data(as_text=True).splitlines()[0]
    november = read_csv(staff.get(f"/console/communities/{CAFE}/attendance.csv?from=2026-11-01&to=2026-11-30"))
    assert {row[0] for row in november[1:]} == {"2026-11-05"}
    assert not any(phone[-8:] in str(rows) for phone in (FREJA, OLIVER, IDA, MO)), "no phone numbers"
    assert audit_of(cafe, "attendance_export") == [
        (PEOPLE["staff"], f"{CAFE} 2026-08-13..2026-11-12"), (PEOPLE["staff"], f"{CAFE} 2026-08-13..2026-11-12"),
        (PEOPLE["staff"], f"{CAFE} 2026-11-01..2026-11-30"),
    ]
    for query in ("from=2026-11-31", "from=2026-12-01&to=2026-11-01", "from=2025-01-01&to=2026-12-31"):
        refused = staff.get(f"/console/communities/{CAFE}/attendance.csv?{query}")
        assert refused.status_code == 302 and "bad_dates=1" in refused.location, query
    again = text_of(staff.get(f"/console/communities/{CAFE}/attendance?bad_dates=1"))
    assert "Vælg to datoer, den første før den sidste, højst et år fra hinanden." in again


def presence(browser, event_id: int, member_id: int, value: str, **headers):
    token = csrf_of(browser.get("/console/attendance"))
    return browser.post(
        f"/console/communities/{CAFE}/events/{event_id}/attendance/{member_id}", data={"presence": value, "csrf_token": token}, headers=headers
    )


def stored_presence(runtime, event_id: int, member_id: int) -> tuple[str | None, str | None] | None:
    with runtime.db.session() as db:
        row = db.scalars(select(Attendance).where(Attendance.event_id == event_id, Attendance.member_id == member_id)).first()
        return (row.presence, row.presence_set_by) if row else None


def test_staff_mark_who_came_to_a_past_event_and_it_is_audited(console, cafe):
    clock.set_now(local(2026, 9, 30, 12, 0))
    freja, oliver = join(cafe, FREJA, "Freja"), join(cafe, OLIVER, "Oliver")
    past, = thursdays(cafe, 1)
    said_and_came(cafe, past, said_yes=[freja], came=[])
    staff = sign_in(console, "staff")
    page = text_of(staff.get(f"/console/communities/{CAFE}/events/{past}/attendance"))
    assert "Hvem kom torsdag 1. oktober 2026?" in page
    assert "Freja Svar: kommer Fremmøde: ikke sat" in page and "Oliver Svar: intet svar Fremmøde: ikke sat" in page

    marked = presence(staff, past, freja, "attended")
    assert marked.status_code == 303 and marked.location.endswith(f"/events/{past}/attendance#member-{freja}")
    assert stored_presence(cafe, past, freja) == ("attended", PEOPLE["staff"])
    swapped = presence(staff, past, oliver, "absent", **{"HX-Request": "true"})
    assert swapped.status_code == 200
    fragment = swapped.get_data(as_text=True)
    assert f'<li class="card attendance-person" id="member-{oliver}">' in fragment and "Gemt: Oliver – kom ikke." in fragment
    assert "<html" not in fragment, "only the member's card, for htmx to swap in"
    assert stored_presence(cafe, past, oliver) == ("absent", PEOPLE["staff"])
    assert presence(staff, past, oliver, "").status_code == 303 and stored_presence(cafe, past, oliver) == (None, PEOPLE["staff"])
    assert audit_of(cafe, "attendance_set") == [
        (PEOPLE["staff"], f"event {past}, member {freja}, {CAFE}: attended"),
        (PEOPLE["staff"], f"event {past}, member {oliver}, {CAFE}: absent"),
        (PEOPLE["staff"], f"event {past}, member {oliver}, {CAFE}: cleared"),
    ], "by id, never a name"
    assert "Freja Svar: kommer Fremmøde: kom sat af kirsten@kommune.dk" in text_of(staff.get(f"/console/communities/{CAFE}/events/{past}/attendance"))
    assert presence(staff, past, freja, "came").status_code == 400


def test_a_coming_event_a_cancelled_one_and_a_stranger_cannot_be_marked(console, cafe, cafe_flows_dir):
    clock.set_now(local(2026, 11, 25, 9, 0))  # Wednesday: tomorrow's evening is planned
    freja = join(cafe, FREJA, "Freja")
    reminders.plan(cafe)
    with cafe.db.session() as db:
        tomorrow = db.scalars(select(Event.id).where(Event.community == CAFE, Event.local_date == local(2026, 11, 26).date())).one()
        outsider = members.add_member(db, community="andet", phone=NOAH, source="api", now=clock.now())
        db.flush()
        outsider = outsider.id
    staff = sign_in(console, "staff")
    assert "Kom ikke" not in text_of(staff.get(f"/console/communities/{CAFE}/events/{tomorrow}/attendance")), "no buttons before the day"
    assert presence(staff, tomorrow, freja, "attended").status_code == 409
    clock.set_now(local(2026, 11, 26, 16, 30))
    staff = sign_in(console, "staff")  # the session of yesterday has ended
    assert presence(staff, tomorrow, outsider, "attended").status_code == 404, "not a member of this community"
    assert presence(staff, tomorrow + 1000, freja, "attended").status_code == 404
    path = cafe_flows_dir / f"{CAFE}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  reminder:", "  cancelled: [2026-11-26]\n  reminder:"), encoding="utf-8")
    clock.set_now(local(2026, 11, 26, 12, 0))
    cafe.flows.check_every = 0
    reminders.plan(cafe)
    clock.set_now(local(2026, 11, 26, 16, 30))
    staff = sign_in(console, "staff")
    cancelled = staff.get(f"/console/communities/{CAFE}/events/{tomorrow}/attendance")
    assert "Denne gang blev aflyst" in text_of(cancelled) and "Kom ikke" not in text_of(cancelled)
    assert "ikke for en gang, der er aflyst" in text_of(presence(staff, tomorrow, freja, "attended"), 409)
    assert stored_presence(cafe, tomorrow, freja) is None


def test_staff_of_another_community_are_refused_every_attendance_page(console, cafe):
    clock.set_now(local(2026, 9, 30, 12, 0))
    freja = join(cafe, FREJA, "Freja")
    past, = thursdays(cafe, 1)
    elsewhere = staff_elsewhere(console, cafe)
    for path in ("attendance", "attendance.svg", "attendance.csv", f"events/{past}/attendance"):
        assert elsewhere.get(f"/console/communities/{CAFE}/{path}").status_code == 403, path
    token = csrf_of(elsewhere.get("/console/attendance"))
    refused = elsewhere.post(f"/console/communities/{CAFE}/events/{past}/attendance/{freja}", data={"presence": "attended", "csrf_token": token})
    assert refused.status_code == 403 and stored_presence(cafe, past, freja) is None
    assert "Testcaféen" not in text_of(elsewhere.get("/console/attendance"))
    other = sign_in(console, "staff").get(f"/console/communities/andet/events/{past}/attendance")
    assert other.status_code == 404, "an unknown community"
