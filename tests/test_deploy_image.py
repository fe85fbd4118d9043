"""What the container image and the systemd units start, tried as plain processes (no container
runtime runs on this machine): the package as pip installs it holds every file the app reads, and
each process the image and the units name starts from the installed command with its secrets in
files."""
from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import requests
import yaml
from test_concurrency import environment, start, stop

PROJECT = Path(__file__).resolve().parent.parent


def test_the_installed_package_has_every_template_stylesheet_script_and_migration(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(PROJECT)],
        capture_output=True, text=True, timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("ungebot-*.whl")
    packaged = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(["git", "ls-files", "bot", "handlers"], cwd=PROJECT, capture_output=True, text=True, check=True).stdout.split()
    assert tracked, "a git checkout"
    missing = [path for path in tracked if path not in packaged]
    assert missing == [], "pip install . would leave these out (pyproject.toml package-data)"


def test_the_image_runs_the_ungebot_command_as_an_unprivileged_user():
    dockerfile = (PROJECT / "Dockerfile").read_text()
    assert re.search(r"^USER ungebot$", dockerfile, re.MULTILINE), "not root"
    assert 'ENTRYPOINT ["ungebot"]' in dockerfile and 'CMD ["web"]' in dockerfile
    assert "--require-hashes -r requirements.lock" in dockerfile, "the lock file's versions"
    compose = yaml.safe_load((PROJECT / "compose.yaml").read_text())
    commands = {name: service.get("command") for name, service in compose["services"].items() if service.get("build") or service.get("image") == "ungebot"}
    assert {tuple(command) for command in commands.values() if command} >= {("web",), ("worker",), ("scheduler",), ("db", "upgrade")}
    redis = " ".join(compose["services"]["redis"]["command"])
    assert "--appendonly yes" in redis and "--maxmemory-policy noeviction" in redis


def test_the_systemd_units_are_valid_for_systemd(tmp_path):
    units = sorted((PROJECT / "deploy" / "systemd").glob("*.service"))
    assert {unit.name for unit in units} == {"ungebot-migrate.service", "ungebot-web.service", "ungebot-worker@.service", "ungebot-scheduler.service"}
    for unit in units:  # where the venv really is, so systemd can check the commands exist
        (tmp_path / unit.name).write_text(unit.read_text().replace("/opt/ungebot/.venv/bin/ungebot", str(Path(sys.executable).parent / "ungebot")))
        text = unit.read_text()
        assert "User=ungebot" in text and "NoNewPrivileges=yes" in text
        assert "CASE_PRIVATE_KEY" not in text or unit.name == "ungebot-worker@.service", "only workers open sealed addresses"
        if unit.name != "ungebot-migrate.service":
            assert "Requires=ungebot-migrate.service" in text and "After=ungebot-migrate.service" in text, "the schema first"
    names = [unit.name.replace("@.service", "@1.service") for unit in units]
    verified = subprocess.run(["systemd-analyze", "verify", "--man=no", *names], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0 and verified.stderr.strip() == "", verified.stderr


def test_each_process_starts_from_the_installed_command_with_its_secrets_in_files(runtime, tmp_path):
    """As the image's entrypoint and the units start them: `ungebot db upgrade`, then web, worker
    and scheduler, every secret from a file; `ungebot status` says all is well."""
    env = environment(runtime)
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    for name in ("DATABASE_URL", "SECRET_KEY", "TWILIO_AUTH_TOKEN"):
        (secrets / name.lower()).write_text(env.pop(name) + "\n")
        env[f"{name}_FILE"] = str(secrets / name.lower())
    ungebot = str(Path(sys.executable).parent / "ungebot")
    upgraded = subprocess.run([ungebot, "db", "upgrade"], env=env, capture_output=True, text=True, timeout=120)
    assert upgraded.returncode == 0, upgraded.stderr
    port = 5000 + int(runtime.queue_prefix[-4:], 16) % 1000
    processes = [start(["web", "--port", str(port), "--workers", "1"], env), start(["worker"], env), start(["scheduler"], env)]
    try:
        deadline = time.monotonic() + 60
        healthy = status = None
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                healthy = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json()
            status = subprocess.run([ungebot, "status"], env=env, capture_output=True, text=True, timeout=60)
            if healthy and status.returncode == 0:
                break
            time.sleep(0.5)
        assert healthy == {"status": "ok", "database": "ok", "redis": "ok"}
        assert status is not None and status.returncode == 0, status.stdout + status.stderr
    finally:
        stop(processes)
