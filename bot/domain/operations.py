"""How the service is doing, read from the database and Redis: one snapshot for the Prometheus
metrics (``bot.metrics``) and ``ungebot status``. Counts and ages only: nothing about a person.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from bot.core import clock
from bot.domain.liveness import last_pass_age, workers_alive
from bot.runtime import Runtime
from bot.storage.models import Case, InboundMessage, OutboundMessage

# Beyond these, `ungebot status` says something is wrong (the alert rules in deploy/prometheus agree).
SCHEDULER_LATE_SECONDS = 30
DUE_MESSAGE_LATE_SECONDS = 120


@dataclass(frozen=True)
class Snapshot:
    outbound_by_status: dict[str, int]
    oldest_due_age: float  # seconds the oldest due message has waited; 0 when none
    inbound_unprocessed: int
    cases_open: int
    cases_waiting: int
    cases_urgent: int
    queue_lengths: dict[str, int]
    workers: list[str]  # alive worker processes, host:pid
    scheduler_age: float | None  # seconds since a scheduler last ended a pass

    @property
    def troubles(self) -> list[str]:
        """What someone on call should look at now, in plain words; empty when all is well."""
        found = []
        if not self.workers:
            found.append("no worker is alive: nothing is being sent")
        if self.scheduler_age is None or self.scheduler_age > SCHEDULER_LATE_SECONDS:
            found.append("no scheduler has run a pass lately: due messages and reminders wait")
        if self.oldest_due_age > DUE_MESSAGE_LATE_SECONDS:
            found.append(f"a due message has waited {self.oldest_due_age:.0f} s")
        if self.outbound_by_status.get("unknown"):
            found.append(f"{self.outbound_by_status['unknown']} message(s) with an unknown outcome at the provider")
        return found


def snapshot(runtime: Runtime) -> Snapshot:
    now = clock.now()
    with runtime.db.session() as session:
        rows = session.execute(select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status))
        by_status = {status: count for status, count in rows}  # noqa: C416 - a Result has keys(): dict() would take it for a mapping
        oldest_due = session.scalar(
            select(func.min(OutboundMessage.send_after)).where(OutboundMessage.status == "pending", OutboundMessage.send_after <= now)
        )
        unprocessed = session.scalar(select(func.count()).select_from(InboundMessage).where(InboundMessage.processed_at.is_(None))) or 0
        # Counts only: no alias, channel or anything else about a case.
        cases_open, cases_waiting, cases_urgent = session.execute(
            select(
                func.count(),
                func.count(Case.waiting_since),
                func.coalesce(func.sum(case((Case.urgent.is_(True), 1), else_=0)), 0),
            ).where(Case.status == "open")
        ).one()
    return Snapshot(
        outbound_by_status=by_status,
        oldest_due_age=(now - oldest_due).total_seconds() if oldest_due else 0.0,
        inbound_unprocessed=unprocessed,
        cases_open=cases_open,
        cases_waiting=cases_waiting,
        cases_urgent=int(cases_urgent),
        queue_lengths={queue.name: queue.count for queue in runtime.queues},
        workers=workers_alive(runtime),
        scheduler_age=last_pass_age(runtime),
    )
