"""/healthz answers 200 when the database and Redis answer, 503 otherwise."""
from __future__ import annotations

from bot.runtime import Runtime
from bot.web import create_app

from conftest import make_settings


def test_healthy(runtime):
    response = create_app(runtime).test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "ok"}


def test_redis_down_is_503(runtime, database_url):
    broken = Runtime(make_settings(database_url, redis_url="redis://127.0.0.1:1/0"))
    response = create_app(broken).test_client().get("/healthz")
    assert response.status_code == 503 and response.json["redis"].startswith("error")


def test_database_down_is_503(runtime):
    broken = Runtime(make_settings("postgresql://nobody@127.0.0.1:1/none"))
    response = create_app(broken).test_client().get("/healthz")
    assert response.status_code == 503 and response.json["database"].startswith("error")


def test_unknown_paths_and_methods_are_4xx(runtime):
    client = create_app(runtime).test_client()
    assert client.get("/nope").status_code == 404
    assert client.get("/webhooks/twilio/sms").status_code in (403, 405)


def test_metrics_show_the_outbox_without_personal_data(runtime):
    client = create_app(runtime).test_client()
    response = client.get("/metrics")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "ungebot_oldest_due_message_age_seconds 0.0" in text
    assert "ungebot_queue_length" in text and "ungebot_webhook_requests" in text


def test_a_database_outage_during_a_webhook_is_503_so_twilio_retries(runtime, database_url):
    from conftest import AUTH_TOKEN, PUBLIC_BASE_URL
    from support.signing import inbound_sms_params, twilio_signature

    broken = Runtime(make_settings("postgresql://nobody@127.0.0.1:1/none"))
    params = inbound_sms_params("+4520112233", "+4570000001", "hej")
    signature = twilio_signature(AUTH_TOKEN, PUBLIC_BASE_URL + "/webhooks/twilio/sms", params)
    response = create_app(broken).test_client().post("/webhooks/twilio/sms", data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 503
