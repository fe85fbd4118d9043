"""Redis as a municipality runs it: over TLS (``rediss://``, the CA given in the URL) and behind
Sentinel (``REDIS_SENTINELS``). A young person's message is stored, queued, answered and sent
through each, by the real worker code; the servers are Debian's redis-server, started here."""
from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import ConnectionError

from bot.domain.inbound import receive
from bot.runtime import connect_redis

from conftest import SERVER_DATABASE
from helpers import drain, outbox

pytestmark = pytest.mark.parametrize("database_url", [SERVER_DATABASE], indirect=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def started(command: list[str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process
        if process.poll() is not None:
            pytest.fail(f"{command[0]} stopped: {process.stderr.read().decode()}", pytrace=False)
        time.sleep(0.1)
    process.kill()
    pytest.fail(f"{command[0]} did not listen on {port}", pytrace=False)


def certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a certificate for 127.0.0.1 signed by it, as IT would issue them."""
    ca_key, ca, key, request, certificate = (folder / name for name in ("ca.key", "ca.pem", "redis.key", "redis.csr", "redis.pem"))
    run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)  # noqa: E731
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Kommunens test-CA", "-keyout", str(ca_key), "-out", str(ca))
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(request))
    (folder / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    run(
        "x509", "-req", "-in", str(request), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial", "-days", "2",
        "-extfile", str(folder / "san.cnf"), "-out", str(certificate),
    )
    return ca, certificate, key


def a_message_goes_through(runtime, twilio, phone: str) -> None:
    receive(runtime, channel="sms", scheme="tel", address=phone, body="hjælp", provider_id=f"SM{phone[-8:]}")
    drain(runtime)
    assert [message.status for message in outbox(runtime, kind="reply")] == ["queued"], "taken by the provider"
    assert twilio.sent_bodies_to(phone), "the answer reached the provider"


@pytest.fixture
def tls_redis(tmp_path):
    """A Redis that speaks TLS only, with a certificate from the municipality's CA: (port, CA file)."""
    ca, certificate, key = certificates(tmp_path)
    port = free_port()
    server = started(
        ["redis-server", "--port", "0", "--tls-port", str(port), "--tls-cert-file", str(certificate), "--tls-key-file", str(key),
         "--tls-ca-cert-file", str(ca), "--tls-auth-clients", "no", "--save", "", "--appendonly", "no"],
        port,
    )
    yield port, ca
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def sentinel(tmp_path):
    """A Sentinel watching the tests' Redis as the master "ungebot-test": its port."""
    port = free_port()
    config = tmp_path / "sentinel.conf"
    config.write_text(f"port {port}\nbind 127.0.0.1\nsentinel monitor ungebot-test 127.0.0.1 6379 1\nsentinel down-after-milliseconds ungebot-test 5000\n")
    process = started(["redis-server", str(config), "--sentinel"], port)
    yield port
    process.terminate()
    process.wait(timeout=10)


def test_over_tls_with_the_municipalitys_ca(tls_redis, runtime_factory, twilio):
    port, ca = tls_redis
    runtime = runtime_factory(redis_url=f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={ca}")
    assert runtime.redis.ping() and runtime.redis.connection_pool.connection_kwargs.get("ssl_ca_certs") == str(ca)
    a_message_goes_through(runtime, twilio, "+4520990011")
    with pytest.raises(ConnectionError, match="certificate verify failed"):
        Redis.from_url(f"rediss://127.0.0.1:{port}/0", socket_connect_timeout=2).ping()


def test_behind_sentinel_the_master_is_found_by_name(sentinel, runtime_factory, twilio):
    runtime = runtime_factory(redis_url="redis://unused/13", redis_sentinels=f"127.0.0.1:{sentinel}", redis_sentinel_master="ungebot-test")
    assert runtime.redis.ping()
    assert runtime.redis.connection_pool.connection_kwargs["db"] == 13, "the database number from REDIS_URL"
    assert connect_redis(runtime.settings, socket_connect_timeout=2).connection_pool.service_name == "ungebot-test", "the worker's too"
    a_message_goes_through(runtime, twilio, "+4520990022")
