"""The ceiling for a webhook: a Flask app that answers a form POST with "ok" and does nothing else,
served by the same gunicorn settings as ``ungebot web`` (``bench/webhook_ingest.py``)."""
from __future__ import annotations

from flask import Flask, request

app = Flask(__name__)


@app.post("/webhooks/twilio/sms")
def ok() -> str:
    request.form  # parsed, as a real webhook's form is  # noqa: B018
    return "ok"
