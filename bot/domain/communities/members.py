"""Members of communities: adding, changing, listing and leaving, for the API, CSV import and SMS.

Whoever adds a member records their consent at that moment, and the member is active (gets
reminders) at once: a young person who joins by SMS has just said yes; staff, through the API
or a CSV import, must have the young person's consent before they add them. Nobody is ever
deleted; leaving sets the status to "left" and keeps the row, so a member who comes back keeps
their history.

A young person is one contact (their phone number) and can be a member of several communities.
Callers check that the community exists (``known_communities``); the service does not need the
flows to do its work.
"""
from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.phone import InvalidPhoneNumber, normalise_phone
from bot.domain.contacts.contacts import contact_for
from bot.storage.models import Booking, Contact, ContactURN, Member, Reminder

LANGUAGES = ("da", "en")
SOURCES = ("api", "import", "sms", "instagram", "webchat", "terminal")
NAME_MAX = 100
EMAIL_MAX = 200
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
CLOCK = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")

UPDATABLE_FIELDS = frozenset(
    {
        "name",
        "language",
        "reminder_time",
        "contact_person_name",
        "contact_person_phone",
        "contact_person_email",
        "contact_person_consent",
        "pronouns",
        "last_activity",
    }
)
PRONOUNS_MAX = 40
LAST_ACTIVITY_MAX = 200


class MemberError(ValueError):
    """Something about a member's data that the person who typed it can fix."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def known_communities(runtime) -> dict[str, Any]:
    """Slug -> community, from the community files next to the flows."""
    return runtime.flows.current().communities


def parse_reminder_time(text: str) -> time:
    match = CLOCK.match(text.strip())
    if not match:
        raise MemberError("reminder_time", "write the time as HH:MM, e.g. 17:30")
    return time(int(match.group(1)), int(match.group(2)))


def find_member(session: Session, *, community: str, phone: str) -> Member | None:
    try:
        address = normalise_phone(phone)
    except InvalidPhoneNumber:
        return None
    return session.scalars(
        select(Member)
        .join(ContactURN, ContactURN.contact_id == Member.contact_id)
        .where(ContactURN.scheme == "tel", ContactURN.path == address, Member.community == community)
    ).first()


def add_member(
    session: Session,
    *,
    community: str,
    phone: str,
    name: str | None = None,
    language: str | None = None,
    reminder_time: time | None = None,
    contact_person_name: str | None = None,
    contact_person_phone: str | None = None,
    contact_person_email: str | None = None,
    contact_person_consent: bool | None = None,
    pronouns: str | None = None,
    last_activity: str | None = None,
    source: str,
    now: datetime,
) -> Member:
    """Add the person with ``phone`` to ``community``, or update them if they are a member already.

    Arguments left as None are "not given": a new member gets no value (language: Danish) and an
    existing member keeps theirs. Clearing a value is ``update_member``'s job. A member who had
    left or declined is active again, with consent recorded anew.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown member source {source!r}")
    changes = {
        field: value
        for field, value in dict(
            name=name,
            language=language,
            reminder_time=reminder_time,
            contact_person_name=contact_person_name,
            contact_person_phone=contact_person_phone,
            contact_person_email=contact_person_email,
            contact_person_consent=contact_person_consent,
            pronouns=pronouns,
            last_activity=last_activity,
        ).items()
        if value is not None
    }
    # Check everything before the contact is created, so a bad row leaves nothing behind.
    cleaned = _cleaned(changes)
    contact = contact_for(session, "tel", _phone("phone", phone), now)
    member = join(session, contact, community, source=source, now=now)
    _apply(member, cleaned, now)
    return member


def join(session: Session, contact: Contact, community: str, *, source: str, now: datetime) -> Member:
    """``contact`` said yes to ``community`` (by keyword on any channel, or staff added them):
    an active member, with consent recorded now if they were not one."""
    if source not in SOURCES:
        raise ValueError(f"unknown member source {source!r}")
    member = _membership(session, contact.id, community) or _new_membership(session, contact.id, community, source, now)
    if member.status != "active":
        member.status, member.consent_at, member.left_at = "active", now, None
    return member


def update_member(session: Session, member: Member, *, now: datetime, **changes: Any) -> Member:
    """Change the given fields; None clears a field (name, reminder time, contact person)."""
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise TypeError(f"fields that cannot be updated: {', '.join(sorted(unknown))}")
    for required in ("language", "contact_person_consent"):
        if required in changes and changes[required] is None:
            raise MemberError(required, "cannot be empty")
    _apply(member, _cleaned(changes), now)
    session.flush()
    return member


def list_members(session: Session, community: str) -> list[Member]:
    """The community's members, in the order they joined; those who left are not listed."""
    return list(
        session.scalars(
            select(Member).where(Member.community == community, Member.status != "left").order_by(Member.id)
        )
    )


def leave(session: Session, member: Member, now: datetime) -> Member:
    """The member leaves the community: no more reminders from it. The row stays."""
    if member.status != "left":
        member.status = "left"
        member.left_at = now
    session.execute(
        update(Reminder)
        .where(Reminder.member_id == member.id, Reminder.status == "planned")
        .values(status="cancelled", updated_at=now)
    )
    # Booked times (the gym) are freed for others; their reminders were cancelled above.
    session.execute(
        update(Booking)
        .where(Booking.member_id == member.id, Booking.status == "booked", Booking.starts_at > now)
        .values(status="cancelled", cancelled_at=now, cancelled_by="left")
    )
    session.flush()
    return member


def phone_of(member: Member) -> str | None:
    return next((urn.path for urn in member.contact.urns if urn.scheme == "tel"), None)


def _membership(session: Session, contact_id: int, community: str) -> Member | None:
    return session.scalars(
        select(Member).where(Member.contact_id == contact_id, Member.community == community)
    ).first()


def _new_membership(session: Session, contact_id: int, community: str, source: str, now: datetime) -> Member:
    try:
        with session.begin_nested():
            member = Member(contact_id=contact_id, community=community, source=source, joined_at=now, status="active", consent_at=now)
            session.add(member)
            session.flush()
            return member
    except IntegrityError:
        # The same person was added to the same community by another request just now.
        return _membership(session, contact_id, community)


def _cleaned(changes: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(changes)
    for field, limit in (("name", NAME_MAX), ("contact_person_name", NAME_MAX), ("pronouns", PRONOUNS_MAX), ("last_activity", LAST_ACTIVITY_MAX)):
        if field in cleaned:
            cleaned[field] = _text(field, cleaned[field], limit)
    if cleaned.get("language") is not None and cleaned["language"] not in LANGUAGES:
        raise MemberError("language", f"must be one of {', '.join(LANGUAGES)} (Danish, English)")
    if "contact_person_phone" in cleaned:
        raw = cleaned["contact_person_phone"]
        cleaned["contact_person_phone"] = _phone("contact_person_phone", raw) if raw and raw.strip() else None
    if "contact_person_email" in cleaned:
        email = _text("contact_person_email", cleaned["contact_person_email"], EMAIL_MAX)
        if email is not None and not EMAIL.match(email):
            raise MemberError("contact_person_email", "not an email address; write it like navn@kommune.dk")
        cleaned["contact_person_email"] = email
    return cleaned


def _apply(member: Member, changes: dict[str, Any], now: datetime) -> None:
    contact = member.contact
    for field, value in changes.items():
        if field == "name":
            contact.name = value
        elif field == "language":
            contact.language = value
        elif field == "pronouns":
            # Chosen by the young person, optional, never asked for by the bot.
            contact.pronouns = value
        elif field == "contact_person_consent":
            # Keep the date consent was first given; saying it again does not move it.
            if not value:
                member.contact_person_consent_at = None
            elif member.contact_person_consent_at is None:
                member.contact_person_consent_at = now
        else:
            setattr(member, field, value)


def _text(field: str, value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    if len(value) > limit:
        raise MemberError(field, f"too long (at most {limit} characters)")
    return value or None


def _phone(field: str, raw: str) -> str:
    if not raw or not raw.strip():
        raise MemberError(field, "a phone number is needed")
    try:
        return normalise_phone(raw)
    except InvalidPhoneNumber:
        raise MemberError(field, "not a phone number; write it like 20 12 34 56 or +45 20 12 34 56") from None
