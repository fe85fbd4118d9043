"""Meta's 24-hour rule, with time travel: the bot writes first on Instagram only within 24 hours
of the young person's last message there, a counsellor's own reply up to 7 days with the
HUMAN_AGENT tag; outside that, nothing goes on Instagram: SMS instead when the young person has
a number and said yes, else staff are told. And an account whose token Meta stopped accepting."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.core import clock
from bot.domain.cases import inbox
from bot.domain.communities import reminders
from bot.domain.contacts.channel_rules import HUMAN_WINDOW, WINDOW, messaging_for
from bot.domain.contacts.contacts import reachable_at
from bot.domain.outbox import add_message
from bot.jobs import sending
from bot.storage.models import Case, CaseMessage, ChannelAccount, Contact, ContactURN, StaffNotification
from bot.web import create_app

from conftest import META_OTHER_TOKEN, META_TOKEN
from helpers import drain, outbox
from support.instagram import COUNSELLING_PROFILE, OPEN_PROFILE, YOUNG_PERSON, entry, event, post, text

CPH = ZoneInfo("Europe/Copenhagen")
TUESDAY_NOON = datetime(2026, 11, 24, 12, 0, tzinfo=CPH)
IGSID = f"{OPEN_PROFILE}:{YOUNG_PERSON}"


@pytest.mark.parametrize(
    "kind, waited, expected",
    [
        ("reply", timedelta(minutes=1), "RESPONSE"),
        ("automatic", timedelta(hours=23, minutes=59), "UPDATE"),
        ("automatic", WINDOW, "UPDATE"),
        ("automatic", WINDOW + timedelta(seconds=1), None),
        ("reply", WINDOW + timedelta(seconds=1), None),
        ("human", timedelta(hours=2), "RESPONSE"),
        ("human", timedelta(days=3), "HUMAN_AGENT"),
        ("human", HUMAN_WINDOW, "HUMAN_AGENT"),
        ("human", HUMAN_WINDOW + timedelta(seconds=1), None),
        ("automatic", None, None),
    ],
)
def test_the_window(kind, waited, expected):
    now = datetime(2026, 11, 24, 12, 0, tzinfo=CPH)
    assert messaging_for(kind, None if waited is None else now - waited, now) == expected


@pytest.fixture
def runtime(runtime_factory, instagram_flows_dir, graph):
    clock.set_now(TUESDAY_NOON)
    # Each profile sends with its own page token.
    return runtime_factory(flows_dir=instagram_flows_dir, quiet_hours="off", meta_page_access_tokens=f"{COUNSELLING_PROFILE}={META_OTHER_TOKEN}")


@pytest.fixture
def client(runtime):
    return create_app(runtime).test_client()


def write(client, runtime, body: str, account: str = OPEN_PROFILE) -> None:
    mid = f"mid.{clock.now().timestamp()}.{body}"
    assert post(client, event(entry(account, text(mid, body, account=account)))).status_code == 200
    drain(runtime)


def join_on_instagram(client, runtime) -> None:
    for said in ("onsdag", "Sara", "ja"):
        write(client, runtime, said)


def notes(runtime) -> list[str]:
    with runtime.db.session() as session:
        return list(session.scalars(select(StaffNotification.text).order_by(StaffNotification.id)))


def test_a_reminder_goes_on_instagram_within_24_hours_and_is_held_back_after(client, runtime, graph):
    join_on_instagram(client, runtime)
    assert graph.messages[0]["text"].startswith("Hej! Jeg er Ungebot, en chatbot – ikke et menneske."), "first: it is a bot"
    assert [m["messaging_type"] for m in graph.messages] == ["RESPONSE"] * 4, "answers to what she wrote"
    reminders.plan(runtime)
    clock.set_now(datetime(2026, 11, 25, 11, 0, 30, tzinfo=CPH))  # Wednesday 11:00: 23 hours later
    drain(runtime)
    reminder = graph.messages[-1]
    assert (reminder["recipient"], reminder["messaging_type"]) == (YOUNG_PERSON, "UPDATE")
    assert reminder["text"].startswith("Hej Sara!")
    # A week later she has not written since: Instagram may not carry it, and there is no number.
    clock.set_now(datetime(2026, 12, 1, 12, 0, tzinfo=CPH))
    reminders.plan(runtime)
    clock.set_now(datetime(2026, 12, 2, 11, 0, 30, tzinfo=CPH))
    drain(runtime)
    assert len(graph.messages) == 5, "nothing more went to Instagram"
    (held,) = outbox(runtime, status="held")
    assert (held.channel, held.kind, held.error_code) == ("instagram", "automatic", "meta_window")
    assert notes(runtime)[-1].startswith("Ungebot: En besked på Instagram blev holdt tilbage")


def test_with_a_number_and_a_yes_sms_carries_what_instagram_may_not(client, runtime, graph, twilio):
    join_on_instagram(client, runtime)
    with runtime.db.session() as session:
        urn = session.scalars(select(ContactURN).where(ContactURN.path == IGSID)).one()
        session.add(ContactURN(contact_id=urn.contact_id, scheme="tel", path="+4529700001"))
    clock.set_now(datetime(2026, 11, 25, 11, 0, tzinfo=CPH))
    with runtime.db.session() as session:
        contact = session.scalars(select(Contact)).one()
        assert reachable_at(contact) == ("instagram", IGSID), "she wrote there last, 23 hours ago"
        channel, address = reachable_at(contact)
        written = add_message(session, contact_id=contact.id, channel=channel, to_address=address, body="Hej Sara! Kommer du i aften?",
                              choices=["Ja", "Nej"], kind="automatic", send_after=clock.now(), now=clock.now())
        session.flush()
        written_id = written.id
    # The worker only gets to it after the window has closed: held, and SMS takes it.
    clock.set_now(datetime(2026, 11, 25, 12, 30, tzinfo=CPH))
    assert sending.send_outbound(written_id) == "held"
    drain(runtime)
    assert len(graph.messages) == 4, "the bot's introduction and three answers, nothing more"
    by_sms = [m["body"] for m in twilio.messages if m["to"] == "+4529700001"]
    assert by_sms[0] == "Hej Sara! Kommer du i aften?\n1 Ja\n2 Nej", "the held one, its choices as a numbered list now"
    assert by_sms[1].startswith("Hej Sara! Vi ses i onsdagsgruppen i aften"), "the day's reminder, written now, goes by SMS at once"
    with runtime.db.session() as session:
        contact = session.scalars(select(Contact)).one()
        assert reachable_at(contact) == ("sms", "+4529700001"), "SMS first now, until she writes on Instagram again"
    assert notes(runtime) == ["Ungebot: En besked på Instagram blev sendt som sms i stedet: den unge har ikke skrevet på Instagram i 24 timer."]


def test_a_counsellors_reply_may_go_up_to_7_days_later_with_the_human_agent_tag(client, runtime, graph):
    write(client, runtime, "Jeg tør ikke sige det til nogen", account=COUNSELLING_PROFILE)
    write(client, runtime, "2", account=COUNSELLING_PROFILE)  # not urgent
    answered = len(graph.messages)

    def counsellor_says(words: str) -> None:
        with runtime.db.session() as session:
            case = session.scalars(select(Case)).one()
            inbox.reply(session, runtime.flows.current().counselling, case, "sofie", words, clock.now())
        drain(runtime)

    clock.set_now(TUESDAY_NOON + timedelta(hours=3))
    counsellor_says("Tak fordi du skriver. Vil du fortælle lidt mere?")
    clock.set_now(TUESDAY_NOON + timedelta(days=3))
    counsellor_says("Hej igen, jeg tænker på dig.")
    sent = graph.messages[answered:]
    assert [(m["messaging_type"], m["tag"]) for m in sent] == [("RESPONSE", None), ("MESSAGE_TAG", "HUMAN_AGENT")]
    assert all(m["account"] == COUNSELLING_PROFILE for m in graph.messages)
    clock.set_now(TUESDAY_NOON + timedelta(days=8))
    counsellor_says("Er du der stadig?")
    assert len(graph.messages) == answered + 2
    (held,) = outbox(runtime, status="held")
    assert held.kind == "human" and held.case_id is not None
    with runtime.db.session() as session:
        note = session.scalars(select(CaseMessage).where(CaseMessage.direction == "note")).one()
        assert note.case_id == held.case_id and note.body.startswith("Ungebot: Dette svar kunne ikke sendes på Instagram")
    assert notes(runtime) == [], "a case's business stays in the case, which only counsellors see"


def test_a_token_meta_stopped_accepting_tells_staff_once_and_works_again_once_replaced(client, runtime, graph):
    graph.expire_token(META_TOKEN)
    write(client, runtime, "hjælp")
    write(client, runtime, "hjælp igen")
    assert graph.messages == []
    assert [(m.status, m.error_code) for m in outbox(runtime, channel="instagram")] == [("failed", "190")] * 3, (
        "the introduction and two answers; not retried forever"
    )
    with runtime.db.session() as session:
        account = session.scalars(select(ChannelAccount)).one()
        assert (account.channel, account.account_id, account.status) == ("instagram", OPEN_PROFILE, "reconnect")
    told = [note for note in notes(runtime) if "skal forbindes igen" in note]
    assert len(told) == 1 and OPEN_PROFILE in told[0] and META_TOKEN not in told[0]
    graph.reset()  # staff made a new token
    write(client, runtime, "hjælp")
    assert len(graph.messages) == 1, "the answer (the bot's introduction went, and failed, with the first)"
    with runtime.db.session() as session:
        assert session.scalars(select(ChannelAccount.status)).one() == "connected"


def test_which_channel_an_automatic_message_takes():
    now = datetime(2026, 11, 24, 12, 0, tzinfo=CPH)

    def person(last_channel: str, *urns: tuple[str, str, timedelta | None]) -> Contact:
        contact = Contact(language="da", fields={}, last_channel=last_channel)
        contact.urns = [ContactURN(scheme=scheme, path=path, last_inbound_at=None if ago is None else now - ago) for scheme, path, ago in urns]
        return contact

    two_profiles = person("instagram", ("instagram", "111:9", timedelta(hours=1)), ("instagram", "222:8", timedelta(minutes=10)))
    assert reachable_at(two_profiles, now=now) == ("instagram", "222:8"), "the profile written to last"
    assert reachable_at(two_profiles, now=now, account="111") == ("instagram", "111:9"), "the community's own profile"
    two_profiles.urns[0].last_inbound_at = now - timedelta(hours=25)
    assert reachable_at(two_profiles, now=now, account="111") == ("instagram", "222:8"), "its own profile may not write now"
    assert reachable_at(person("instagram", ("instagram", "111:9", timedelta(hours=25)), ("tel", "+4529700001", None)), now=now) == ("sms", "+4529700001")
    assert reachable_at(person("instagram", ("instagram", "111:9", timedelta(hours=25))), now=now) == ("instagram", "111:9"), "held at sending"
    assert reachable_at(person("webchat", ("webchat", "ab12", None), ("tel", "+4529700001", None)), now=now) == ("sms", "+4529700001")
    assert reachable_at(person("webchat", ("webchat", "ab12", None)), now=now) == ("webchat", "ab12"), "its only way: it waits in the chat"
    assert reachable_at(person("sms", ("tel", "+4529700001", None), ("instagram", "111:9", timedelta(hours=1))), now=now) == ("sms", "+4529700001")
    assert reachable_at(two_profiles, "sms") == ("sms", None), "a reply goes back the way the message came, or nowhere"


def test_a_provider_id_given_twice_marks_the_second_send_unknown_with_the_reason(client, runtime, graph):
    write(client, runtime, "hjælp")
    graph.reuse_message_id(1)
    write(client, runtime, "hjælp")
    first, second = outbox(runtime, channel="instagram")[-2:]
    assert first.status == "sent" and first.provider_id
    assert (second.status, second.error_code, second.provider_id) == ("unknown", "duplicate_provider_id", None)
    assert "another message" in second.error_detail
    write(client, runtime, "hjælp")
    assert outbox(runtime, channel="instagram")[-1].status == "sent", "the worker goes on sending"
