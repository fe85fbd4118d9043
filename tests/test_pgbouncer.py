"""PgBouncer in transaction pooling (Debian's package), in front of the test PostgreSQL: the core
of the suite runs through it with DATABASE_PREPARED_STATEMENTS=off, as docs/operations.md says to
run it. (psycopg prepares statements on the server; in transaction pooling the next transaction
may get another server connection, where they do not exist.)"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from conftest import POSTGRES_ADMIN_URL, PROJECT

# Through a pool of server connections shared by transactions: planning, replies, cases, queueing.
CORE = ["tests/test_reminders.py", "tests/test_api_reminders.py", "tests/test_cases.py", "tests/test_queueing.py", "tests/test_day_plan.py"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def pgbouncer():
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(binary).exists():
        pytest.fail("PgBouncer is needed: apt-get install pgbouncer", pytrace=False)
    server = make_url(POSTGRES_ADMIN_URL)
    port = free_port()
    # PgBouncer will not run as root: as root, it is started as postgres, which must read this.
    folder = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    folder.chmod(0o755)
    (folder / "users.txt").write_text(f'"{server.username}" ""\n')
    (folder / "pgbouncer.ini").write_text(
        f"""[databases]
* = host={server.host} port={server.port or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder / "users.txt"}
pool_mode = transaction
default_pool_size = 4
max_client_conn = 200
ignore_startup_parameters = extra_float_digits,options
"""
    )
    for made in folder.iterdir():
        made.chmod(0o644)
    as_user = ["-u", "postgres"] if os.geteuid() == 0 else []
    process = subprocess.Popen([binary, *as_user, str(folder / "pgbouncer.ini")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    try:
        yield server.set(port=port)
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder)


def test_the_core_of_the_suite_runs_through_pgbouncer_in_transaction_pooling(pgbouncer):
    env = {
        **os.environ,
        "UNGEBOT_TEST_POSTGRES_URL": pgbouncer.render_as_string(hide_password=False),
        "UNGEBOT_TEST_DATABASES": "postgresql",
        "DATABASE_PREPARED_STATEMENTS": "off",
    }
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", *CORE], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=900
    )
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in summary and "failed" not in summary, summary
