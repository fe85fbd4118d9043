"""The RQ jobs that send outbox messages, safe to run twice.

The row is locked and its state checked before anything goes out, and marked ``submitting`` in its
own committed transaction before the provider is called; a re-run (RQ retry, a worker that died,
a second copy of the job) finds it no longer ``pending`` and does nothing. What is left open is
the moment between the provider accepting a message and our recording it: a crash there leaves
the row ``submitting``; the scheduler marks it ``unknown`` instead of guessing, because sending it
again could reach the young person twice.

``send_replies`` sends a processing job's answers itself, in order, once they are committed;
``send_outbound`` sends one message; ``send_many`` sends a list in order (a batch of reminders),
one message at a time, each with its own "submitting" commit before the call, so a worker killed
mid-batch leaves at most the one message in flight ``unknown``. On PostgreSQL the provider's id
for one message is written in the same statement that claims the next (one round trip and one
commit per message, not two); before anything that may wait, and at the end, it is written
alone. A ``send_many`` job hands its tail back to the queue after ``SLICE_SECONDS`` or as soon
as a direct reply is waiting, so bulk sending never holds a reply back for long.

With ``SEND_RATE`` set, every message takes a token from its sender's bucket (``bot.jobs.rate_limit``)
before it is claimed: bulk and staff messages wait for one, direct replies and opt-out
confirmations take theirs at once.
"""
from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from sqlalchemy import and_, bindparam, exists, literal_column, not_, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from bot import channels
from bot.channels import AmbiguousSendError, PermanentSendError, ReconnectNeeded, TransientSendError
from bot.core import clock, quiet_hours
from bot.domain import delivery, queueing
from bot.domain.cases.identity import CaseKeyMissing, keys_for
from bot.domain.contacts import channel_rules
from bot.jobs import rate_limit
from bot.runtime import BULK, INBOUND, REPLIES, Runtime, get_runtime
from bot.storage.models import Case, ChannelAccount, Contact, DeliveryReport, OutboundMessage, UTCDateTime

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# A bulk job sends for at most this long before it lets queued replies go first.
SLICE_SECONDS = 2.0
# How often a bulk job looks whether replies are waiting (a Redis round trip).
PRIORITY_CHECK_SECONDS = 0.2
# What a processing job answers with, and sends itself (``send_replies``).
ANSWER_KINDS = ("reply", "system")
# Kinds that never wait for the per-sender rate (they still count against it).
UNTHROTTLED_KINDS = frozenset({"reply", "human", "system"})

_messages = OutboundMessage.__table__


def backoff(attempt: int) -> timedelta:
    """10 s, 20 s, 40 s ... at most 15 minutes, with jitter so a burst does not come back as one."""
    seconds = min(10 * 2 ** (attempt - 1), 900)
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


@dataclass(frozen=True)
class Claimed:
    """A message marked ``submitting`` (committed): what the provider needs, nothing more."""

    id: int
    channel: str
    to_address: str | None
    body: str
    kind: str
    contact_id: int | None
    attempts: int
    sealed_to: str | None = None
    choices: list[str] | None = None
    case_id: int | None = None
    # Instagram only (Meta's 24-hour rule, decided before sending): RESPONSE, UPDATE or HUMAN_AGENT.
    messaging: str | None = None


def send_outbound(message_id: int) -> str:
    """The job for one message: sent, skipped, not_due, suppressed, held, retry, failed, unknown or deferred."""
    runtime = get_runtime()
    limiter = rate_limit.limiter_for(runtime)
    if limiter is not None:
        pending = _pending_kinds(runtime, [message_id])
        if message_id in pending:
            kind, channel = pending[message_id]
            deadline = time.monotonic() + SLICE_SECONDS
            priority = _PriorityCheck(runtime) if queueing.queue_for(kind) == BULK else None
            if not _wait_for_token(runtime, limiter, kind, channel, deadline, priority):
                _requeue(runtime, [message_id], single_kind=kind)
                return "deferred"
    return _send(runtime, message_id)


def send_many(message_ids: list[int]) -> int:
    """The job for a list of messages, sent in order; returns how many were handed to the provider."""
    return send_in_order(get_runtime(), list(message_ids))


def send_replies(runtime: Runtime, replies: list[OutboundMessage]) -> None:
    """A processing job's answers to what the young person wrote, in the order they were written,
    once their rows are committed: one job per message received, and (with the job's turn held,
    ``Database.one_at_a_time``) no answer overtakes an earlier one.

    An answer the provider could not take now waits for its retry, and the ones after it wait
    behind it (a millisecond apart, for the scheduler to queue them in order).
    """
    if not replies:
        return
    limiter = rate_limit.limiter_for(runtime)
    with _Rows(runtime) as rows:
        for index, reply in enumerate(replies):
            if limiter is not None:
                _wait_for_token(runtime, limiter, reply.kind, reply.channel, time.monotonic(), None)
            if _send(runtime, reply.id, rows) == "retry":
                _wait_behind(runtime, reply.id, [later.id for later in replies[index + 1:]])
                return


def owed_answers(session, owner, now: datetime) -> list[OutboundMessage]:
    """Answers an earlier job committed but did not get out (its worker died while sending them):
    the job holding the turn sends them first, so the answer to a newer message never overtakes
    them. ``owner``: ``OutboundMessage.contact_id == id`` or ``OutboundMessage.case_id == id``."""
    return list(
        session.scalars(
            select(OutboundMessage)
            .where(
                owner,
                OutboundMessage.status == "pending",
                OutboundMessage.kind.in_(ANSWER_KINDS),
                OutboundMessage.enqueued_at.is_not(None),
                OutboundMessage.send_after <= now,
            )
            .order_by(OutboundMessage.id)
        )
    )


def _wait_behind(runtime: Runtime, retried_id: int, later_ids: list[int]) -> None:
    if not later_ids:
        return
    with runtime.db.session() as session:
        retry_at = session.get(OutboundMessage, retried_id).send_after
        for place, message_id in enumerate(later_ids, start=1):
            session.execute(
                update(OutboundMessage)
                .where(OutboundMessage.id == message_id, OutboundMessage.status == "pending")
                .values(send_after=retry_at + timedelta(milliseconds=place), enqueued_at=None)
            )


def send_in_order(runtime: Runtime, message_ids: list[int]) -> int:
    """Send ``message_ids`` one by one; after a time slice, or when replies wait, queue the rest."""
    if not message_ids:
        return 0
    started = time.monotonic()
    deadline = started + SLICE_SECONDS
    limiter = rate_limit.limiter_for(runtime)
    pending = _pending_kinds(runtime, message_ids) if limiter is not None else {}
    priority = _PriorityCheck(runtime)
    sent = 0
    with _Rows(runtime) as rows:  # one connection for the batch, a commit per step
        for index, message_id in enumerate(message_ids):
            if index and (time.monotonic() >= deadline or priority.waiting()):
                rows.write_sent()
                _requeue(runtime, message_ids[index:])
                break
            if message_id in pending:
                kind, channel = pending[message_id]
                if not _wait_for_token(runtime, limiter, kind, channel, deadline, priority, before_waiting=rows.write_sent):
                    rows.write_sent()
                    _requeue(runtime, message_ids[index:])
                    break
            sent += _send(runtime, message_id, rows) == "sent"
    return sent


# -- one message --------------------------------------------------------------------------------


def _send(runtime: Runtime, message_id: int, rows: _Rows | None = None) -> str:
    if rows is None:
        with _Rows(runtime) as rows:
            return _send(runtime, message_id, rows)
    now = clock.now()
    claimed = rows.claim(message_id, now) or _claim_checked(runtime, message_id, now)
    if isinstance(claimed, str):
        return claimed
    if claimed.channel == "instagram":
        claimed = _within_meta_window(runtime, claimed, now)
        if isinstance(claimed, str):
            return claimed
    # Outside the transaction: the provider call must not hold a row lock, and the 'submitting'
    # mark must be committed before the message can possibly exist at the provider.
    try:
        if claimed.sealed_to is not None:
            claimed = replace(claimed, to_address=_open_address(runtime, claimed.sealed_to))
        result = channels.sender_for(claimed.channel, runtime.settings).send(claimed)
    except TransientSendError as exc:
        return _record_failure(runtime, message_id, exc, retry=claimed.attempts < MAX_ATTEMPTS, attempt=claimed.attempts)
    except ReconnectNeeded as exc:
        with runtime.db.session() as session:
            channel_rules.needs_reconnect(session, claimed.channel, exc.account, exc.detail, clock.now())
        return _record_failure(runtime, message_id, exc, retry=False, attempt=claimed.attempts)
    except PermanentSendError as exc:
        return _record_failure(runtime, message_id, exc, retry=False, attempt=claimed.attempts)
    except AmbiguousSendError as exc:
        return _record_failure(runtime, message_id, exc, retry=False, attempt=claimed.attempts, status="unknown")
    # A day-of message reaching someone whose anonymous case is listening: their answer to it is
    # the message's, until they write RÅD again (the case itself stays open).
    interrupting = (
        keys_for(runtime.settings).sender_keys(claimed.channel, claimed.to_address)
        if claimed.kind == "automatic" and claimed.contact_id is not None
        else ()
    )
    rows.record_sent(_Sent(message_id, result.provider_id, result.status, clock.now(), tuple(interrupting)))
    if claimed.channel == "instagram":
        rows.account_works(claimed.channel, claimed.to_address.partition(":")[0])
    log.info("outbound message %s handed to %s (attempt %d)", message_id, claimed.channel, claimed.attempts)
    return "sent"


def _within_meta_window(runtime: Runtime, claimed: Claimed, now: datetime) -> Claimed | str:
    """The claimed message with Meta's messaging type, or held back (by SMS instead, or staff told)."""
    with runtime.db.session() as session:
        last = channel_rules.last_inbound(session, address=claimed.to_address, case_id=claimed.case_id)
        messaging = channel_rules.messaging_for(claimed.kind, last, now)
        if messaging is not None:
            return replace(claimed, messaging=messaging)
        channel_rules.hold_back(runtime, session, session.get(OutboundMessage, claimed.id), now)
    return channel_rules.HELD


def _open_address(runtime: Runtime, sealed: str) -> str:
    try:
        return keys_for(runtime.settings).open(sealed)[1]
    except CaseKeyMissing:
        log.error("an anonymous case's message waits: this worker has no CASE_PRIVATE_KEY")
        raise TransientSendError("no_case_key", "CASE_PRIVATE_KEY is not set in this worker") from None


@dataclass(frozen=True)
class _Sent:
    """A message the provider took: its id and status, to be written on the row."""

    message_id: int
    provider_id: str
    status: str
    at: datetime
    # Sender keys of anonymous cases that stop listening (a day-of message reached them).
    interrupting: tuple[str, ...] = ()


class _Rows:
    """One database connection for a run of sends, with the statements every send needs.

    On PostgreSQL each statement is its own transaction (autocommit): the "submitting" mark is
    committed when ``claim`` returns, before the provider is called. A sent message's provider id
    waits for the next claim and is written in the same statement (``write_sent`` writes it alone
    before the caller may wait, and leaving the block does). On SQLite each statement is wrapped in
    its own ``BEGIN IMMEDIATE`` transaction, committed the same way, and a sent message is written
    at once.
    """

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self._unwritten: _Sent | None = None

    def __enter__(self) -> _Rows:
        db = self.runtime.db
        self.connection = (db.engine if db.is_sqlite else db.autocommit_engine).connect()
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.write_sent()
        finally:
            self.connection.close()

    def _run(self, statement, values: dict):
        if self.runtime.db.is_sqlite:
            with self.connection.begin():
                return self.connection.execute(statement, values).all()
        return self.connection.execute(statement, values).all()

    def claim(self, message_id: int, now: datetime) -> Claimed | None:
        """The common case in one statement: pending, due, allowed now -> submitting, committed.

        ``UPDATE ... WHERE status = 'pending'`` takes the row lock and re-checks the condition on
        the row's latest version, so of two jobs for the same row exactly one gets it back.
        Anything this does not match (not pending, not due, opted out, quiet hours) goes the
        checked way (``_claim_checked``), which says why.
        """
        settings = self.runtime.settings
        quiet = quiet_hours.next_allowed(now, settings.quiet_window, settings.zone) > now
        values = {"message_id": message_id, "now": now}
        sent, self._unwritten = self._unwritten, None
        if sent is None:
            found = self._run(_CLAIM[quiet], values)
            return Claimed(*found[0]) if found else None
        statement = _RECORD_THEN_CLAIM[quiet, bool(sent.interrupting)]
        try:
            (reported, *claimed), = self._run(statement, {**values, **self._record_values(sent)})
        except IntegrityError:
            self._duplicate(sent)
            return self.claim(message_id, now)
        if reported:
            self._apply_early_reports(sent)
        return Claimed(*claimed) if claimed[0] is not None else None

    def account_works(self, channel: str, account: str) -> None:
        """A send went through: an account staff reconnected is connected again (one statement,
        on this connection, that changes nothing while the account is fine)."""
        self._run(_RECONNECTED, {"on_channel": channel, "account": account, "now": clock.now()})

    def record_sent(self, sent: _Sent) -> None:
        """The provider took ``sent``: written with the next claim on PostgreSQL, at once on SQLite."""
        self.write_sent()
        self._unwritten = sent
        if self.runtime.db.is_sqlite:
            self.write_sent()

    def write_sent(self) -> None:
        """Write the sent message still waiting for the next claim, if there is one: its provider
        id and status, and the listening cases it interrupts (one statement on PostgreSQL)."""
        sent, self._unwritten = self._unwritten, None
        if sent is None:
            return
        values = self._record_values(sent)
        try:
            if sent.interrupting and not self.runtime.db.is_sqlite:
                found = self._run(_RECORD_AND_INTERRUPT, values)
            else:
                found = self._run(_RECORD, values)
                if sent.interrupting:
                    self._run(_INTERRUPT_CASE, {"recipients": list(sent.interrupting)})
        except IntegrityError:
            self._duplicate(sent)
            return
        if found and found[0][0]:
            self._apply_early_reports(sent)

    @staticmethod
    def _record_values(sent: _Sent) -> dict:
        return {
            "recorded_id": sent.message_id, "sid": sent.provider_id, "provider_status": sent.status,
            "handed_at": sent.at, "recipients": list(sent.interrupting),
        }

    def _apply_early_reports(self, sent: _Sent) -> None:
        """Status callbacks that came before we knew the sid: apply them now (forward only)."""
        with self.runtime.db.session() as session:
            message = session.scalars(select(OutboundMessage).where(OutboundMessage.id == sent.message_id).with_for_update()).one()
            delivery.apply_reports(session, message, sent.at)

    def _duplicate(self, sent: _Sent) -> None:
        """The provider gave an id it already gave another message: it accepted something, but
        which delivery reports belong to which message cannot be told. Sending again could reach
        the young person twice, so it is unknown, with the reason."""
        duplicate = AmbiguousSendError("duplicate_provider_id", "the provider answered with an id it had given another message")
        _record_failure(self.runtime, sent.message_id, duplicate, retry=False, attempt=0, status="unknown")


def _claim_statement(quiet: bool):
    now = bindparam("now", type_=UTCDateTime())
    opted_out = exists().where(Contact.id == _messages.c.contact_id, Contact.opted_out_at.is_not(None))
    conditions = [
        _messages.c.id == bindparam("message_id"),
        _messages.c.status == "pending",
        _messages.c.send_after <= now,
        or_(_messages.c.kind == "system", _messages.c.contact_id.is_(None), not_(opted_out)),
    ]
    if quiet:  # automatic messages wait for the morning: the checked way holds them
        conditions.append(_messages.c.kind != "automatic")
    return (
        update(_messages)
        .where(and_(*conditions))
        .values(status="submitting", attempts=_messages.c.attempts + 1, sending_started_at=now, updated_at=now)
        .returning(
            _messages.c.id,
            _messages.c.channel,
            _messages.c.to_address,
            _messages.c.body,
            _messages.c.kind,
            _messages.c.contact_id,
            _messages.c.attempts,
            _messages.c.sealed_to,
            _messages.c.choices,
            _messages.c.case_id,
        )
    )


_INTERRUPT_CASE = (
    update(Case.__table__)
    .where(Case.sender_key.in_(bindparam("recipients", expanding=True)), Case.status == "open", Case.listening.is_(True))
    .values(listening=False)
    .returning(Case.id)
)
_RECONNECTED = (
    update(ChannelAccount.__table__)
    .where(
        ChannelAccount.channel == bindparam("on_channel"),
        ChannelAccount.account_id == bindparam("account"),
        ChannelAccount.status != "connected",
    )
    .values(status="connected", detail=None, changed_at=bindparam("now", type_=UTCDateTime()))
    .returning(ChannelAccount.id)
)


def _record_statement():
    sent_at = bindparam("handed_at", type_=UTCDateTime())
    return (
        update(_messages)
        .where(_messages.c.id == bindparam("recorded_id"))
        .values(provider_id=bindparam("sid"), status=bindparam("provider_status"), sent_at=sent_at, updated_at=sent_at)
        # Did status callbacks come before we knew the sid? (Same statement: one round trip.)
        .returning(exists().where(DeliveryReport.provider_id == bindparam("sid")).label("reported"))
    )


def _record_then_claim_statement(record, claim):
    """PostgreSQL: the sent message's id written (``record``) and the next message claimed
    (``claim``), in one statement (one commit); always one row: whether reports came early, then
    the claimed row or NULLs."""
    recorded, claimed = record.cte("recorded"), claim.cte("claimed")
    always_one_row = select(literal_column("1").label("one")).subquery("always")
    return (
        select(select(recorded.c.reported).scalar_subquery().label("reported"), *claimed.c)
        .select_from(always_one_row.outerjoin(claimed, true()))
    )


# Built once: at hundreds of sends a second, building statements is a visible cost.
_CLAIM = {quiet: _claim_statement(quiet) for quiet in (False, True)}
_RECORD = _record_statement()
# PostgreSQL runs a data-modifying WITH whether or not the statement reads it.
_RECORD_AND_INTERRUPT = _RECORD.add_cte(_INTERRUPT_CASE.cte("interrupted"))
_RECORD_THEN_CLAIM = {
    (quiet, interrupting): _record_then_claim_statement(_RECORD_AND_INTERRUPT if interrupting else _RECORD, _CLAIM[quiet])
    for quiet in (False, True)
    for interrupting in (False, True)
}


def _claim_checked(runtime: Runtime, message_id: int, now: datetime) -> Claimed | str:
    """Lock the row and say why it does not go now (or claim it, if it has become sendable)."""
    with runtime.db.session() as session:
        message = session.scalars(
            select(OutboundMessage).where(OutboundMessage.id == message_id).with_for_update()
        ).one_or_none()
        if message is None or message.status != "pending":
            return "skipped"
        if message.send_after > now:
            return "not_due"
        contact = session.get(Contact, message.contact_id) if message.contact_id else None
        if contact is not None and contact.opted_out_at is not None and message.kind != "system":
            message.status, message.updated_at = "suppressed", now
            return "suppressed"
        if message.kind == "automatic":
            opens = quiet_hours.next_allowed(now, runtime.settings.quiet_window, runtime.settings.zone)
            if opens > now:
                message.send_after, message.enqueued_at, message.updated_at = opens, None, now
                return "held"
        message.status = "submitting"
        message.attempts += 1
        message.sending_started_at = message.updated_at = now
        return Claimed(
            message.id, message.channel, message.to_address, message.body, message.kind, message.contact_id, message.attempts,
            message.sealed_to, message.choices, message.case_id,
        )


def _record_failure(runtime, message_id: int, exc, *, retry: bool, attempt: int, status: str = "failed") -> str:
    now = clock.now()
    with runtime.db.session() as session:
        message = session.get(OutboundMessage, message_id)
        message.error_code, message.error_detail, message.updated_at = exc.code, exc.detail, now
        if retry:
            message.status = "pending"
            message.send_after = now + backoff(attempt)
            message.enqueued_at = None
            log.warning("outbound message %s: %s, retrying at %s", message_id, exc.code, message.send_after.isoformat())
            return "retry"
        message.status = status
        if exc.code in delivery.OPTED_OUT_CODES and message.contact_id:
            contact = session.get(Contact, message.contact_id)
            contact.opted_out_at = contact.opted_out_at or now
        log.error("outbound message %s: %s (%s), giving up", message_id, status, exc.code)
        return status


# -- rate and priority ----------------------------------------------------------------------------


def _pending_kinds(runtime: Runtime, message_ids: list[int]) -> dict[int, tuple[str, str]]:
    """id -> (kind, channel) of the rows still pending (the others will not take a token)."""
    with runtime.db.engine.connect() as connection:
        rows = connection.execute(
            select(_messages.c.id, _messages.c.kind, _messages.c.channel).where(
                _messages.c.id.in_(message_ids), _messages.c.status == "pending"
            )
        ).all()
    return {row.id: (row.kind, row.channel) for row in rows}


def _rate_key(runtime: Runtime, channel: str) -> str | None:
    try:
        sender = channels.sender_for(channel, runtime.settings)
    except PermanentSendError:
        return None  # the send itself will fail and say why
    return getattr(sender, "rate_key", None)


def _wait_for_token(runtime: Runtime, limiter, kind: str, channel: str, deadline: float, priority, before_waiting=None) -> bool:
    """Take the sender's token: at once for replies, else wait until ``deadline`` at the latest
    (``before_waiting`` is called first, once, if it has to wait).

    False (nothing taken) when the token would come later than ``deadline`` or a reply is waiting
    meanwhile: the caller hands the message back to the queue. A Redis failure does not stop
    sending: the message goes unthrottled rather than not at all.
    """
    sender = _rate_key(runtime, channel)
    if sender is None:
        return True
    try:
        if kind in UNTHROTTLED_KINDS:
            limiter.take(sender, force=True)
            return True
        while True:
            taken = limiter.take(sender)
            if taken.granted:
                return True
            now = time.monotonic()
            if now + taken.wait > deadline:
                return False
            if before_waiting is not None:
                before_waiting()
                before_waiting = None
            time.sleep(min(taken.wait, PRIORITY_CHECK_SECONDS))
            if priority is not None and priority.waiting():
                return False
    except RedisError as exc:
        log.warning("send rate: Redis unavailable (%s); sending without the limit", type(exc).__name__)
        return True


class _PriorityCheck:
    """Are replies (or messages to process, which become replies) waiting? Asked at most every 0.2 s."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self._next = time.monotonic() + PRIORITY_CHECK_SECONDS

    def waiting(self) -> bool:
        now = time.monotonic()
        if now < self._next:
            return False
        self._next = now + PRIORITY_CHECK_SECONDS
        try:
            return any(self.runtime.queue(kind).count for kind in (REPLIES, INBOUND))
        except RedisError:
            return False


def _requeue(runtime: Runtime, message_ids: list[int], *, single_kind: str | None = None) -> None:
    """Hand unsent messages back: their rows say a job has them now, then the job goes to Redis.

    A batch's tail goes to the front of the bulk queue (it continues as soon as the replies
    before it are out); one deferred message goes to the back of its own queue. If Redis fails
    here the rows are still pending, and the scheduler queues them again once their
    ``enqueued_at`` is old enough, as for any job Redis lost.
    """
    now = clock.now()
    with runtime.db.engine.begin() as connection:
        connection.execute(
            update(_messages).where(_messages.c.id.in_(message_ids), _messages.c.status == "pending").values(enqueued_at=now)
        )
    if single_kind is None:
        runtime.enqueue([queueing.send_many(message_ids)])
    else:
        (message_id,) = message_ids
        runtime.enqueue([queueing.send_outbound(message_id, single_kind)])
