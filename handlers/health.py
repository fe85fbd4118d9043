"""Liveness for load balancers and monitoring: the database and Redis must both answer."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy import text

from bot.metrics import registry_for

blueprint = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@blueprint.get("/healthz")
def healthz():
    runtime = current_app.extensions["ungebot"]
    checks = {}
    try:
        with runtime.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        runtime.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"error: {type(exc).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    if not healthy:
        log.warning("health check failed: %s", checks)
    return jsonify(status="ok" if healthy else "unavailable", **checks), 200 if healthy else 503


@blueprint.get("/metrics")
def metrics():
    runtime = current_app.extensions["ungebot"]
    registry = current_app.extensions.setdefault("ungebot_metrics", registry_for(runtime))
    try:
        body = generate_latest(registry) + generate_latest(REGISTRY)
    except Exception as exc:  # noqa: BLE001 - the monitoring should see "down", not a 500 page
        log.warning("metrics unavailable: %s", type(exc).__name__)
        return "metrics unavailable\n", 503, {"Content-Type": "text/plain"}
    return body, 200, {"Content-Type": CONTENT_TYPE_LATEST}
