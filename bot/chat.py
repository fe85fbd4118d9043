"""``ungebot chat``: be a young person's phone in the terminal.

What you type is received exactly like an SMS (same recording, queue, engine and database) on
the ``terminal`` channel; what the worker sends back is printed as the phone would show it.
"""
from __future__ import annotations

import threading
import time
import uuid

import click
from rq import Worker
from sqlalchemy import func, or_, select

from bot.core import clock
from bot.core.phone import InvalidPhoneNumber, normalise_phone
from bot.domain.cases.identity import keys_for
from bot.domain.contacts.contacts import contact_for
from bot.domain.inbound import receive
from bot.runtime import Runtime
from bot.storage.models import OutboundMessage

POLL_SECONDS = 0.3
SHOWN_STATUSES = ("delivered",)


def _worker_running(runtime: Runtime, wait_seconds: float) -> bool:
    deadline = time.monotonic() + wait_seconds
    while True:
        if Worker.all(connection=runtime.redis):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


def chat_loop(runtime: Runtime, phone: str, wait_for_worker: float = 0) -> int:
    try:
        address = normalise_phone(phone)
    except InvalidPhoneNumber:
        click.echo(f"{phone!r} is not a phone number", err=True)
        return 2
    with runtime.db.session() as session:
        contact_id = contact_for(session, "tel", address, clock.now()).id
        last_seen = session.scalar(select(func.max(OutboundMessage.id))) or 0
    # An anonymous case's answers carry no contact, only the case's keyed hash of this address.
    recipient = or_(OutboundMessage.contact_id == contact_id, OutboundMessage.recipient_key.in_(keys_for(runtime.settings).sender_keys("terminal", address)))
    if not _worker_running(runtime, wait_for_worker):
        click.echo("No worker is running, so nobody will answer: start `ungebot run` in another terminal.", err=True)
    click.echo(f"Du skriver til Ungebot som {address}. Prøv HJÆLP, DEMO eller RÅD. Ctrl-D eller /quit stopper.\n")
    stop = threading.Event()
    printer = threading.Thread(target=_print_replies, args=(runtime, recipient, last_seen, stop), daemon=True)
    printer.start()
    try:
        while True:
            try:
                line = input()
            except EOFError:
                break
            if line.strip() in {"/quit", "/exit"}:
                break
            if line.strip():
                receive(runtime, channel="terminal", scheme="tel", address=address, body=line, provider_id=f"terminal-{uuid.uuid4().hex}")
    except KeyboardInterrupt:
        pass
    stop.set()
    printer.join(timeout=2)
    return 0


def _print_replies(runtime: Runtime, recipient, since: int, stop: threading.Event) -> None:
    shown: set[int] = set()
    while not stop.wait(POLL_SECONDS):
        try:
            with runtime.db.session() as session:
                rows = session.execute(
                    select(OutboundMessage.id, OutboundMessage.body)
                    .where(
                        recipient,
                        OutboundMessage.id > since,
                        OutboundMessage.status.in_(SHOWN_STATUSES),
                    )
                    .order_by(OutboundMessage.id)
                ).all()
        except Exception:  # noqa: BLE001 - a busy database must not end the chat
            continue
        for row in rows:
            if row.id in shown:
                continue
            shown.add(row.id)
            click.echo(click.style("Ungebot: ", fg="cyan", bold=True) + row.body.replace("\n", "\n         ") + "\n")
