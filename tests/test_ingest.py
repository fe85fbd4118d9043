"""Receiving the everyday message cheaply: one statement to PostgreSQL, no ping in steady use, and
still a fresh connection when the pooled one died while idle."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, event, func, select, text

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
