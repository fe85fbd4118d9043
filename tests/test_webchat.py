"""The web chat's API with the real flows, database, Redis and worker: sessions, listing, limits,
the anonymous case, and what is (not) kept about the young person."""
from __future__ import annotations

import hashlib
import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.api.auth import create_token
from bot.core import clock
from bot.domain.cases.identity import keys_for, new_key_set
from bot.jobs import processing
from bot.storage.models import Case, Contact, ContactURN, InboundMessage, OutboundMessage
from bot.web import create_app

from conftest import PUBLIC_BASE_URL
from helpers import database_dump, drain

KOMMUNE = "https://www.kommune.dk"
ADDRESS = "203.0.113.77"
THURSDAY_EVENING = datetime(2026, 11, 26, 17, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))  # counselling is open
HELP_TEXT = "Hej! Jeg er Ungebot, en automatisk besked-service fra dit ungested."
QUESTION = "Jeg kan ikke betale min husleje"
ANSWER = "Det kan vi finde ud af sammen. Har du talt med din udlejer?"


@pytest.fixture
def chat(runtime_factory):
    clock.set_now(THURSDAY_EVENING)
    keys = {name.lower(): value for name, value in new_key_set().items()}
    return runtime_factory(webchat_origins=KOMMUNE, quiet_hours="off", **keys)


def client_at(runtime, ip_address: str):
    client = create_app(runtime).test_client()
    client.environ_base["REMOTE_ADDR"] = ip_address
    return client


@pytest.fixture
def client(chat):
    return client_at(chat, ADDRESS)


def new_session(client) -> dict[str, str]:
    response = client.post("/chat/api/sessions")
    assert response.status_code == 201, response.get_data(as_text=True)
    return {"Authorization": "Bearer " + response.json["token"]}


def write(client, session, text: str, message_id: str | None = None):
    response = client.post("/chat/api/messages", json={"id": message_id or str(uuid.uuid4()), "text": text}, headers=session)
    assert response.status_code == 202, response.get_data(as_text=True)
    return response


class Reader:
    """The browser's side of the listing: it keeps the cursor between polls."""

    def __init__(self, client, session):
        self.client, self.session, self.cursor = client, session, ""

    def new(self) -> list[dict]:
        response = self.client.get("/chat/api/messages", query_string={"after": self.cursor}, headers=self.session)
        assert response.status_code == 200, response.get_data(as_text=True)
        self.cursor = response.json["cursor"]
        return response.json["messages"]

    def said(self) -> list[tuple[str, str]]:
        return [(message["from"], message["text"]) for message in self.new()]


def count(runtime, model) -> int:
    with runtime.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_session_is_a_random_token_and_the_database_keeps_only_its_hash(chat, client):
    tokens = {client.post("/chat/api/sessions").json["token"] for _ in range(3)}
    assert len(tokens) == 3 and all(re.fullmatch(r"[A-Za-z0-9_-]{43}", token) for token in tokens)
    token = tokens.pop()
    session = {"Authorization": f"Bearer {token}"}
    write(client, session, "hjælp")
    drain(chat)

    reader = Reader(client, session)
    messages = reader.new()
    assert [(m["from"], m["text"][: len(HELP_TEXT)]) for m in messages] == [("you", "hjælp"), ("bot", HELP_TEXT)]
    assert all(m["choices"] is None and m["at"].endswith("+01:00") for m in messages)
    assert reader.new() == [], "the cursor returns each message once"
    assert Reader(client, {"Authorization": f"Bearer {tokens.pop()}"}).new() == [], "another session sees nothing of it"
    with chat.db.session() as db:
        (urn,) = db.scalars(select(ContactURN)).all()
        assert (urn.scheme, urn.path) == ("webchat", hashlib.sha256(token.encode()).hexdigest())
        (reply,) = db.scalars(select(OutboundMessage)).all()
        assert (reply.channel, reply.status, reply.provider_id) == ("webchat", "delivered", f"webchat-{reply.id}")
    assert not any(token in values for values in database_dump(chat).values())


def test_the_flows_run_on_the_web_chat_and_their_choices_are_buttons(chat, client):
    session = new_session(client)
    reader = Reader(client, session)
    write(client, session, "demo")
    drain(chat)
    assert reader.said() == [("you", "demo"), ("bot", "Hej! Det her er en prøve. Hvad skal jeg kalde dig?")]

    write(client, session, "Ida")
    drain(chat)
    _you, question = reader.new()
    assert (question["text"], question["choices"]) == ("Tak, Ida. Hvordan går din dag?", ["Godt", "Sådan midt imellem", "Skidt"])

    write(client, session, question["choices"][0])  # the button sends its label
    drain(chat)
    assert reader.said() == [
        ("you", "Godt"),
        ("bot", "Dejligt at høre, Ida!"),
        ("bot", "Det var prøven. Sådan kan jeg spørge og svare. Skriv HJÆLP for at se mere."),
    ]


def test_a_retried_message_is_stored_and_answered_once(chat, client):
    session = new_session(client)
    message_id = str(uuid.uuid4())
    for _ in range(3):
        write(client, session, "hjælp", message_id)
    drain(chat)
    assert count(chat, InboundMessage) == 1 and count(chat, OutboundMessage) == 1
    assert [m["from"] for m in Reader(client, session).new()] == ["you", "bot"]


def test_a_message_that_becomes_visible_after_a_newer_one_is_still_listed(chat, client):
    session = new_session(client)
    reader = Reader(client, session)
    write(client, session, "hjælp")
    write(client, session, "demo")
    with chat.db.session() as db:
        contact_id = db.scalar(select(Contact.id))
    processing.process_contact(contact_id)
    with chat.db.session() as db:
        first, second = db.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).all()
        first.sent_at = None  # as if the first answer were still on its way
    assert [m["text"] for m in reader.new()] == ["hjælp", "demo", "Hej! Det her er en prøve. Hvad skal jeg kalde dig?"]
    with chat.db.session() as db:
        db.get(OutboundMessage, first.id).sent_at = second.sent_at + timedelta(milliseconds=1)
    (late,) = reader.new()
    assert late["text"].startswith(HELP_TEXT)
    drain(chat)
    assert reader.new() == []


def test_without_a_well_formed_session_token_the_api_answers_401(chat, client):
    for authorization in (None, "Bearer", "Bearer ", "Bearer too-short", "Basic " + "a" * 43, "Bearer " + "a" * 42 + "!", "Bearer " + "a" * 44):
        headers = {"Authorization": authorization} if authorization is not None else {}
        for method in ("GET", "POST"):
            response = client.open("/chat/api/messages", method=method, json={"id": str(uuid.uuid4()), "text": "hej"}, headers=headers)
            assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer", (method, authorization)
    assert count(chat, InboundMessage) == 0


def test_a_session_may_write_twenty_messages_and_poll_150_times_a_minute(chat, client):
    session = new_session(client)
    for number in range(20):
        write(client, session, f"besked {number}")
    refused = client.post("/chat/api/messages", json={"id": str(uuid.uuid4()), "text": "en til"}, headers=session)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert count(chat, InboundMessage) == 20
    write(client, new_session(client), "en anden session må gerne")
    for _ in range(150):  # a poll every two seconds, and a few sooner after each message
        assert client.get("/chat/api/messages", headers=session).status_code == 200
    refused = client.get("/chat/api/messages", headers=session)
    assert refused.status_code == 429 and "Retry-After" in refused.headers


def test_one_address_may_make_sixty_requests_a_minute_and_its_key_holds_no_address(chat, client, redis_connection):
    for _ in range(60):
        new_session(client)
    refused = client.post("/chat/api/sessions")
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    elsewhere = client_at(chat, "198.51.100.9")
    assert elsewhere.post("/chat/api/sessions").status_code == 201
    keys = [key.decode() for key in redis_connection.scan_iter(f"{chat.queue_prefix}:limit:webchat-*")]
    assert len(keys) == 2 and not any(ADDRESS in key or "198.51.100.9" in key for key in keys)
    assert all(0 < redis_connection.ttl(key) <= 65 for key in keys)


def test_behind_our_proxy_each_young_person_counts_alone_and_nobody_else_can_claim_an_address(chat):
    proxy, internet = client_at(chat, "10.0.0.5"), client_at(chat, ADDRESS)
    for _ in range(60):
        assert proxy.post("/chat/api/sessions", headers={"X-Forwarded-For": "192.0.2.1, 198.51.100.7"}).status_code == 201
    assert proxy.post("/chat/api/sessions", headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 429
    assert proxy.post("/chat/api/sessions", headers={"X-Forwarded-For": "198.51.100.8"}).status_code == 201
    for number in range(60):
        assert internet.post("/chat/api/sessions", headers={"X-Forwarded-For": f"198.51.100.{number}"}).status_code == 201
    assert internet.post("/chat/api/sessions", headers={"X-Forwarded-For": "192.0.2.200"}).status_code == 429


def test_what_a_message_may_be(chat, client):
    session = new_session(client)
    cases = [
        ({"text": "x" * 1000}, 202),
        ({"text": "æ" * 1000}, 202),
        ({"text": "x" * 1001}, 413),
        ({"text": ""}, 400),
        ({"text": "   "}, 400),
        ({"text": 42}, 400),
        ({"text": "null\x00byte"}, 400),
        ({"text": "hej", "id": "short"}, 400),
        ({"text": "hej", "id": "<script>alert(1)</script>"}, 400),
        ({"text": "hej", "id": None}, 400),
        (["hej"], 400),
    ]
    for body, status in cases:
        if isinstance(body, dict):
            body = {"id": str(uuid.uuid4()), **body}
        response = client.post("/chat/api/messages", json=body, headers=session)
        assert response.status_code == status, (body, response.get_data(as_text=True))
    large = client.post("/chat/api/messages", data=b"{" + b" " * 20_000 + b"}", headers={**session, "Content-Type": "application/json"})
    assert large.status_code == 413, "refused before it is read"
    form = client.post("/chat/api/messages", data={"id": str(uuid.uuid4()), "text": "hej"}, headers=session)
    assert form.status_code == 415
    assert client.get("/chat/api/messages", query_string={"after": "not a cursor"}, headers=session).status_code == 400
    assert count(chat, InboundMessage) == 2


def test_requests_from_other_sites_are_refused(chat, client):
    session = new_session(client)
    # The test client's own host is http://localhost.
    for origin in (None, KOMMUNE, PUBLIC_BASE_URL, "http://localhost"):
        headers = {"Origin": origin} if origin else {}
        assert client.post("/chat/api/sessions", headers=headers).status_code == 201
        write(client, {**session, **headers}, "hjælp")
    for origin in ("https://evil.example", "https://www.kommune.dk.evil.example", "http://localhost:8080", "null"):
        headers = {**session, "Origin": origin}
        assert client.post("/chat/api/sessions", headers=headers).status_code == 403
        posted = client.post("/chat/api/messages", json={"id": str(uuid.uuid4()), "text": "hjælp"}, headers=headers)
        assert posted.status_code == 403 and client.get("/chat/api/messages", headers=headers).status_code == 403
    assert count(chat, InboundMessage) == 4


def test_the_page_runs_under_a_strict_policy_and_greets_as_a_bot_in_danish_and_the_files_are_what_they_say(chat, client):
    response = client.get("/chat")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        f"frame-ancestors 'self' {KOMMUNE}; base-uri 'none'; form-action 'self'"
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    html = response.get_data(as_text=True)
    assert '<html lang="da">' in html
    assert "Hej! Jeg er Ungebot, en chatbot – ikke et menneske." in html
    assert "Forlad siden" in html and 'data-exit-url="https://www.dr.dk"' in html
    assert re.search(r'data-word="RÅD"[^>]*>Spørg anonymt<', html)
    assert re.search(r'<label for="text">[^<]+</label>', html) and 'role="log"' in html and 'aria-live="polite"' in html
    assert not re.search(r"<style|\sstyle=|\son[a-z]+=|javascript:", html, re.IGNORECASE), "nothing inline"
    assert all('src="/chat/static/' in tag for tag in re.findall(r"<script[^>]*>", html))

    english = client.get("/chat?lang=en&embed=1").get_data(as_text=True)
    assert '<html lang="en">' in english and 'class="embedded"' in english
    assert "Ungebot, a chatbot – not a human." in english and re.search(r'data-word="ADVICE"[^>]*>Ask anonymously<', english)

    widget = client.get("/chat/widget.js")
    assert widget.status_code == 200 and widget.mimetype == "text/javascript"
    assert widget.headers["X-Content-Type-Options"] == "nosniff" and b"/chat?embed=1" in widget.data
    for name, mimetype in (("chat.js", "text/javascript"), ("chat.css", "text/css")):
        response = client.get(f"/chat/static/{name}")
        assert response.status_code == 200 and response.mimetype == mimetype


def test_an_anonymous_case_on_the_web_chat_with_a_counsellors_reply(chat, client):
    session = new_session(client)
    address = hashlib.sha256(session["Authorization"].split()[1].encode()).hexdigest()
    reader = Reader(client, session)
    write(client, session, "RÅD")
    drain(chat)
    opened = reader.new()
    assert next((m["from"], m["text"]) for m in opened) == ("you", "RÅD")
    assert "Du skriver nu anonymt med en rådgiver" in opened[1]["text"]
    assert (opened[-1]["text"], opened[-1]["choices"]) == ("Haster det?", ["Ja", "Nej"])
    write(client, session, "Nej")
    write(client, session, QUESTION)
    drain(chat)
    assert [said for said in reader.said() if said[0] == "you"] == [("you", "Nej"), ("you", QUESTION)]
    assert count(chat, Contact) == 0 and count(chat, InboundMessage) == 0, "a case leaves nothing outside its tables"

    api = create_app(chat).test_client()
    with chat.db.session() as db:
        counsellor = {"Authorization": "Bearer " + create_token(db, name="sofie", role="counsellor", now=clock.now())}
    (case,) = api.get("/api/cases", headers=counsellor).json["cases"]
    assert api.post(f"/api/cases/{case['alias']}/reply", json={"text": ANSWER}, headers=counsellor).status_code == 201
    drain(chat)
    assert reader.said() == [("bot", f"Rådgiver: {ANSWER}")]
    with chat.db.session() as db:
        reply = db.scalars(select(OutboundMessage).where(OutboundMessage.body == f"Rådgiver: {ANSWER}")).one()
        assert reply.contact_id is None and reply.to_address is None and reply.sealed_to
        assert reply.recipient_key == keys_for(chat.settings).sender_key("webchat", address)
        assert (reply.channel, reply.status, reply.case_id) == ("webchat", "delivered", db.scalar(select(Case.id)))

    closing = {"reason": "Svaret", "topic": "housing"}
    assert api.post(f"/api/cases/{case['alias']}/close", json=closing, headers=counsellor).status_code == 200
    drain(chat)
    ((sender, text),) = reader.said()
    assert sender == "bot" and "Nu skriver du med botten igen." in text, "the bot says it is the bot again"


def test_no_ip_address_is_kept_anywhere_after_a_conversation(chat, client, captured_logs):
    session = new_session(client)
    for text in ("hjælp", "demo", "Ida", "Skidt", "nej", "RÅD", "Ja", QUESTION):
        write(client, session, text)
    drain(chat)
    assert len(Reader(client, session).new()) > 10
    dump = database_dump(chat)
    assert dump["contact_urns"] and dump["case_messages"], "the conversation is there"
    for table, values in dump.items():
        assert ADDRESS not in values, f"the IP address is in {table}"
    assert ADDRESS not in captured_logs()
