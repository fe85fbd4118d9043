"""Prometheus metrics: read from the database and Redis at scrape time, so every process agrees.

Labels are statuses, channels and queue names only: never a number, a name or a text.
"""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily

from bot.domain.operations import snapshot
from bot.runtime import Runtime

WEBHOOK_REQUESTS = Counter("ungebot_webhook_requests", "Webhook requests by channel and outcome", ["channel", "outcome"])
# By the part of the app (webhooks, api, console, webchat) and the status's class (2xx, 4xx, 5xx).
HTTP_RESPONSES = Counter("ungebot_http_responses", "HTTP responses by part of the app and status class", ["part", "status_class"])


class OutboxCollector:
    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def collect(self):
        now = snapshot(self.runtime)
        statuses = GaugeMetricFamily("ungebot_outbound_messages", "Outbound messages by status", labels=["status"])
        for status, count in now.outbound_by_status.items():
            statuses.add_metric([status], count)
        yield statuses
        yield GaugeMetricFamily(
            "ungebot_oldest_due_message_age_seconds", "How long the oldest message that is due has waited to be sent (0 when none)", value=now.oldest_due_age
        )
        yield GaugeMetricFamily("ungebot_inbound_unprocessed", "Received messages not yet processed", value=now.inbound_unprocessed)
        yield GaugeMetricFamily("ungebot_cases_open", "Open anonymous cases", value=now.cases_open)
        yield GaugeMetricFamily("ungebot_cases_waiting", "Open anonymous cases waiting for a counsellor's answer", value=now.cases_waiting)
        yield GaugeMetricFamily("ungebot_cases_urgent", "Open anonymous cases marked urgent", value=now.cases_urgent)
        queues = GaugeMetricFamily("ungebot_queue_length", "Jobs waiting per RQ queue", labels=["queue"])
        for name, length in now.queue_lengths.items():
            queues.add_metric([name], length)
        yield queues
        yield GaugeMetricFamily("ungebot_workers_alive", "Worker processes with a fresh heartbeat", value=len(now.workers))
        yield GaugeMetricFamily(
            "ungebot_scheduler_last_pass_age_seconds",
            "Seconds since a scheduler last ended a pass (-1 when none has since Redis started)",
            value=-1.0 if now.scheduler_age is None else now.scheduler_age,
        )


def registry_for(runtime: Runtime) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OutboxCollector(runtime))
    return registry
