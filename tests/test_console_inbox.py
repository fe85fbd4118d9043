"""The counsellor's inbox in the console: urgent cases first, the thread, a reply that reaches the
young person (and shows as sent), notes, assigning, closing, two counsellors at once, the week's
numbers; never a phone number, and what young people wrote always shown as text."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.core import clock
from bot.domain.inbound import receive
from bot.domain.staff import accounts
from bot.storage.models import Case, CaseAudit
from bot.web import create_app

from helpers import drain
from support.console import PASSWORD, csrf_of, sign_in
from support.counselling import FREJA, MO, OLIVER, QUESTION, open_case, write

HOSTILE = '<img src=x onerror="alert(1)"> hjælp'
REPLY = "Hej. Det lyder svært. Vil du fortælle lidt mere?"


@pytest.fixture
def counselling(service):
    app = create_app(service)
    with service.db.session() as db:
        for role, email in (("counsellor", "sofie@kommune.dk"), ("counsellor", "mads@kommune.dk"), ("staff", "kirsten@kommune.dk")):
            accounts.add_user(db, email=email, role=role, communities=["torsdag"] if role == "staff" else [], password=PASSWORD, now=clock.now())
        accounts.add_user(db, email="anne@kommune.dk", role="admin", communities=[], password=PASSWORD, now=clock.now())
    return app


def page(browser, url: str) -> str:
    answer = browser.get(url)
    assert answer.status_code == 200, (url, answer.status_code)
    return answer.get_data(as_text=True)


def test_an_urgent_sms_case_is_answered_noted_and_closed_from_the_console(counselling, service, twilio):
    waiting = open_case(service, OLIVER, "Hvordan søger jeg SU?")
    urgent = open_case(service, FREJA, "Jeg har det rigtig skidt", urgent=True)
    sofie = sign_in(counselling, "counsellor")
    inbox = page(sofie, "/console/inbox")
    assert inbox.index(urgent) < inbox.index(waiting), "urgent first, though it came later"
    assert re.search(r"<title>\(2\) Indbakke", inbox), "the tab shows how many wait"

    case = page(sofie, f"/console/cases/{urgent}")
    assert "Livslinien 70 201 201" in case and "Jeg har det rigtig skidt" in case
    answered = sofie.post(f"/console/cases/{urgent}/reply", data={"text": REPLY, "seen": 10**6, "csrf_token": csrf_of(case)})
    assert answered.status_code == 302
    drain(service)
    assert [m["body"] for m in twilio.messages if m["to"] == FREJA][-1].endswith(REPLY), "the young person got the reply by SMS"
    assert "sendt" in page(sofie, f"/console/cases/{urgent}"), "the reply's status, as the provider reported it"

    sofie.post(f"/console/cases/{urgent}/notes", data={"text": "Ring til hende i morgen", "csrf_token": csrf_of(case)})
    assert "Ring til hende i morgen" in page(sofie, f"/console/cases/{urgent}")
    before = len(twilio.messages)
    sofie.post(f"/console/cases/{urgent}/close", data={"reason": "Besvaret", "topic": "feelings", "csrf_token": csrf_of(case)})
    drain(service)
    assert len(twilio.messages) == before + 1, "the closing text, and the note was never sent"
    assert "Jeg har det rigtig skidt" not in page(sofie, "/console/inbox")
    with service.db.session() as db:
        actions = [(row.actor, row.action, row.case_alias) for row in db.scalars(select(CaseAudit).where(CaseAudit.case_alias == urgent))]
    assert {("sofie@kommune.dk", action, urgent) for action in ("view", "reply", "note", "close")} <= set(actions)


def test_two_counsellors_answering_at_once_are_warned_before_a_second_answer(counselling, service, twilio):
    alias = open_case(service, MO)
    sofie, mads = sign_in(counselling, "counsellor"), sign_in(counselling, "counsellor", email="mads@kommune.dk")
    sofies_page, mads_page = page(sofie, f"/console/cases/{alias}"), page(mads, f"/console/cases/{alias}")
    seen = re.search(r'name="seen" value="(\d+)"', sofies_page).group(1)
    mads.post(f"/console/cases/{alias}/reply", data={"text": "Hej, det er Mads.", "seen": seen, "csrf_token": csrf_of(mads_page)})
    warned = sofie.post(f"/console/cases/{alias}/reply", data={"text": REPLY, "seen": seen, "csrf_token": csrf_of(sofies_page)})
    html = warned.get_data(as_text=True)
    assert warned.status_code == 409 and "mads@kommune.dk har svaret, mens du skrev" in html and "Hej, det er Mads." in html
    assert REPLY in html, "her draft is kept"
    drain(service)
    assert sum(REPLY in m["body"] for m in twilio.messages) == 0
    sent = sofie.post(
        f"/console/cases/{alias}/reply", data={"text": REPLY, "seen": seen, "send_anyway": "1", "csrf_token": csrf_of(html)}
    )
    assert sent.status_code == 302
    drain(service)
    assert sum(REPLY in m["body"] for m in twilio.messages) == 1


def test_what_a_young_person_wrote_is_text_and_no_page_holds_their_number(counselling, service):
    alias = open_case(service, FREJA, HOSTILE)
    sofie = sign_in(counselling, "counsellor")
    with service.db.session() as db:
        case = db.scalars(select(Case).where(Case.alias == alias)).one()
        secrets = (FREJA, FREJA.lstrip("+"), case.sealed_address, case.sender_key)
    for url in ("/console/inbox", f"/console/cases/{alias}", "/console/stats"):
        html = page(sofie, url)
        assert '<img src=x onerror="alert(1)">' not in html
        assert not any(secret in html for secret in secrets), url
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; hjælp" in page(sofie, f"/console/cases/{alias}")


def test_the_weeks_numbers_without_content(counselling, service):
    open_case(service, FREJA, QUESTION, urgent=True)
    write(service, OLIVER, "RÅD")
    sofie = sign_in(counselling, "counsellor")
    stats = page(sofie, "/console/stats")
    assert "<svg" in stats and QUESTION not in stats
    assert re.search(r"<td>2</td><td>1</td>", stats), "two cases that week, one urgent"


def test_staff_and_admin_never_see_a_case(counselling, service):
    alias = open_case(service, FREJA)
    for role in ("staff", "admin"):
        browser = sign_in(counselling, role)
        assert browser.get("/console/inbox").status_code == 403
        assert browser.get(f"/console/cases/{alias}").status_code == 403


def test_the_inbox_updates_itself_without_a_reload(counselling, service):
    sofie = sign_in(counselling, "counsellor")
    html = page(sofie, "/console/inbox")
    assert 'hx-get="/console/inbox" hx-trigger="every 10s"' in html
    open_case(service, FREJA)
    fragment = sofie.get("/console/inbox", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and QUESTION in fragment and "<title>(1) Indbakke" in fragment


def test_a_photo_that_came_with_a_message_is_a_link_in_the_thread(counselling, service):
    alias = open_case(service, FREJA)
    receive(
        service, channel="sms", scheme="tel", address=FREJA, body="Se her", provider_id="SM-photo",
        attachments=[{"type": "image", "url": "https://lookaside.example/photo.jpg"}, {"type": "audio", "url": "javascript:alert(1)"}],
    )
    drain(service)
    html = page(sign_in(counselling, "counsellor"), f"/console/cases/{alias}")
    assert '<a href="https://lookaside.example/photo.jpg" rel="noopener noreferrer" target="_blank">Vedhæftet (billede)</a>' in html
    assert "javascript:" not in html and "Vedhæftet (lydbesked)" in html, "only a web address becomes a link"
