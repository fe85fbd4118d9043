"""The engine only computes: importing it brings in nothing that stores, sends or serves."""
from __future__ import annotations

import json
import subprocess
import sys

IO_PACKAGES = ("requests", "sqlalchemy", "redis", "rq", "flask", "werkzeug", "twilio", "psycopg", "bot.channels", "bot.models", "bot.db")


def test_the_engine_and_the_flow_model_import_nothing_that_does_io():
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, json, bot.engine, bot.flows.model; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True,
    ).stdout
    doing_io = [name for name in json.loads(loaded) if name.split(".")[0] in IO_PACKAGES or name.startswith(IO_PACKAGES)]
    assert doing_io == []
