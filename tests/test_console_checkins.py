"""The console's check-ins page: per mood check-in and community, who answered the latest check-ins
and who did not, who has paused them, who was alerted and why (never what the young person wrote),
and each young person's mood over time as an SVG chart with the same numbers in a table. Staff of
another community are refused (403) its page and its members.

Søndagstjek asks the members of onsdag (Queergruppen: Karim has a phone) and torsdag every Sunday
at 18:00; the answers come by SMS through the real flows, three Sundays from 29 November 2026.
"""
from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from test_mood import MOOD

from bot.core import clock
from bot.domain.communities import members
from bot.domain.inbound import receive
from bot.domain.mood import answers, planning
from bot.domain.staff import accounts
from bot.storage.models import Contact, Member
from bot.web import create_app

from helpers import drain, outbox
from support.console import PASSWORD, PEOPLE, sign_in

PROJECT = Path(__file__).resolve().parent.parent
CPH = ZoneInfo("Europe/Copenhagen")
OTHER_STAFF = "lars@kommune.dk"
SARA, NOAH, IDA, EMIL, BO = "+4529800001", "+4529800002", "+4529800003", "+4529800004", "+4529800005"
DANGER = "jeg har tænkt på selvmord"


def sunday(week: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 29, hour, minute, tzinfo=CPH) + timedelta(weeks=week)


@pytest.fixture
def checkins(runtime_factory, tmp_path, twilio):
    shutil.copy(PROJECT / "flows" / "onsdag.yaml", tmp_path)
    shutil.copy(PROJECT / "tests" / "fixtures" / "communities" / "torsdag.yaml", tmp_path)
    shutil.copy(PROJECT / "flows" / "raadgivning.yaml", tmp_path)  # the words of danger
    (tmp_path / "humoer.yaml").write_text(MOOD, encoding="utf-8")
    clock.set_now(sunday(0, 12))
    runtime = runtime_factory(flows_dir=tmp_path)
    ids = {
        "sara": join(runtime, "onsdag", SARA, "Sara", contact_person_name="Bente", contact_person_phone="+4529888777", contact_person_consent=True),
        "noah": join(runtime, "onsdag", NOAH, "Noah"),
        "ida": join(runtime, "onsdag", IDA, "Ida"),
        "emil": join(runtime, "onsdag", EMIL, "Emil"),
        "bo": join(runtime, "torsdag", BO, "Bo"),
    }
    week(runtime, 0, {SARA: ["4"], NOAH: ["2"], BO: ["5", "nej tak"]})
    clock.set_now(sunday(1, 10))
    text(runtime, IDA, "pause 2 uger")
    week(runtime, 1, {SARA: ["2"], NOAH: ["2"], EMIL: ["4"]})
    week(runtime, 2, {SARA: ["1", "det er min far igen"], NOAH: ["2"], EMIL: ["3", DANGER]})
    clock.set_now(sunday(2, 20))
    return runtime, ids


@pytest.fixture
def app(checkins):
    runtime, _ = checkins
    app = create_app(runtime)
    with runtime.db.session() as db:
        accounts.add_user(db, email=PEOPLE["staff"], role="staff", communities=["onsdag"], password=PASSWORD, now=clock.now())
        accounts.add_user(db, email=PEOPLE["admin"], role="admin", communities=[], password=PASSWORD, now=clock.now())
        accounts.add_user(db, email=OTHER_STAFF, role="staff", communities=["torsdag"], password=PASSWORD, now=clock.now())
    return app


def join(runtime, community: str, phone: str, name: str, **fields) -> int:
    with runtime.db.session() as db:
        member = members.add_member(db, community=community, phone=phone, name=name, source="api", now=clock.now(), **fields)
        db.flush()
        return member.id


def text(runtime, phone: str, body: str) -> None:
    receive(runtime, channel="sms", scheme="tel", address=phone, body=body, provider_id=f"SM{phone}{clock.now().timestamp()}{body}")
    drain(runtime)


def week(runtime, number: int, said: dict[str, list[str]]) -> None:
    """The check-in of Sunday ``number``: asked at 18:00, answered (and told more) by text."""
    clock.set_now(sunday(number, 17))
    planning.plan(runtime, clock.now())
    clock.set_now(sunday(number, 18))
    drain(runtime)
    for minute, (phone, words) in enumerate(said.items(), start=5):
        clock.set_now(sunday(number, 18, minute))
        for body in words:
            text(runtime, phone, body)


def page_of(answer) -> str:
    assert answer.status_code == 200, answer.status_code
    return answer.get_data(as_text=True)


def test_per_programme_who_answered_who_did_not_and_who_paused(app, checkins):
    _, ids = checkins
    browser = sign_in(app, "staff")
    listing = page_of(browser.get("/console/checkins"))
    assert "Søndagstjek · Queergruppen" in listing and "Testcaféen" not in listing, "only the viewer's communities"
    assert "Seneste tjek søn. 13. dec.: 3 af 3 svarede." in listing
    assert "Advarsler de sidste 26 uger: 3" in listing and "På pause eller slået fra: 1" in listing

    html = page_of(browser.get("/console/checkins/onsdag"))
    assert ">Bo<" not in html, "a member of the programme's other community is not theirs"  # (a random CSRF token may hold "Bo")
    rows = table_rows(html, "Hvem svarede")
    assert list(rows) == ["Emil", "Ida", "Noah", "Sara"], "by name"
    assert rows["Sara"][:3] == ["svarede 1 · advarsel · skrev mere", "svarede 2", "svarede 4"], "the latest check-in first"
    assert rows["Noah"][:3] == ["svarede 2 · advarsel", "svarede 2", "svarede 2"]
    assert rows["Emil"][:3] == ["svarede 3 · advarsel · skrev mere", "svarede 4", "ikke svaret"]
    assert rows["Ida"][:3] == ["på pause", "på pause", "ikke svaret"]
    assert rows["Ida"][3] == "pause til søn. 20. dec." and rows["Sara"][3] == "får tjek"
    assert "3 af 3 svarede" in html and "2 af 4 svarede" in html, "answered of asked, per day (a pause is not asked)"
    assert "det er min far" not in html and DANGER not in html, "never the young person's own words"
    assert f'/console/checkins/onsdag/members/{ids["sara"]}"' in html


def table_rows(html: str, heading: str) -> dict[str, list[str]]:
    """The rows of the table after ``heading``: the row header's text -> the cells' texts."""
    table = html.split(f"<h3>{heading}</h3>", 1)[1].split("</table>", 1)[0]
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]:
        cells = [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        found[cells[0]] = cells[1:]
    return found


def test_who_was_alerted_and_why_without_what_they_wrote(app, checkins):
    browser = sign_in(app, "staff")
    html = page_of(browser.get("/console/checkins/onsdag"))
    alerts = html.split("<h3>Hvem blev advaret, og hvorfor</h3>", 1)[1].split("</ul>", 1)[0]
    cards = [" ".join(re.sub(r"<[^>]+>", " ", card).split()) for card in re.findall(r'<li class="card">(.*?)</li>', alerts, re.S)]
    assert cards == [
        "13. dec. 18:07 · Emil · svarede 3 Hvorfor: ord om fare Hvem fik besked: personalet: Karim (sms)",
        "13. dec. 18:06 · Noah · svarede 2 Hvorfor: 3 lave svar i træk Hvem fik besked: personalet: Karim (sms)",
        "13. dec. 18:05 · Sara · svarede 1 Hvorfor: meget lavt svar (1) Hvem fik besked: kontaktpersonen Bente (sms)",
    ], "newest first"
    runtime, _ = checkins
    assert {m.to_address for m in outbox(runtime, kind="staff")} == {"+4529888777", "+4512345603"}, "who the page says was told, was"
    assert "det er min far" not in html and DANGER not in html


def test_a_members_mood_over_time_as_a_chart_and_a_table_with_the_same_numbers(app, checkins):
    _, ids = checkins
    browser = sign_in(app, "staff")
    html = page_of(browser.get(f"/console/checkins/onsdag/members/{ids['sara']}"))
    assert "Humør: Sara" in html and f'src="/console/checkins/onsdag/members/{ids["sara"]}/mood.svg"' in html
    assert 'alt="Graf over svarene fra Sara på humør-tjek. De samme tal står i tabellen under grafen."' in html
    timeline = table_rows(html.replace("<h2>Svar de sidste 26 uger</h2>", "<h3>timeline</h3>"), "timeline")
    assert timeline == {"søn. 13. dec.": ["1 · skrev mere", "ja: meget lavt svar (1)"], "søn. 6. dec.": ["2", "nej"], "søn. 29. nov.": ["4", "nej"]}
    assert "det er min far" not in html

    chart = browser.get(f"/console/checkins/onsdag/members/{ids['sara']}/mood.svg")
    assert chart.status_code == 200 and chart.content_type == "image/svg+xml; charset=utf-8"
    assert chart.headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    svg = ElementTree.fromstring(chart.get_data())
    texts = [(node.get("class") or "", "".join(node.itertext()).strip()) for node in svg.iter() if node.tag.endswith("}text")]
    assert ("title plot_title", "Humør for Sara (1 = skidt, 5 = rigtig godt)") in texts
    assert [word for kind, word in texts if kind in ("", "major")][-3:] == ["29.11.", "6.12.", "13.12."], "a label per check-in day"
    assert [word for kind, word in texts if kind == "value"] == ["4", "2", "1"], "the answers printed on the chart, as in the table"

    ida = page_of(browser.get(f"/console/checkins/onsdag/members/{ids['ida']}"))
    assert "pause til søn. 20. dec." in ida and "på pause" in ida


def test_a_stop_shows_and_a_pause_that_ended_does_not(app, checkins):
    runtime, ids = checkins
    with runtime.db.session() as db:
        answers.set_pause(db.get(Member, ids["noah"]).contact, None, clock.now())
        ida = db.get(Member, ids["ida"]).contact
        ida.checkins_paused_until = clock.now() - timedelta(hours=1)
    rows = table_rows(page_of(sign_in(app, "staff").get("/console/checkins/onsdag")), "Hvem svarede")
    assert rows["Noah"][3] == "slået fra siden søn. 13. dec." and rows["Ida"][3] == "får tjek"
    with runtime.db.session() as db:
        assert db.scalars(select(Contact.checkins_stopped_at).where(Contact.id == db.get(Member, ids["noah"]).contact_id)).one() is not None


def test_staff_of_another_community_are_refused_its_page_and_its_members(app, checkins):
    _, ids = checkins
    lars = sign_in(app, "staff", email=OTHER_STAFF)
    own = page_of(lars.get("/console/checkins/torsdag"))
    assert "Bo" in own and "Sara" not in own and "Noah" not in own
    assert "Queergruppen" not in page_of(lars.get("/console/checkins"))
    assert lars.get("/console/checkins/onsdag").status_code == 403
    for member in ("sara", "noah"):
        assert lars.get(f"/console/checkins/onsdag/members/{ids[member]}").status_code == 403
        assert lars.get(f"/console/checkins/torsdag/members/{ids[member]}").status_code == 403, "a member of another community, through one's own"
        assert lars.get(f"/console/checkins/torsdag/members/{ids[member]}/mood.svg").status_code == 403
    kirsten = sign_in(app, "staff")
    assert kirsten.get(f"/console/checkins/onsdag/members/{ids['bo']}").status_code == 403
    assert kirsten.get("/console/checkins/onsdag/members/2147483648").status_code == 404
    admin = sign_in(app, "admin")
    assert "Søndagstjek · Queergruppen" in page_of(admin.get("/console/checkins")) and "Søndagstjek · Testcaféen" in page_of(admin.get("/console/checkins"))
    assert admin.get(f"/console/checkins/torsdag/members/{ids['bo']}/mood.svg").status_code == 200
