"""Instagram as Meta's webhook delivers it: the shipped flows with an Instagram profile each for
the Wednesday group and the counselling service, and events signed as Meta signs them.

conftest.py registers this module as a plugin, so its fixture reaches every test module; the
helpers and constants are imported as usual.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import shutil

import pytest

from conftest import META_ACCOUNT, META_APP_SECRET, META_OTHER_ACCOUNT, SHIPPED_FLOWS

APP_SECRET = META_APP_SECRET
OPEN_PROFILE = META_ACCOUNT  # the Wednesday group's profile
COUNSELLING_PROFILE = META_OTHER_ACCOUNT  # the counselling service's own, closed profile
YOUNG_PERSON = "6543210987654321"


@pytest.fixture
def instagram_flows_dir(tmp_path):
    directory = tmp_path / "flows"
    shutil.copytree(SHIPPED_FLOWS, directory, ignore=shutil.ignore_patterns("tests"))
    with (directory / "onsdag.yaml").open("a", encoding="utf-8") as file:
        file.write(f'  instagram: "{OPEN_PROFILE}"\n')
    with (directory / "raadgivning.yaml").open("a", encoding="utf-8") as file:
        file.write(f'  instagram: ["{COUNSELLING_PROFILE}"]\n')
    return directory


def signed(payload: dict | bytes, secret: str = APP_SECRET) -> tuple[bytes, dict]:
    """The body exactly as Meta sends it (non-ASCII escaped) and its X-Hub-Signature-256."""
    raw = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode()
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"X-Hub-Signature-256": signature, "Content-Type": "application/json"}


def post(client, payload, secret: str = APP_SECRET):
    raw, headers = signed(payload, secret)
    return client.post("/webhooks/instagram", data=raw, headers=headers)


def event(*entries) -> dict:
    return {"object": "instagram", "entry": list(entries)}


def entry(account: str, *items) -> dict:
    return {"id": account, "time": 1764500000000, "messaging": list(items)}


def text(mid: str, body: str, sender: str = YOUNG_PERSON, account: str = OPEN_PROFILE, **extra) -> dict:
    return {"sender": {"id": sender}, "recipient": {"id": account}, "timestamp": 1764500000000, "message": {"mid": mid, "text": body, **extra}}
