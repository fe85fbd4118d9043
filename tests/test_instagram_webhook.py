"""Instagram's webhook: Meta's handshake, its signature over the raw bytes, and its batched
payload shapes (several entries, several messaging items; text, quick replies, attachments,
echoes, reads, unsent messages), each message recorded once and answered on Instagram."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bot.storage.models import Case, CaseMessage, Contact, ContactURN, InboundMessage
from bot.web import create_app

from helpers import drain, outbox
from support.instagram import APP_SECRET, COUNSELLING_PROFILE, OPEN_PROFILE, YOUNG_PERSON, entry, event, post, signed, text

VERIFY_TOKEN = "ungebot-verify-token"


@pytest.fixture
def runtime(runtime_factory, instagram_flows_dir):
    runtime = runtime_factory(flows_dir=instagram_flows_dir, meta_app_secret=APP_SECRET, meta_verify_token=VERIFY_TOKEN, quiet_hours="off")
    flows = runtime.flows.current()
    assert (flows.instagram_owner(OPEN_PROFILE), flows.instagram_owner(COUNSELLING_PROFILE)) == ("onsdag", "counselling"), runtime.flows.last_result.problems
    return runtime


@pytest.fixture
def client(runtime):
    return create_app(runtime).test_client()


def stored(runtime) -> list[InboundMessage]:
    with runtime.db.session() as session:
        found = list(session.scalars(select(InboundMessage).order_by(InboundMessage.id)))
        session.expunge_all()
        return found


# -- the handshake --------------------------------------------------------------------------------


def test_the_subscription_handshake_echoes_the_challenge_only_for_our_token(client):
    ok = client.get(f"/webhooks/instagram?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444")
    assert (ok.status_code, ok.get_data(as_text=True)) == (200, "1158201444")
    assert client.get("/webhooks/instagram?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1").status_code == 403
    assert client.get("/webhooks/instagram?hub.mode=unsubscribe&hub.verify_token=" + VERIFY_TOKEN + "&hub.challenge=1").status_code == 403
    assert client.get("/webhooks/instagram").status_code == 403


# -- signatures -----------------------------------------------------------------------------------


def test_unsigned_forged_or_reserialised_requests_are_refused_and_nothing_is_stored(client, runtime):
    payload = event(entry(OPEN_PROFILE, text("mid.1", "Hej, kan I hjælpe? æøå 💜")))
    raw, headers = signed(payload)
    assert client.post("/webhooks/instagram", data=raw, headers={"Content-Type": "application/json"}).status_code == 403
    assert post(client, payload, secret="someone-else").status_code == 403
    # Signed over the JSON as Python would write it (æøå as UTF-8), sent as Meta writes it: no match.
    resigned = signed(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())[1]
    assert client.post("/webhooks/instagram", data=raw, headers=resigned).status_code == 403
    tampered = raw.replace(b"Hej", b"Hey")
    assert client.post("/webhooks/instagram", data=tampered, headers=headers).status_code == 403
    assert stored(runtime) == []
    assert client.post("/webhooks/instagram", data=raw, headers=headers).status_code == 200
    (message,) = stored(runtime)
    assert message.body == "Hej, kan I hjælpe? æøå 💜", "the raw bytes, escapes and all, are what was signed"


def test_without_an_app_secret_every_event_is_refused(runtime_factory, instagram_flows_dir):
    runtime = runtime_factory(flows_dir=instagram_flows_dir, meta_app_secret="")
    client = create_app(runtime).test_client()
    assert post(client, event(entry(OPEN_PROFILE, text("mid.1", "hej")))).status_code == 403
    assert stored(runtime) == []


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[]",
        json.dumps({"object": "page", "entry": []}).encode(),
        json.dumps({"object": "instagram", "entry": {"id": OPEN_PROFILE}}).encode(),
        json.dumps({"object": "instagram", "entry": [{"messaging": []}]}).encode(),
        json.dumps({"object": "instagram", "entry": [{"id": OPEN_PROFILE, "messaging": {}}]}).encode(),
        json.dumps(event(entry(OPEN_PROFILE, text("mid.1", "hej")), {"id": "not-an-id", "messaging": []})).encode(),
    ],
)
def test_malformed_events_get_400_and_nothing_of_them_is_stored(client, runtime, raw):
    response = post(client, raw)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert stored(runtime) == []


# -- payload shapes -------------------------------------------------------------------------------


def test_a_batch_of_entries_and_items_becomes_one_message_each_and_echoes_and_reads_are_skipped(client, runtime):
    other = "1111222233334444"
    payload = event(
        entry(
            OPEN_PROFILE,
            text("mid.a", "HJÆLP"),
            text("mid.echo", "Hej! Jeg er Ungebot.", sender=OPEN_PROFILE, account=YOUNG_PERSON, is_echo=True),
            {"sender": {"id": YOUNG_PERSON}, "recipient": {"id": OPEN_PROFILE}, "timestamp": 1, "read": {"mid": "mid.echo"}},
        ),
        entry(
            OPEN_PROFILE,
            {"sender": {"id": other}, "recipient": {"id": OPEN_PROFILE}, "timestamp": 2,
             "message": {"mid": "mid.b", "attachments": [{"type": "image", "payload": {"url": "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1"}}]}},
            {"sender": {"id": other}, "recipient": {"id": OPEN_PROFILE}, "timestamp": 3,
             "message": {"mid": "mid.c", "text": "Ja tak", "quick_reply": {"payload": "Ja tak, gerne"}}},
        ),
    )
    assert post(client, payload).status_code == 200
    messages = stored(runtime)
    assert [(m.provider_id, m.body) for m in messages] == [("mid.a", "HJÆLP"), ("mid.b", "[billede]"), ("mid.c", "Ja tak, gerne")]
    assert messages[1].attachments == [{"type": "image", "url": "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1"}]
    assert {m.channel for m in messages} == {"instagram"} and {m.to_address for m in messages} == {OPEN_PROFILE}
    with runtime.db.session() as session:
        paths = set(session.scalars(select(ContactURN.path).where(ContactURN.scheme == "instagram")))
        assert paths == {f"{OPEN_PROFILE}:{YOUNG_PERSON}", f"{OPEN_PROFILE}:{other}"}, "an Instagram id is scoped to the account it wrote to"
        assert all(session.scalars(select(ContactURN.last_inbound_at).where(ContactURN.scheme == "instagram")))


def test_meta_delivering_the_same_mid_twice_is_processed_once(client, runtime):
    payload = event(entry(OPEN_PROFILE, text("mid.same", "HJÆLP")))
    assert post(client, payload).status_code == 200
    assert post(client, payload).status_code == 200
    drain(runtime)
    assert len(stored(runtime)) == 1
    answers = outbox(runtime, channel="instagram")
    assert len(answers) == 2, "the bot says it is a bot, then answers: once"
    assert answers[0].body.startswith("Hej! Jeg er Ungebot, en chatbot") and {a.to_address for a in answers} == {f"{OPEN_PROFILE}:{YOUNG_PERSON}"}


def test_an_unsent_message_leaves_our_database_too(client, runtime):
    assert post(client, event(entry(OPEN_PROFILE, text("mid.oops", "mit fulde navn er ...")))).status_code == 200
    assert post(client, event(entry(OPEN_PROFILE, text("mid.oops", "", is_deleted=True)))).status_code == 200
    (message,) = stored(runtime)
    assert message.body == "" and message.provider_id == "mid.oops"


def test_items_without_a_sender_or_mid_are_skipped_and_the_rest_recorded(client, runtime):
    payload = event(entry(
        OPEN_PROFILE,
        {"sender": {}, "recipient": {"id": OPEN_PROFILE}, "message": {"mid": "mid.x", "text": "hej"}},
        {"sender": {"id": YOUNG_PERSON}, "recipient": {"id": OPEN_PROFILE}, "message": {"text": "hej"}},
        "not an item",
        {"sender": {"id": YOUNG_PERSON}, "recipient": {"id": OPEN_PROFILE}, "message": {"mid": "mid.y", "text": 42, "attachments": 5}},
        {"sender": {"id": YOUNG_PERSON}, "recipient": {"id": OPEN_PROFILE}, "message": {"mid": "mid.z", "quick_reply": {"payload": ["x"]}}},
        text("mid.ok", "hej"),
    ))
    assert post(client, payload).status_code == 200
    assert [m.provider_id for m in stored(runtime)] == ["mid.ok"]


def test_a_question_on_instagram_keeps_its_choices_beside_the_text(client, runtime):
    assert post(client, event(entry(OPEN_PROFILE, text("mid.1", "RÅD")))).status_code == 200
    drain(runtime)
    question = outbox(runtime, channel="instagram")[-1]
    assert (question.body, question.choices) == ("Haster det?", ["Ja", "Nej"]), "quick replies, not a numbered list"


# -- the counselling service's own profile ---------------------------------------------------------


def test_everything_written_to_the_counselling_profile_is_an_anonymous_case(client, runtime):
    assert post(client, event(entry(COUNSELLING_PROFILE, text("mid.c1", "Jeg har et spørgsmål om min far", account=COUNSELLING_PROFILE)))).status_code == 200
    assert post(client, event(entry(COUNSELLING_PROFILE, text("mid.c2", "STOP", account=COUNSELLING_PROFILE)))).status_code == 200
    with runtime.db.session() as session:
        (case,) = session.scalars(select(Case)).all()
        assert case.channel == "instagram"
        assert [m.body for m in session.scalars(select(CaseMessage).order_by(CaseMessage.id))] == ["Jeg har et spørgsmål om min far", "STOP"]
        assert session.scalar(select(func.count()).select_from(Contact)) == 0, "no contact, so no readable Instagram id"
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0
    dump = "\n".join(str(row) for row in _all_rows(runtime))
    assert YOUNG_PERSON not in dump


def _all_rows(runtime):
    from bot.storage.models import Base

    with runtime.db.session() as session:
        for table in Base.metadata.sorted_tables:
            yield from session.execute(select(table)).all()


def test_the_ice_breaker_ask_anonymously_opens_a_case(client, runtime):
    tapped = {"sender": {"id": YOUNG_PERSON}, "recipient": {"id": OPEN_PROFILE}, "timestamp": 1,
              "postback": {"mid": "mid.pb1", "title": "Spørg anonymt", "payload": "RÅD"}}
    assert post(client, event(entry(OPEN_PROFILE, tapped))).status_code == 200
    assert post(client, event(entry(OPEN_PROFILE, tapped))).status_code == 200, "Meta may deliver it twice"
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1
        assert session.scalar(select(func.count()).select_from(Contact)) == 0


def test_rad_opens_a_case_from_the_open_profile_too_without_a_contact(client, runtime):
    assert post(client, event(entry(OPEN_PROFILE, text("mid.o1", "RÅD", account=OPEN_PROFILE)))).status_code == 200
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1, "RÅD opens a case from any account"
        assert session.scalar(select(func.count()).select_from(Contact)) == 0


def test_a_nul_character_in_a_text_or_an_attachment_is_dropped_and_the_message_kept(client, runtime):
    picture = {"type": "image", "payload": {"url": "https://lookaside.example/pic\u0000.jpg"}}
    assert post(client, event(entry(OPEN_PROFILE, text("mid.n1", "hj\u0000ælp")))).status_code == 200
    assert post(client, event(entry(OPEN_PROFILE, text("mid.n2", "se her\u0000", attachments=[picture])))).status_code == 200
    assert post(client, event(entry(COUNSELLING_PROFILE, text("mid.n3", "et spørgsmål\u0000", account=COUNSELLING_PROFILE)))).status_code == 200
    rows = "\n".join(str(row) for row in _all_rows(runtime))
    assert "\x00" not in rows
    assert [m.body for m in stored(runtime)] == ["hjælp", "se her"]
