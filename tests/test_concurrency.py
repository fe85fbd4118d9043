"""Real processes: two web servers receiving the same retry at once, two workers, one contact.

Runs against PostgreSQL (the production database for more than one process).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from bot.storage.models import Conversation, InboundMessage

from bench.common import stop_processes
from conftest import AUTH_TOKEN, PUBLIC_BASE_URL, SERVER_DATABASE
from helpers import outbox
from support.signing import inbound_sms_params, twilio_signature

PROJECT = Path(__file__).resolve().parent.parent
SMS_PATH = "/webhooks/twilio/sms"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(runtime) -> dict:
    settings = runtime.settings
    return {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "TWILIO_ACCOUNT_SID": settings.twilio_account_sid,
        "TWILIO_AUTH_TOKEN": settings.twilio_auth_token,
        "TWILIO_FROM_NUMBER": settings.twilio_from_number,
        "TWILIO_API_URL": settings.twilio_api_url,
        "PUBLIC_BASE_URL": settings.public_base_url,
        "FLOWS_DIR": str(settings.flows_dir),
        "SECRET_KEY": "test",
        "QUIET_HOURS": "off",
        "QUEUE_PREFIX": runtime.queue_prefix,
        "LOG_LEVEL": "WARNING",
    }


def start(args, env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot.cli", *args], env=env, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for(url: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or its workers still booting
            time.sleep(0.1)
    raise AssertionError(f"{url} did not come up")


def stop(processes) -> None:
    stop_processes(processes, timeout=15)


@pytest.fixture
def pg_runtime(runtime_factory, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("several processes share a database in production: PostgreSQL, which UNGEBOT_TEST_DATABASES leaves out")
    return runtime_factory(quiet_hours="off")


# Run once, on PostgreSQL: a SQLite run of these would only ever be skipped.
@pytest.mark.parametrize("database_url", [SERVER_DATABASE], indirect=True)
def test_the_same_message_at_the_same_instant_on_two_web_processes_is_stored_once(pg_runtime, twilio):
    env = environment(pg_runtime)
    ports = [free_port(), free_port()]
    servers = [start(["web", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"], env) for port in ports]
    try:
        for port in ports:
            wait_for(f"http://127.0.0.1:{port}/healthz")
        for attempt in range(5):
            params = inbound_sms_params("+4520" + f"{attempt:06d}", "+4570000001", "hjælp")
            signature = twilio_signature(AUTH_TOKEN, PUBLIC_BASE_URL + SMS_PATH, params)
            barrier = threading.Barrier(len(ports) * 2)
            statuses = []

            # The values of this attempt, bound now: the threads run within this iteration.
            def post(port, barrier=barrier, params=params, signature=signature, statuses=statuses):
                barrier.wait()
                response = requests.post(f"http://127.0.0.1:{port}{SMS_PATH}", data=params, headers={"X-Twilio-Signature": signature}, timeout=10)
                statuses.append(response.status_code)

            threads = [threading.Thread(target=post, args=(port,)) for port in ports * 2]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert statuses == [200] * 4
            with pg_runtime.db.session() as session:
                rows = session.scalars(select(InboundMessage).where(InboundMessage.provider_id == params["MessageSid"])).all()
                assert len(rows) == 1
    finally:
        stop(servers)


@pytest.mark.parametrize("database_url", [SERVER_DATABASE], indirect=True)
def test_one_contacts_messages_are_answered_in_order_by_four_workers(pg_runtime, twilio):
    from bot.domain.inbound import receive

    env = environment(pg_runtime)
    workers = [start(["worker"], env) for _ in range(4)]
    try:
        # Ten young people each answer the whole demo at once, as fast as they can type.
        script = ["demo", "Sara", "skidt", "nej"]
        phones = [f"+452030{index:04d}" for index in range(10)]
        for text in script:
            for phone in phones:
                receive(pg_runtime, channel="sms", scheme="tel", address=phone, body=text, provider_id=f"SM{abs(hash((phone, text))):032x}"[:34])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(twilio.messages) < 5 * len(phones):
            time.sleep(0.2)
        expected = [
            "Hej! Det her er en prøve. Hvad skal jeg kalde dig?",
            "Tak, Sara. Hvordan går din dag?\n1 Godt\n2 Sådan midt imellem\n3 Skidt",
            "Øv, det er jeg ked af. Vil du have, at en voksen skriver til dig?",
            "Helt okay. Du kan altid skrive HJÆLP.",
            "Det var prøven. Sådan kan jeg spørge og svare. Skriv HJÆLP for at se mere.",
        ]
        for phone in phones:
            assert [m.body for m in outbox(pg_runtime, to_address=phone)] == expected, phone
            assert [m["body"] for m in twilio.messages if m["to"] == phone] == expected, f"{phone}: as they reached the phone"
        with pg_runtime.db.session() as session:
            assert session.scalars(select(Conversation).where(Conversation.ended_at.is_(None))).all() == []
    finally:
        stop(workers)


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"port {port} did not open")


@pytest.mark.parametrize("database_url", [SERVER_DATABASE], indirect=True)
def test_ungebot_web_workers_share_no_database_connection(pg_runtime, twilio, tmp_path):
    """`ungebot web` checks the schema before gunicorn forks; no worker may use the master's connection."""
    env = environment(pg_runtime)
    sids = []
    for start_number in range(3):
        port = free_port()
        log_path = tmp_path / f"web{start_number}.log"
        with open(log_path, "w") as log_file:
            server = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "web", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
                env={**env, "LOG_LEVEL": "INFO"}, cwd=PROJECT, stdout=log_file, stderr=subprocess.STDOUT,
            )
        try:
            wait_for_port(port)
            requests_at_once = 32
            barrier = threading.Barrier(requests_at_once)
            statuses: list[int] = []

            # The values of this start, bound now: the threads run within this iteration.
            def post(index: int, start_number=start_number, port=port, barrier=barrier, statuses=statuses) -> None:
                params = inbound_sms_params(f"+4521{start_number:02d}{index:04d}", "+4570000001", "hej")
                sids.append(params["MessageSid"])
                signature = twilio_signature(AUTH_TOKEN, PUBLIC_BASE_URL + SMS_PATH, params)
                barrier.wait()
                if index % 4 == 0:
                    statuses.append(requests.get(f"http://127.0.0.1:{port}/healthz", timeout=20).status_code)
                response = requests.post(f"http://127.0.0.1:{port}{SMS_PATH}", data=params, headers={"X-Twilio-Signature": signature}, timeout=20)
                statuses.append(response.status_code)

            threads = [threading.Thread(target=post, args=(index,)) for index in range(requests_at_once)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            stop([server])
        output = log_path.read_text()
        assert statuses == [200] * len(statuses), f"start {start_number}: {sorted(statuses)}\n{output[-3000:]}"
        assert "Traceback" not in output and "unavailable" not in output, output[-3000:]
    with pg_runtime.db.session() as session:
        stored = session.scalars(select(InboundMessage.provider_id).where(InboundMessage.provider_id.in_(sids))).all()
    assert sorted(stored) == sorted(sids)
