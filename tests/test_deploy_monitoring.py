"""The alert rules and the dashboard in deploy/: valid for Prometheus (promtool, from Debian's
package, which CI installs), tested alert by alert, and about metrics that /metrics really has."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.web import create_app

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
RULES = DEPLOY / "prometheus" / "ungebot.rules.yml"
DASHBOARD = DEPLOY / "grafana" / "ungebot-dashboard.json"


def promtool(*args: str) -> subprocess.CompletedProcess:
    tool = shutil.which("promtool")
    if tool is None:
        pytest.fail("promtool is needed: apt-get install prometheus", pytrace=False)
    return subprocess.run([tool, *args], cwd=RULES.parent, capture_output=True, text=True, timeout=60)


def test_the_alert_rules_are_valid_and_each_alert_fires_when_it_should():
    checked = promtool("check", "rules", RULES.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", "ungebot.rules.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def metric_names(expression: str) -> set[str]:
    return set(re.findall(r"\b(ungebot_[a-z_]+)", expression))


def test_rules_and_dashboard_name_only_metrics_that_exist(runtime):
    client = create_app(runtime).test_client()
    client.get("/healthz")
    declared = [line.split()[2:4] for line in client.get("/metrics").get_data(as_text=True).splitlines() if line.startswith("# TYPE ungebot_")]
    exposed = {name if kind != "counter" or name.endswith("_total") else f"{name}_total" for name, kind in declared}
    rules = [rule["expr"] for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]
    panels = [target["expr"] for panel in json.loads(DASHBOARD.read_text())["panels"] for target in panel["targets"]]
    used = set().union(*(metric_names(expression) for expression in rules + panels))
    assert used and used <= exposed, used - exposed


def test_every_dashboard_query_parses(tmp_path):
    panels = json.loads(DASHBOARD.read_text())["panels"]
    queries = [target["expr"] for panel in panels for target in panel["targets"]]
    # promtool parses PromQL in rule files: each query becomes a recording rule for the check.
    recording = {"groups": [{"name": "dashboard", "rules": [{"record": f"dashboard:query{n}", "expr": q} for n, q in enumerate(queries)]}]}
    (tmp_path / "dashboard.rules.yml").write_text(yaml.safe_dump(recording))
    checked = promtool("check", "rules", str(tmp_path / "dashboard.rules.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert len({panel["id"] for panel in panels}) == len(panels) and all(panel["title"] for panel in panels)
