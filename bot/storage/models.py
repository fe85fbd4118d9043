"""Tables. Times are stored as UTC and always come back timezone-aware."""
from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Ids are 32-bit integers in PostgreSQL: a larger one cannot name a row (and would be a database
# error, not "not found").
MAX_ID = 2**31 - 1


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {datetime: UTCDateTime, dict: JSON, date: Date, time: Time}


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(5), default="da")
    fields: Mapped[dict] = mapped_column(default=dict)
    opted_out_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    last_inbound_at: Mapped[datetime | None]
    last_channel: Mapped[str | None] = mapped_column(String(20))
    pronouns: Mapped[str | None] = mapped_column(String(40))
    # Mood check-ins: PAUSE (until a date, or until FORTSÆT) and SLUT TJEK, without leaving anything.
    checkins_paused_until: Mapped[datetime | None]
    checkins_stopped_at: Mapped[datetime | None]

    # In the order they were added: the first phone number is the one shown and exported.
    urns: Mapped[list[ContactURN]] = relationship(back_populates="contact", lazy="selectin", order_by="ContactURN.id")


class ContactURN(Base):
    """One way to reach a contact: ``tel:+4520123456``; later Instagram ids and web-chat sessions."""

    __tablename__ = "contact_urns"
    __table_args__ = (UniqueConstraint("scheme", "path", name="uq_contact_urns_identity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    scheme: Mapped[str] = mapped_column(String(20))
    path: Mapped[str] = mapped_column(String(255))
    # The young person's last message this way: Meta lets the bot write first only within 24 hours.
    last_inbound_at: Mapped[datetime | None]

    contact: Mapped[Contact] = relationship(back_populates="urns")


class InboundMessage(Base):
    __tablename__ = "inbound_messages"
    __table_args__ = (
        UniqueConstraint("channel", "provider_id", name="uq_inbound_provider_id"),
        Index("ix_inbound_pending", "contact_id", "processed_at"),
        # The scheduler's look for messages Redis lost: only the unprocessed ones, however many are stored.
        Index(
            "ix_inbound_unprocessed",
            "received_at",
            sqlite_where=text("processed_at IS NULL"),
            postgresql_where=text("processed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    # Twilio's sids are 34 characters; Instagram's message ids are longer.
    provider_id: Mapped[str] = mapped_column(String(255))
    to_address: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    # Images and files arrive as references ({"type": "image", "url": ...}), never their bytes.
    attachments: Mapped[list | None] = mapped_column(JSON)
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]


class OutboundMessage(Base):
    """The outbox: every message is written here before any queue or provider sees it."""

    __tablename__ = "outbound_messages"
    # Every send changes a row's status twice (claimed, then sent): an index that holds every row
    # is written at each change. The ones below hold only the rows they are looked up by (due or
    # in flight; an anonymous case's), so a day-of message's row is written into three, not five.
    __table_args__ = (
        Index(
            "ix_outbound_due",
            "status",
            "send_after",
            sqlite_where=text("status IN ('pending', 'submitting')"),
            postgresql_where=text("status IN ('pending', 'submitting')"),
        ),
        Index("ix_outbound_contact", "contact_id", "id"),
        Index(
            "ix_outbound_messages_recipient_key",
            "recipient_key",
            sqlite_where=text("recipient_key IS NOT NULL"),
            postgresql_where=text("recipient_key IS NOT NULL"),
        ),
        Index(
            "ix_outbound_messages_case_id",
            "case_id",
            sqlite_where=text("case_id IS NOT NULL"),
            postgresql_where=text("case_id IS NOT NULL"),
        ),
        # Rows are deleted (an anonymous case's SLET); an id must never come back for a new message.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    # An anonymous case's messages have no readable address: sealed_to is opened by the sending
    # worker only, recipient_key tells the same person's messages apart (bot.domain.cases.identity).
    to_address: Mapped[str | None] = mapped_column(String(64))
    sealed_to: Mapped[str | None] = mapped_column(Text)
    recipient_key: Mapped[str | None] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE", name="fk_outbound_messages_case_id"))
    body: Mapped[str] = mapped_column(Text)
    # A question's choices where the channel shows them as buttons (bot.engine.choices.buttons).
    choices: Mapped[list | None] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(24), default="pending")
    send_after: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    in_reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id", ondelete="SET NULL"))
    provider_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    error_code: Mapped[str | None] = mapped_column(String(32))
    error_detail: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    enqueued_at: Mapped[datetime | None]
    sending_started_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]


class ChannelAccount(Base):
    """A connected account on a channel (an Instagram profile) and whether it can send."""

    __tablename__ = "channel_accounts"
    __table_args__ = (UniqueConstraint("channel", "account_id", name="uq_channel_accounts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    account_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))  # connected, reconnect (the token stopped working)
    detail: Mapped[str | None] = mapped_column(String(255))
    changed_at: Mapped[datetime]


class Conversation(Base):
    """A contact's walk through a flow. At most one is active per contact."""

    __tablename__ = "conversations"
    __table_args__ = (
        Index(
            "uq_conversations_one_active",
            "contact_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index("ix_conversations_timeout", "timeout_at"),
        Index("ix_conversations_expiry", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    flow: Mapped[str] = mapped_column(String(100))
    step: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict] = mapped_column(default=dict)
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    timeout_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(20))


class StaffNotification(Base):
    """Something a flow wants a person on the staff to see (the staff console lists these)."""

    __tablename__ = "staff_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    flow: Mapped[str | None] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    seen_at: Mapped[datetime | None]


class DeliveryReport(Base):
    """Every delivery status callback, kept because they can arrive before we know the sid."""

    __tablename__ = "delivery_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(24))
    error_code: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[datetime]


class Member(Base):
    """A young person in a community. Never deleted for staying away: dormant, and welcome back."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("contact_id", "community", name="uq_members_contact_community"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    community: Mapped[str] = mapped_column(String(100), index=True)
    # joining: asked for consent; active: gets reminders; declined: said no; left: opted out of this community
    status: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(10))
    joined_at: Mapped[datetime]
    consent_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]
    reminder_time: Mapped[time | None]
    last_activity: Mapped[str | None] = mapped_column(String(200))
    contact_person_name: Mapped[str | None] = mapped_column(String(100))
    contact_person_phone: Mapped[str | None] = mapped_column(String(20))
    contact_person_email: Mapped[str | None] = mapped_column(String(200))
    contact_person_consent_at: Mapped[datetime | None]
    no_show_notified_at: Mapped[datetime | None]

    contact: Mapped[Contact] = relationship(lazy="joined")


class Event(Base):
    """One evening of a community, from its schedule or added as an extra."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("community", "starts_at", name="uq_events_community_start"),
        Index("ix_events_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    local_date: Mapped[date]
    kind: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(String(200))
    # The day's announcement, carried by every member's day-of message: from the community file by
    # date, until staff write one (then announcement_by names them, and the file no longer counts).
    announcement: Mapped[str | None] = mapped_column(String(300))
    announcement_by: Mapped[str | None] = mapped_column(String(254))
    cancelled_at: Mapped[datetime | None]
    followed_up_at: Mapped[datetime | None]


class Reminder(Base):
    """The one personal day-of message a member gets for an event."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("member_id", "event_id", name="uq_reminders_member_event"),
        Index("ix_reminders_due", "status", "send_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    send_at: Mapped[datetime]
    # planned -> queued -> sent; or skipped (by staff), cancelled (event cancelled, member left)
    status: Mapped[str] = mapped_column(String(12))
    personal_line: Mapped[str | None] = mapped_column(Text)
    skipped_by: Mapped[str | None] = mapped_column(String(100))
    outbound_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_messages.id", ondelete="SET NULL"))
    queued_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class Attendance(Base):
    """What a member said about an event, and whether they came."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("member_id", "event_id", name="uq_attendance_member_event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    # confirmed, declined, late, unsure (from their reply), or None
    reply: Mapped[str | None] = mapped_column(String(12))
    reply_at: Mapped[datetime | None]
    # attended, absent (staff or arrival check-in), or None
    presence: Mapped[str | None] = mapped_column(String(12))
    presence_set_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime]


class Booking(Base):
    """One young person's bookable time (the gym), on one of the time's seats (1..at_once).

    Double booking is impossible in the database itself: a seat of a time is held by one live
    booking (``uq_bookings_seat``), whoever commits first; and one person holds a time once.
    """

    __tablename__ = "bookings"
    __table_args__ = (
        Index(
            "uq_bookings_seat",
            "community",
            "starts_at",
            "seat",
            unique=True,
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
        Index(
            "uq_bookings_member_time",
            "member_id",
            "starts_at",
            unique=True,
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
        Index("ix_bookings_community_time", "community", "starts_at"),
        CheckConstraint("seat >= 1", name="ck_bookings_seat_from_one"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community: Mapped[str] = mapped_column(String(100))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE", name="fk_bookings_member_id"), index=True)
    # The time's event: reminders and attendance work for it as for a group evening.
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE", name="fk_bookings_event_id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    seat: Mapped[int]
    status: Mapped[str] = mapped_column(String(12))  # booked, cancelled
    booked_by: Mapped[str] = mapped_column(String(100))  # "sms", or the staff token's name
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(100))


MOOD_NOTE_MAX = 2000


class MoodPrompt(Base):
    """One mood check-in question to one young person on one day, and their answer."""

    __tablename__ = "mood_prompts"
    __table_args__ = (
        UniqueConstraint("checkin", "contact_id", "local_date", name="uq_mood_prompts_once_a_day"),
        Index("ix_mood_prompts_due", "status", "send_at"),
        Index("ix_mood_prompts_contact", "contact_id", "local_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin: Mapped[str] = mapped_column(String(100))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    # The membership it goes through: whose contact person and staff hear about a low answer.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    local_date: Mapped[date]
    send_at: Mapped[datetime]
    # planned -> sent -> answered; or paused, stopped (by the young person), cancelled (left)
    status: Mapped[str] = mapped_column(String(12))
    outbound_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_messages.id", ondelete="SET NULL"))
    score: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(Text)  # at most MOOD_NOTE_MAX characters of what they wrote
    answered_at: Mapped[datetime | None]
    alerted_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class ApiToken(Base):
    """A bearer token for the REST API. Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Case(Base):
    """An anonymous advice request. Nothing here can be turned back into who wrote it."""

    __tablename__ = "cases"
    __table_args__ = (
        Index(
            "uq_cases_one_open_per_sender",
            "sender_key",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_cases_last_message", "last_message_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alias: Mapped[str] = mapped_column(String(20), unique=True)
    sender_key: Mapped[str] = mapped_column(String(64), index=True)
    sealed_address: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5), default="da")
    status: Mapped[str] = mapped_column(String(10), default="open")  # open, closed
    # asking: waiting for the answer to "is it urgent?"; open: everything goes to the counsellor
    stage: Mapped[str] = mapped_column(String(10), default="asking")
    urgent: Mapped[bool] = mapped_column(default=False)
    # While listening, everything the young person writes goes to the case; another message from
    # us (a reminder) stops that until they write RÅD again or a counsellor answers.
    listening: Mapped[bool] = mapped_column(default=True)
    opened_at: Mapped[datetime]
    last_message_at: Mapped[datetime]
    waiting_since: Mapped[datetime | None]
    waiting_alerted_at: Mapped[datetime | None]
    first_reply_at: Mapped[datetime | None]
    closed_told_until: Mapped[datetime | None]
    assigned_to: Mapped[str | None] = mapped_column(String(100))
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(String(200))
    topic: Mapped[str | None] = mapped_column(String(20))
    stat_id: Mapped[int | None] = mapped_column(ForeignKey("case_stats.id", ondelete="SET NULL"))

    messages: Mapped[list[CaseMessage]] = relationship(
        back_populates="case", order_by="CaseMessage.id", cascade="all, delete-orphan", passive_deletes=True
    )


class CaseMessage(Base):
    """in: from the young person; bot: the bot's answer; out: a counsellor's reply; note: internal."""

    __tablename__ = "case_messages"
    __table_args__ = (Index("ix_case_messages_unprocessed", "case_id", "processed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(5))
    # for "in": open (RÅD), resume (RÅD again), text, or answer (to "is it urgent?")
    kind: Mapped[str] = mapped_column(String(10), default="text")
    author: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    # What came with a message from the young person (an Instagram photo): type and link.
    attachments: Mapped[list | None] = mapped_column(JSON)
    # A reply's outbox row, whose status (sent, delivered, failed) the counsellor sees.
    outbound_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_messages.id", ondelete="SET NULL"))

    case: Mapped[Case] = relationship(back_populates="messages")


class CaseReceipt(Base):
    """A keyed hash of each provider message id that reached a case: a retried webhook is noticed
    even after the case itself was deleted."""

    __tablename__ = "case_receipts"

    receipt_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


class CaseAudit(Base):
    """Who looked at or answered which case, and when; never what was written."""

    __tablename__ = "case_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    case_alias: Mapped[str | None] = mapped_column(String(20))


class CaseStat(Base):
    """One row per case for statistics, kept after the case is deleted: no alias, no link back."""

    __tablename__ = "case_stats"

    id: Mapped[int] = mapped_column(primary_key=True)
    opened_on: Mapped[date] = mapped_column(index=True)
    urgent: Mapped[bool] = mapped_column(default=False)
    first_reply_seconds: Mapped[int | None]
    topic: Mapped[str | None] = mapped_column(String(20))


class StaffUser(Base):
    """A person who signs in to the staff console (bot.domain.staff): an argon2id hash of their
    password, never the password, and their TOTP secret only sealed."""

    __tablename__ = "staff_users"
    __table_args__ = (
        UniqueConstraint("email", name="uq_staff_users_email"),
        UniqueConstraint("oidc_subject", name="uq_staff_users_oidc_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))  # lower-case
    role: Mapped[str] = mapped_column(String(20))  # staff, counsellor, admin
    # The community slugs a staff member works in; none for a counsellor or an admin.
    communities: Mapped[list] = mapped_column(JSON, default=list)
    # None for someone who signs in only by single sign-on.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    totp_secret_sealed: Mapped[str | None] = mapped_column(String(255))
    totp_enrolled_at: Mapped[datetime | None]
    # The last time step whose code was accepted: a code is good for one sign-in only.
    totp_last_step: Mapped[int | None]
    oidc_subject: Mapped[str | None] = mapped_column(String(512))  # "issuer|sub"
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]
    last_sign_in_at: Mapped[datetime | None]


class StaffSession(Base):
    """A signed-in browser, kept on the server so that signing out and the idle limit hold there.
    Only the SHA-256 of the cookie's token is stored."""

    __tablename__ = "staff_sessions"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_staff_sessions_token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE", name="fk_staff_sessions_user_id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    second_factor_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]

    user: Mapped[StaffUser] = relationship(lazy="joined")


class StaffAudit(Base):
    """Sign-ins, sign-outs and changes to staff accounts; never a password, a code or what a case says.
    What staff do in a case goes to CaseAudit."""

    __tablename__ = "staff_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    # A user's email, "command line", or "unknown": an address nobody has is not kept (it may be a
    # password typed into the wrong field).
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str | None] = mapped_column(String(300))
