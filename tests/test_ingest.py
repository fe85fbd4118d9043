"""Receiving the everyday message cheaply: one statement to PostgreSQL, no ping in steady use, and
still a fresh connection when the pooled one died while idle."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, event, func, select, text

from bot.core import clock
from bot.domain.inbound import receive
from bot.storage import db
from bot.storage.models import Contact, ContactURN, InboundMessage

from conftest import SERVER_DATABASE

PHONE = "+4520555801"


@pytest.fixture
def statements(runtime):
    seen: list[str] = []

    def note(_connection, _cursor, statement, *_args):
        seen.append(statement.split(None, 1)[0].upper())

    engines = [runtime.db.engine] if runtime.db.is_sqlite else [runtime.db.engine, runtime.db.autocommit_engine]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", note)
    yield seen
    for engine in engines:
        event.remove(engine, "before_cursor_execute", note)


def sms(runtime, body: str, sid: str, phone: str = PHONE):
    return receive(runtime, channel="sms", scheme="tel", address=phone, body=body, provider_id=sid)


@pytest.mark.parametrize("database_url", [SERVER_DATABASE], indirect=True)
def test_a_message_from_someone_known_is_one_statement(runtime, statements):
    first = sms(runtime, "hej", "SM" + "1" * 32)
    statements.clear()
    second = sms(runtime, "kommer lidt senere", "SM" + "2" * 32)
    if not runtime.db.is_sqlite:
        assert statements == ["WITH"], "stored, the contact and the address touched, in one round trip"
    assert (second.contact_id, second.duplicate) == (first.contact_id, False)
    with runtime.db.session() as session:
        contact = session.get(Contact, second.contact_id)
        urn = session.scalars(select(ContactURN).where(ContactURN.path == PHONE)).one()
        stored = session.get(InboundMessage, second.message_id)
        assert contact.last_inbound_at == urn.last_inbound_at == stored.received_at
        assert (contact.last_channel, stored.body, stored.attachments) == ("sms", "kommer lidt senere", None)


@pytest.mark.parametrize("database_url", [SERVER_DATABASE], indirect=True)
def test_the_one_statement_stores_media_and_the_time_as_the_orm_would(runtime, statements):
    """The statement runs as the driver's SQL: its values must still pass through their types."""
    sms(runtime, "hej", "SM" + "5" * 32)
    clock.set_now(datetime(2026, 3, 5, 17, 30, tzinfo=ZoneInfo("Europe/Copenhagen")))
    media = [{"type": "image", "content_type": "image/jpeg", "url": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"}]
    statements.clear()
    stored = receive(runtime, channel="sms", scheme="tel", address=PHONE, body="", provider_id="MM" + "6" * 32, attachments=media)
    if not runtime.db.is_sqlite:
        assert statements == ["WITH"]
    with runtime.db.session() as session:
        message = session.get(InboundMessage, stored.message_id)
        assert (message.body, message.attachments) == ("[billede]", media)
        assert message.received_at.replace(microsecond=0) == datetime(2026, 3, 5, 16, 30, tzinfo=UTC)
        assert session.get(Contact, stored.contact_id).last_inbound_at == message.received_at


def test_a_first_message_a_retry_and_a_new_sender_take_the_careful_way(runtime):
    first = sms(runtime, "hej", "SM" + "3" * 32)
    again = sms(runtime, "hej", "SM" + "3" * 32)
    other = sms(runtime, "hej", "SM" + "4" * 32, phone="+4520555802")
    assert not first.duplicate and again.duplicate and again.contact_id == first.contact_id
    assert other.contact_id != first.contact_id
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 2


@pytest.mark.parametrize("database_url", [SERVER_DATABASE], indirect=True)
def test_a_pooled_connection_that_died_while_idle_is_replaced_before_use(runtime, monkeypatch):
    if runtime.db.is_sqlite:
        pytest.skip("a server connection: PostgreSQL")
    monkeypatch.setattr(db, "IDLE_BEFORE_PING_SECONDS", 0.0)
    storing = runtime.db.autocommit_engine  # where the everyday message is stored
    with storing.connect() as connection:
        backend = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    admin = create_engine(runtime.settings.sqlalchemy_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend}).scalar()
    admin.dispose()
    sms(runtime, "hej", "SM" + "5" * 32)  # a first message takes the careful way; the next is one statement
    assert sms(runtime, "hej igen", "SM" + "6" * 32).message_id is not None
    with storing.connect() as connection:
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar() != backend
