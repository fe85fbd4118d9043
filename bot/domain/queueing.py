"""The jobs the domain queues, by name, and queueing them once their transaction commits.

A job queued before its rows commit could run before they exist, and one queued for a
transaction that then rolls back would find nothing to do. So the domain never queues by hand
after a ``with`` block: ``queue_after_commit`` hands the job to the session, and the runtime that
owns the session queues it from SQLAlchemy's ``after_commit`` event. A message written to the
outbox is queued this way by ``add_message`` itself. Jobs are queued by name, so nothing that
queues one imports it (docs/architecture.md).
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from bot.runtime import BULK, INBOUND, JOBS_AFTER_COMMIT, REPLIES, Deferred, Job

SEND_REMINDERS = "bot.jobs.reminders.send_batch"


def process_contact(contact_id: int) -> Job:
    return Job(INBOUND, "bot.jobs.processing.process_contact", (contact_id,))


def process_case(case_id: int) -> Job:
    return Job(INBOUND, "bot.jobs.case_processing.process_case", (case_id,))


def queue_for(kind: str) -> str:
    """Replies go before anything automatic: an answer never waits behind a day's reminders."""
    return BULK if kind == "automatic" else REPLIES


def send_outbound(message_id: int, kind: str) -> Job:
    return Job(queue_for(kind), "bot.jobs.sending.send_outbound", (message_id,))


def send_many(message_ids: list[int]) -> Job:
    """The rest of a bulk batch, at the front of the bulk queue: it goes on once replies are out."""
    return Job(BULK, "bot.jobs.sending.send_many", (message_ids,), timeout=600, at_front=True)


def import_members(import_id: int) -> Job:
    """The next rows of a member file staff uploaded, behind what is queued already: a reply or a
    reminder never waits for an import."""
    return Job(BULK, "bot.jobs.member_import.import_chunk", (import_id,))


def queue_after_commit(session: Session, *jobs: Deferred) -> None:
    session.info.setdefault(JOBS_AFTER_COMMIT, []).extend(jobs)
