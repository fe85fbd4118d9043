"""Members of communities: adding, changing, listing, leaving and forgetting, for the API, the
console, CSV import and SMS.

Whoever adds a member records their consent at that moment, and the member is active (gets
reminders) at once: a young person who joins by SMS has just said yes; staff, through the API,
the console or a CSV import, must have the young person's consent before they add them. Leaving
sets the status to "left" and keeps the row, so a member who comes back keeps their history.
Only ``forget`` deletes: when the young person asks for their data to go (staff remove them in
the console), it is deleted at once, as SLET deletes an anonymous case.

A young person is one contact (their phone number) and can be a member of several communities.
Callers check that the community exists (``known_communities``); the service does not need the
flows to do its work.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from sqlalchemy import delete, func, select, union, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.phone import InvalidPhoneNumber, normalise_phone
from bot.domain.contacts.contacts import contact_for
from bot.storage.models import Attendance, Booking, Contact, ContactURN, Event, InboundMessage, Member, MoodPrompt, OutboundMessage, Reminder

LANGUAGES = ("da", "en")
SOURCES = ("api", "console", "import", "sms", "instagram", "webchat", "terminal")
NAME_MAX = 100
EMAIL_MAX = 200
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
CLOCK = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")
# What a search for the end of a phone number looks like: "3456", "34 56", "+45 20".
PHONE_ENDING = re.compile(r"^[+\d][\d ]*$")

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
    """Something about a member's data that the person who typed it can fix.

    ``message`` is the API's words; ``code`` names the problem, so the console and a CSV import
    report can say it in the reader's language (``limit``: the most characters, for "too_long").
    """

    def __init__(self, field: str, message: str, code: str, *, limit: int | None = None):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.code = code
        self.limit = limit


def known_communities(runtime) -> dict[str, Any]:
    """Slug -> community, from the community files next to the flows."""
    return runtime.flows.current().communities


def parse_reminder_time(text: str) -> time:
    match = CLOCK.match(text.strip())
    if not match:
        raise MemberError("reminder_time", "write the time as HH:MM, e.g. 17:30", "time")
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
            raise MemberError(required, "cannot be empty", "empty")
    _apply(member, _cleaned(changes), now)
    session.flush()
    return member


def communities_of(session: Session, contact_id: int) -> list[str]:
    """The communities a contact is an active member of, by name."""
    return list(
        session.scalars(select(Member.community).where(Member.contact_id == contact_id, Member.status == "active").order_by(Member.community))
    )


def list_members(session: Session, community: str) -> list[Member]:
    """The community's members, in the order they joined; those who left are not listed."""
    return list(
        session.scalars(
            select(Member).where(Member.community == community, Member.status != "left").order_by(Member.id)
        )
    )


def search_members(session: Session, community: str, query: str = "") -> list[Member]:
    """The community's members, those who left too, whose name holds ``query`` or, when it is
    digits, whose phone number ends with them; the active first, then by name.

    Names are compared in Python: SQLite's ``lower()`` knows no Æ, Ø or Å, and a community's
    members are hundreds at most.
    """
    everyone = session.scalars(select(Member).where(Member.community == community)).all()
    wanted = " ".join(query.split()).casefold()
    if wanted and PHONE_ENDING.match(wanted):
        digits = re.sub(r"\D", "", wanted)
        found = [member for member in everyone if (phone_of(member) or "").endswith(digits)]
    else:
        found = [member for member in everyone if wanted in (member.contact.name or "").casefold()]
    return sorted(found, key=lambda member: (member.status == "left", (member.contact.name or "").casefold(), member.id))


def form_problems(values: dict[str, Any]) -> list[MemberError]:
    """Every problem with ``values`` (``add_member``'s fields, ``phone`` among them), not only the
    first: a form shows them all at once, each by its field."""
    problems = []
    for field, value in values.items():
        try:
            if field == "phone":
                _phone(field, value)
            else:
                _cleaned({field: value})
        except MemberError as error:
            problems.append(error)
    return problems


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


@dataclass(frozen=True)
class Forgetting:
    """What removing a member deletes: the membership with its replies, attendance, bookings,
    reminders and the mood answers given through it; and when it is the young person's only
    membership, the young person too (name, numbers, every message, conversation and answer)."""

    community: str
    attendance: int
    bookings: int
    mood_answers: int
    messages: int  # to and from the young person; deleted only with the whole young person
    other_communities: tuple[str, ...]  # where they stay a member, with their name and number

    @property
    def whole_person(self) -> bool:
        return not self.other_communities


def forgetting(session: Session, member: Member) -> Forgetting:
    """What ``forget`` would delete, for the person who confirms it."""
    others = tuple(
        session.scalars(select(Member.community).where(Member.contact_id == member.contact_id, Member.id != member.id).order_by(Member.community)).all()
    )

    def count(model, *where) -> int:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    whole = not others
    return Forgetting(
        community=member.community,
        attendance=count(Attendance, Attendance.member_id == member.id),
        bookings=count(Booking, Booking.member_id == member.id),
        mood_answers=count(
            MoodPrompt, MoodPrompt.contact_id == member.contact_id if whole else MoodPrompt.member_id == member.id, MoodPrompt.score.is_not(None)
        ),
        messages=count(InboundMessage, InboundMessage.contact_id == member.contact_id) + count(OutboundMessage, OutboundMessage.contact_id == member.contact_id)
        if whole
        else 0,
        other_communities=others,
    )


def forget(session: Session, member: Member) -> Forgetting:
    """Delete the member and their data now, as the young person asked (``Forgetting`` says what).

    Rows go by their foreign keys' ON DELETE CASCADE, in this transaction; the session is emptied,
    as after SLET, so nothing deleted is written back by a later flush.
    """
    gone = forgetting(session, member)
    session.execute(delete(MoodPrompt).where(MoodPrompt.member_id == member.id))
    session.execute(delete(Member).where(Member.id == member.id))
    if gone.whole_person:
        session.execute(delete(Contact).where(Contact.id == member.contact_id))
    session.expunge_all()
    return gone


@dataclass(frozen=True)
class EventHistory:
    """One event of the member's: what they replied to its reminder and whether they came."""

    event: Event
    reply: str | None
    reply_at: datetime | None
    presence: str | None


def attendance_history(session: Session, member: Member, until: datetime, limit: int = 100) -> list[EventHistory]:
    """The events the member was reminded of, answered, booked or was marked for, newest first,
    that started before ``until``."""
    theirs = union(
        select(Reminder.event_id).where(Reminder.member_id == member.id),
        select(Attendance.event_id).where(Attendance.member_id == member.id),
        select(Booking.event_id).where(Booking.member_id == member.id, Booking.status == "booked"),
    )
    rows = session.execute(
        select(Event, Attendance)
        .outerjoin(Attendance, (Attendance.event_id == Event.id) & (Attendance.member_id == member.id))
        .where(Event.id.in_(theirs), Event.starts_at < until)
        .order_by(Event.starts_at.desc())
        .limit(limit)
    ).all()
    return [
        EventHistory(event, attendance.reply if attendance else None, attendance.reply_at if attendance else None, attendance.presence if attendance else None)
        for event, attendance in rows
    ]


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
        raise MemberError("language", f"must be one of {', '.join(LANGUAGES)} (Danish, English)", "language")
    if "contact_person_phone" in cleaned:
        raw = cleaned["contact_person_phone"]
        cleaned["contact_person_phone"] = _phone("contact_person_phone", raw) if raw and raw.strip() else None
    if "contact_person_email" in cleaned:
        email = _text("contact_person_email", cleaned["contact_person_email"], EMAIL_MAX)
        if email is not None and not EMAIL.match(email):
            raise MemberError("contact_person_email", "not an email address; write it like navn@kommune.dk", "email")
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
        raise MemberError(field, f"too long (at most {limit} characters)", "too_long", limit=limit)
    return value or None


def _phone(field: str, raw: str) -> str:
    if not raw or not raw.strip():
        raise MemberError(field, "a phone number is needed", "phone_missing")
    try:
        return normalise_phone(raw)
    except InvalidPhoneNumber:
        raise MemberError(field, "not a phone number; write it like 20 12 34 56 or +45 20 12 34 56", "not_a_phone") from None
