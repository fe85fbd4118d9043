"""Configuration errors stop the program with one line that names the variable."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

PROJECT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"TIMEZONE": "Mars/Olympus"}, "TIMEZONE: 'Mars/Olympus' is not an IANA time zone"),
        ({"QUIET_HOURS": "late"}, "QUIET_HOURS: must look like 21:00-08:00, or be 'off'"),
        ({"QUIET_HOURS": "25:00-08:00"}, "QUIET_HOURS:"),
        ({"PORT": "http"}, "PORT:"),
        ({"PORT": "70000"}, "PORT:"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL: must be a sqlite:/// or postgresql:// URL"),
        ({"REDIS_URL": "localhost"}, "REDIS_URL:"),
        ({"TWILIO_API_URL": "api.twilio.com"}, "TWILIO_API_URL: 'api.twilio.com' is not an http(s) URL"),
        ({"TWILIO_ACCOUNT_SID": "AC123"}, "TWILIO_ACCOUNT_SID: must be 'AC' followed by 32 hexadecimal characters"),
        ({"TWILIO_ACCOUNT_SID": "AC" + "1" * 32}, "TWILIO_AUTH_TOKEN: required when TWILIO_ACCOUNT_SID is set"),
        ({"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "x"}, "TWILIO_FROM_NUMBER: set it or TWILIO_MESSAGING_SERVICE_SID"),
        ({"TWILIO_FROM_NUMBER": "nope"}, "TWILIO_FROM_NUMBER: not a phone number"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL: must be one of"),
        ({"REDIS_SENTINELS": "sentinel1.kommune.local"}, "REDIS_SENTINELS: 'sentinel1.kommune.local' is not host:port (e.g. sentinel1.kommune.local:26379)"),
    ],
)
def test_a_bad_setting_names_its_variable(monkeypatch, env, expected):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert str(error.value).startswith(expected)
    assert "\n" not in str(error.value)


def test_defaults_need_no_configuration(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.timezone == "Europe/Copenhagen" and settings.port == 5000 and settings.twilio_api_url == "https://api.twilio.com"
    assert settings.sqlalchemy_url.startswith("sqlite:///") and settings.quiet_window is not None
    assert load_settings(quiet_hours="off").quiet_window is None
    assert load_settings(database_url="postgres://u@h/db").sqlalchemy_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize("command", [["-m", "bot.cli", "worker"], ["-m", "bot.cli", "web"], ["-c", "import app"]])
def test_the_programs_stop_with_one_clear_line(command):
    env = {**os.environ, "TIMEZONE": "Europe/Atlantis"}
    result = subprocess.run([sys.executable, *command], capture_output=True, text=True, cwd=PROJECT, env=env, timeout=60)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines == ["ungebot: configuration error: TIMEZONE: 'Europe/Atlantis' is not an IANA time zone such as Europe/Copenhagen"]


def test_secrets_come_from_files_as_docker_and_systemd_hand_them_over(monkeypatch, tmp_path):
    token = tmp_path / "twilio_auth_token"
    token.write_text("s3cret-from-a-file\n")
    database = tmp_path / "database_url"
    database.write_text("postgresql://ungebot@db/ungebot")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN_FILE", str(token))
    monkeypatch.setenv("DATABASE_URL_FILE", str(database))
    settings = load_settings()
    assert settings.twilio_auth_token == "s3cret-from-a-file", "the final newline is not part of it"
    assert settings.sqlalchemy_url == "postgresql+psycopg://ungebot@db/ungebot"


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"SECRET_KEY_FILE": "/nowhere/secret_key"}, "SECRET_KEY_FILE: cannot read /nowhere/secret_key: No such file or directory"),
        ({"SECRET_KEY_FILE": "{file}", "SECRET_KEY": "too"}, "SECRET_KEY_FILE: SECRET_KEY is set as well; give it one way"),
    ],
)
def test_a_secret_file_that_cannot_be_used_names_its_variable(monkeypatch, tmp_path, env, expected):
    secret = tmp_path / "secret_key"
    secret.write_text("x")
    for key, value in env.items():
        monkeypatch.setenv(key, value.format(file=secret))
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert str(error.value) == expected
