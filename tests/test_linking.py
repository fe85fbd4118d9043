"""SMS (MIT NUMMER) on Instagram: a young person gives a mobile number, proves it with the code
texted to it, and is one contact on both channels from then on; a number someone already texted
us from brings its memberships along. Nobody can make the bot text a stranger more than a code."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.core import clock
from bot.domain.communities import members
from bot.domain.contacts.contacts import reachable_at
from bot.storage.models import Contact, ContactURN, Member
from bot.web import create_app

from helpers import drain
from support.instagram import OPEN_PROFILE, YOUNG_PERSON, entry, event, post, text

CPH = ZoneInfo("Europe/Copenhagen")
TUESDAY_NOON = datetime(2026, 11, 24, 12, 0, tzinfo=CPH)
NUMBER = "+4520123456"


@pytest.fixture
def runtime(runtime_factory, instagram_flows_dir, graph, twilio):
    clock.set_now(TUESDAY_NOON)
    return runtime_factory(flows_dir=instagram_flows_dir, quiet_hours="off")


@pytest.fixture
def client(runtime):
    return create_app(runtime).test_client()


def write(client, runtime, graph, body: str) -> list[str]:
    """What the bot answers on Instagram."""
    before = len(graph.messages)
    mid = f"mid.{clock.now().timestamp()}.{len(graph.messages)}.{body}"
    assert post(client, event(entry(OPEN_PROFILE, text(mid, body)))).status_code == 200
    drain(runtime)
    return [m["text"] for m in graph.messages[before:]]


def code_texted(twilio) -> str:
    (message,) = [m for m in twilio.messages if m["to"] == NUMBER]
    return re.search(r"\b(\d{6})\b", message["body"]).group(1)


def contact_of(runtime) -> Contact:
    with runtime.db.session() as session:
        contact = session.scalars(select(Contact).join(ContactURN).where(ContactURN.path == f"{OPEN_PROFILE}:{YOUNG_PERSON}")).one()
        session.expunge_all()
        return contact


def test_a_number_proved_with_the_code_is_theirs_and_carries_what_instagram_may_not(client, runtime, graph, twilio):
    write(client, runtime, graph, "hej")  # the bot says it is a bot
    assert write(client, runtime, graph, "sms") == ["Vil du også kunne få beskeder som sms? Skriv dit mobilnummer, så sender vi en kode til det."]
    assert write(client, runtime, graph, "20 12 34 56") == ["Vi har sendt en kode til +45 20 •• •• 56. Skriv koden her."]
    code = code_texted(twilio)
    assert [m["body"] for m in twilio.messages] == [f"Din kode til Ungebot er {code}. Har du ikke bedt om den, kan du se bort fra denne sms."]
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert write(client, runtime, graph, wrong) == ["Koden passer ikke. Prøv igen."]
    assert write(client, runtime, graph, f"koden er {code[:3]} {code[3:]}") == [
        "Tak! Nu kan vi også skrive til dig på sms (+45 20 •• •• 56), fx beskeden på dagen."
    ]
    contact = contact_of(runtime)
    assert {urn.scheme for urn in contact.urns} == {"instagram", "tel"}
    assert reachable_at(contact, now=clock.now()) == ("instagram", f"{OPEN_PROFILE}:{YOUNG_PERSON}")
    assert reachable_at(contact, now=clock.now() + timedelta(hours=25)) == ("sms", NUMBER), "Instagram may not write first then"
    assert write(client, runtime, graph, "sms") and write(client, runtime, graph, "+45 20123456") == ["Det nummer (+45 20 •• •• 56) har vi allerede."]


def test_a_number_we_know_brings_its_memberships_to_instagram(client, runtime, graph, twilio):
    with runtime.db.session() as session:
        members.add_member(session, community="onsdag", phone=NUMBER, name="Sara", source="api", now=clock.now())
    write(client, runtime, graph, "sms")
    write(client, runtime, graph, NUMBER)
    write(client, runtime, graph, code_texted(twilio))
    with runtime.db.session() as session:
        (contact_id,) = session.scalars(select(ContactURN.contact_id).where(ContactURN.path.in_([NUMBER, f"{OPEN_PROFILE}:{YOUNG_PERSON}"]))).unique().all()
        member = session.scalars(select(Member)).one()
        assert (member.contact_id, member.community, member.status) == (contact_id, "onsdag", "active")
        assert session.get(Contact, contact_id).name == "Sara"


def test_a_number_that_said_stop_is_not_texted(client, runtime, graph, twilio):
    with runtime.db.session() as session:
        members.add_member(session, community="onsdag", phone=NUMBER, name="Sara", source="api", now=clock.now())
        session.scalars(select(Contact).join(ContactURN).where(ContactURN.path == NUMBER)).one().opted_out_at = clock.now()
    write(client, runtime, graph, "sms")
    assert write(client, runtime, graph, NUMBER) == [
        "Det nummer har bedt om ikke at få beskeder. Skriv START fra telefonen, hvis du vil have dem igen."
    ]
    assert twilio.messages == []


def test_three_wrong_codes_end_it_and_not_a_number_is_asked_again(client, runtime, graph, twilio):
    write(client, runtime, graph, "sms")
    assert write(client, runtime, graph, "min mor ved det ikke") == ["Det ligner ikke et mobilnummer. Skriv det fx sådan: 20 12 34 56."]
    write(client, runtime, graph, NUMBER)
    code = code_texted(twilio)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert write(client, runtime, graph, wrong) == ["Koden passer ikke. Prøv igen."]
    assert write(client, runtime, graph, wrong) == ["Koden passer ikke. Prøv igen."]
    assert write(client, runtime, graph, wrong) == ["Koden virker ikke længere. Skriv SMS, hvis du vil prøve igen."]
    write(client, runtime, graph, code)  # too late: three wrong tries ended it
    assert {urn.scheme for urn in contact_of(runtime).urns} == {"instagram"}
