"""NUMMER's edge: text a code to a number, check it, and link the number to the young person.

A number is linked only when the young person typed back the code sent to it, so nobody can make
the bot text someone else's phone more than that one code. The code lives in Redis for 15
minutes, only as a salted hash, and three wrong tries end it.

If the number already belongs to a contact (they texted us before), the two become one: the
number and that contact's memberships and planned check-ins move to the young person writing now,
so reminders reach them however they last wrote. The old contact's history stays where it was.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.core.phone import InvalidPhoneNumber, normalise_phone
from bot.domain.contacts.contacts import address_of
from bot.domain.outbox import add_message
from bot.engine import actions
from bot.engine.texts import system_text
from bot.runtime import Runtime
from bot.storage.models import Contact, ContactURN, Member, MoodPrompt

log = logging.getLogger(__name__)

CODE_LIFETIME = timedelta(minutes=15)
MAX_TRIES = 3


def answer(runtime: Runtime, session: Session, contact: Contact, action, now: datetime, created: list) -> actions.LinkFacts:
    if isinstance(action, actions.SendLinkCode):
        return _send_code(runtime, session, contact, action.number, now, created)
    return _check_code(runtime, session, contact, action.code, now)


def shown(number: str) -> str:
    """Enough of a number to recognise it, not to read it off a screen: +45 20 •• •• 56."""
    return f"{number[:-8]} {number[-8:-6]} •• •• {number[-2:]}" if len(number) > 8 else "••"


def _send_code(runtime, session, contact, raw: str, now, created: list) -> actions.LinkFacts:
    try:
        number = normalise_phone(raw)
    except InvalidPhoneNumber:
        return actions.LinkFacts("invalid")
    if address_of(contact, "tel") == number:
        return actions.LinkFacts("known", shown(number))
    owner = session.scalars(select(Contact).join(ContactURN).where(ContactURN.scheme == "tel", ContactURN.path == number)).first()
    if owner is not None and owner.opted_out_at is not None:
        return actions.LinkFacts("refused", shown(number))
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(8)
    entry = {"number": number, "salt": salt, "hash": _digest(salt, contact.id, code), "tries": 0}
    runtime.redis.set(_key(runtime, contact.id), json.dumps(entry), ex=int(CODE_LIFETIME.total_seconds()))
    body = system_text("link_code_sms", contact.language).replace("{code}", code)
    created.append(add_message(session, contact_id=contact.id, channel="sms", to_address=number, body=body, kind="reply", send_after=now, now=now))
    log.info("contact %s: a code to link a number was sent", contact.id)
    return actions.LinkFacts("sent", shown(number))


def _check_code(runtime, session, contact, typed: str, now) -> actions.LinkFacts:
    key = _key(runtime, contact.id)
    stored = runtime.redis.get(key)
    if stored is None:
        return actions.LinkFacts("expired")
    entry = json.loads(stored)
    if not hmac.compare_digest(_digest(entry["salt"], contact.id, re.sub(r"\D", "", typed)), entry["hash"]):
        entry["tries"] += 1
        if entry["tries"] >= MAX_TRIES:
            runtime.redis.delete(key)
            return actions.LinkFacts("expired")
        runtime.redis.set(key, json.dumps(entry), keepttl=True)
        return actions.LinkFacts("wrong")
    runtime.redis.delete(key)
    link(session, contact, entry["number"], now)
    return actions.LinkFacts("linked", shown(entry["number"]))


def link(session: Session, contact: Contact, number: str, now: datetime) -> None:
    """``number`` is ``contact``'s now; a contact who had it gives it, and what it was a member of, over."""
    urn = session.scalars(select(ContactURN).where(ContactURN.scheme == "tel", ContactURN.path == number)).first()
    if urn is None:
        session.add(ContactURN(contact_id=contact.id, scheme="tel", path=number))
        session.flush()
        session.refresh(contact, ["urns"])
        log.info("contact %s: a number linked", contact.id)
        return
    earlier = urn.contact
    if earlier.id == contact.id:
        return
    urn.contact_id = contact.id
    own = set(session.scalars(select(Member.community).where(Member.contact_id == contact.id)))
    session.execute(
        update(Member).where(Member.contact_id == earlier.id, Member.community.not_in(own) if own else True).values(contact_id=contact.id)
    )
    session.execute(update(MoodPrompt).where(MoodPrompt.contact_id == earlier.id, MoodPrompt.status == "planned").values(contact_id=contact.id))
    contact.name = contact.name or earlier.name
    contact.pronouns = contact.pronouns or earlier.pronouns
    contact.fields = {**(earlier.fields or {}), **(contact.fields or {})}
    session.flush()
    session.refresh(contact, ["urns"])
    log.info("contact %s: a number linked, taken over from contact %s", contact.id, earlier.id)


def _key(runtime: Runtime, contact_id: int) -> str:
    return f"{runtime.queue_prefix}:link:{contact_id}"


def _digest(salt: str, contact_id: int, code: str) -> str:
    return hashlib.sha256(f"{salt}:{contact_id}:{code}".encode()).hexdigest()
