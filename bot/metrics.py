"""Prometheus metrics: read from the database and Redis at scrape time, so every process agrees.

Labels are statuses, channels and queue names only: never a number, a name or a text.
"""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import case, func, select

from bot.core import clock
from bot.runtime import Runtime
from bot.storage.models import Case, InboundMessage, OutboundMessage

WEBHOOK_REQUESTS = Counter("ungebot_webhook_requests", "Webhook requests by channel and outcome", ["channel", "outcome"])


class OutboxCollector:
    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def collect(self):
        now = clock.now()
        with self.runtime.db.session() as session:
            by_status = session.execute(
                select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)
            ).all()
            oldest_due = session.scalar(
                select(func.min(OutboundMessage.send_after)).where(
                    OutboundMessage.status == "pending", OutboundMessage.send_after <= now
                )
            )
            unprocessed = session.scalar(
                select(func.count()).select_from(InboundMessage).where(InboundMessage.processed_at.is_(None))
            )
            # Counts only: no alias, channel or anything else about a case goes into a label.
            cases_open, cases_waiting, cases_urgent = session.execute(
                select(
                    func.count(),
                    func.count(Case.waiting_since),
                    func.coalesce(func.sum(case((Case.urgent.is_(True), 1), else_=0)), 0),
                ).where(Case.status == "open")
            ).one()
        statuses = GaugeMetricFamily("ungebot_outbound_messages", "Outbound messages by status", labels=["status"])
        for status, count in by_status:
            statuses.add_metric([status], count)
        yield statuses
        yield GaugeMetricFamily(
            "ungebot_oldest_due_message_age_seconds",
            "How long the oldest message that is due has waited to be sent (0 when none)",
            value=(now - oldest_due).total_seconds() if oldest_due else 0.0,
        )
        yield GaugeMetricFamily("ungebot_inbound_unprocessed", "Received messages not yet processed", value=unprocessed)
        yield GaugeMetricFamily("ungebot_cases_open", "Open anonymous cases", value=cases_open)
        yield GaugeMetricFamily("ungebot_cases_waiting", "Open anonymous cases waiting for a counsellor's answer", value=cases_waiting)
        yield GaugeMetricFamily("ungebot_cases_urgent", "Open anonymous cases marked urgent", value=cases_urgent)
        queues = GaugeMetricFamily("ungebot_queue_length", "Jobs waiting per RQ queue", labels=["queue"])
        for queue in self.runtime.queues:
            queues.add_metric([queue.name], queue.count)
        yield queues


def registry_for(runtime: Runtime) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OutboxCollector(runtime))
    return registry
