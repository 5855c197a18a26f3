"""The deployment examples stay valid: the Compose file runs PostgreSQL, a migration and two
Harbor processes with their secrets taken from the environment and command lines Harbor
accepts; the systemd unit runs commands Harbor accepts. (No container is started here.)"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from bot.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
SECRET = re.compile(r"TOKEN|PASSWORD|SECRET", re.IGNORECASE)
FROM_ENV = re.compile(r"^\$\{[A-Z_]+(:?[-?][^}]*)?\}$")


def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    assert isinstance(data, dict)
    return data


def test_compose_runs_postgres_and_two_harbor_processes() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "migrate", "gateway", "worker"}
    assert services["postgres"]["image"].startswith("postgres:")
    assert "healthcheck" in services["postgres"]
    for name in ("migrate", "gateway", "worker"):
        svc = services[name]
        assert svc["build"]["dockerfile"] == "deploy/Dockerfile"
        assert (ROOT / "deploy" / svc["build"]["context"] / svc["build"]["dockerfile"]).exists()
        env = svc["environment"]
        assert set(env) == {"HARBOR_DATABASE", "HARBOR_TELEGRAM_TOKEN", "HARBOR_DISCORD_TOKEN"}
        assert env["HARBOR_DATABASE"].startswith("postgresql://harbor:${POSTGRES_PASSWORD")
        assert env["HARBOR_DATABASE"].endswith("@postgres:5432/harbor")
        build_parser().parse_args(svc["command"])  # Harbor accepts the command line
    assert services["gateway"]["command"][:3] == ["run", "--role", "gateway"]
    assert services["worker"]["command"][:3] == ["run", "--role", "worker"]
    assert services["migrate"]["command"][0] == "migrate"
    for name in ("gateway", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully")
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_compose_takes_every_secret_from_the_environment() -> None:
    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if SECRET.search(str(key)) and isinstance(value, str):
                    assert FROM_ENV.match(value), f"{path}.{key} holds a literal secret"
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")
        elif isinstance(node, str) and "://" in node and "@" in node:
            credentials = node.split("://", 1)[1].split("@", 1)[0]
            assert ":" not in credentials or "${" in credentials, f"{path}: a password inline"

    walk(compose(), "compose")


def test_systemd_unit_runs_harbor_commands() -> None:
    text = (ROOT / "deploy" / "harbor.service").read_text()
    fields = dict(
        line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#")
    )
    env = {"HARBOR_ROLE": "all"}
    for key in ("ExecStart", "ExecStartPre"):
        argv = shlex.split(fields[key].replace("${HARBOR_ROLE}", env["HARBOR_ROLE"]))
        assert argv[0].endswith("/harbor")
        build_parser().parse_args(argv[1:])
    assert fields["EnvironmentFile"].startswith("/etc/harbor/")
    assert "TOKEN" not in text.split("[Unit]", 1)[1]  # no secret in the unit itself
    assert fields["RestartPreventExitStatus"].split() == ["2", "3"]
