"""docker-compose.yml and the Dockerfile stay consistent with the code (no Docker engine needed)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from pledgeflow.cli.main import app as cli_app
from pledgeflow.config import PROJECT_ROOT, Settings

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
DOCKERFILE = PROJECT_ROOT / "Dockerfile"
SERVICES = {
    "postgresql",
    "temporal-schema",
    "temporal",
    "temporal-namespace",
    "temporal-ui",
    "mailpit",
    "api",
    "worker",
}
ONE_SHOT = {"temporal-schema", "temporal-namespace"}
# Random-looking: production refuses a secret key that repeats one character.
REQUIRED_STAND_IN = "Kq3vN8xZ-2pLw7Rt_Yb5Hm1Jc9Df4Gs6Ae0UiWo"
VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?::?(?P<op>[-?])(?P<arg>[^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def services(compose) -> dict[str, dict[str, Any]]:
    return compose["services"]


def _interpolate(value: str) -> str:
    """What Compose substitutes with no variables set: defaults, and a stand-in for required ones."""

    def substitute(match: re.Match[str]) -> str:
        if match.group("op") == "-":
            return match.group("arg")
        if match.group("op") == "?":
            return REQUIRED_STAND_IN
        return ""

    return VARIABLE.sub(substitute, value)


def _environment(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {key: _interpolate(str(value)) for key, value in environment.items()}


def _cli_path_exists(words: list[str]) -> bool:
    command: Any = typer.main.get_command(cli_app)
    for word in words:
        if word.startswith("-"):
            break
        subcommands = getattr(command, "commands", {})
        if word not in subcommands:
            return False
        command = subcommands[word]
    return True


def test_the_stack_has_every_service(services):
    assert set(services) == SERVICES


def test_every_long_running_service_has_a_healthcheck(services):
    missing = [name for name in SERVICES - ONE_SHOT if not services[name].get("healthcheck", {}).get("test")]
    assert missing == []


def test_dependencies_wait_for_health_or_completion(services):
    for name, service in services.items():
        for target, spec in service.get("depends_on", {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            if target in ONE_SHOT:
                assert spec["condition"] == "service_completed_successfully", (name, target)
            else:
                assert spec["condition"] == "service_healthy", (name, target)
                assert services[target].get("healthcheck"), f"{name} waits for {target}'s health"
    for name in ("api", "worker"):
        assert {"postgresql", "temporal", "temporal-namespace"} <= set(services[name]["depends_on"])


def test_temporal_uses_postgresql_with_the_postgres12_plugin(services):
    temporal = _environment(services["temporal"])
    assert temporal["DB"] == "postgres12"
    assert temporal["POSTGRES_SEEDS"] == "postgresql"
    assert "--plugin postgres12" in services["temporal-schema"]["command"][0]
    assert _environment(services["worker"])["PLEDGEFLOW_TEMPORAL_ADDRESS"] == "temporal:7233"


def test_api_and_worker_are_one_image_built_here(services):
    api, worker = services["api"], services["worker"]
    assert api["build"] == worker["build"] == "."
    assert api["image"] == worker["image"]
    assert api["command"] == ["api"] and worker["command"] == ["worker"]


def test_workers_scale_out(services):
    worker = services["worker"]
    assert "ports" not in worker and "container_name" not in worker, "replicas would clash"
    grace = float(_environment(worker)["PLEDGEFLOW_WORKER_SHUTDOWN_GRACE_SECONDS"])
    assert int(worker["stop_grace_period"].removesuffix("s")) > grace


def test_every_pledgeflow_variable_is_a_setting(services):
    used = {
        key for service in services.values() for key in _environment(service) if key.startswith("PLEDGEFLOW_")
    }
    fields = {f"PLEDGEFLOW_{name.upper()}" for name in Settings.model_fields}
    assert used - fields == set(), "add these to pledgeflow.config.Settings or drop them here"


@pytest.mark.parametrize("service", ["api", "worker"])
def test_the_environment_is_valid_production_settings(services, service, monkeypatch):
    for key in list(os.environ):
        if key.startswith("PLEDGEFLOW_"):
            monkeypatch.delenv(key)
    for key, value in _environment(services[service]).items():
        monkeypatch.setenv(key, value)

    settings = Settings(_env_file=None)

    assert settings.env == "production"
    assert settings.database_url.startswith("postgresql+psycopg://")


def test_the_secrets_must_be_given(compose):
    text = COMPOSE.read_text()
    assert "${PLEDGEFLOW_SECRET_KEY:?" in text
    assert "${POSTGRES_PASSWORD:?" in text
    assert "DEFAULT_SECRET_KEY" not in text


def test_commands_in_the_stack_exist(services):
    healthcheck = services["worker"]["healthcheck"]["test"]
    assert healthcheck[:2] == ["CMD", "pledgeflow"]
    for words in (services["api"]["command"], services["worker"]["command"], healthcheck[2:]):
        assert _cli_path_exists(words), f"`pledgeflow {' '.join(words)}` is not a command"


def test_the_image_runs_as_a_user_and_migrates_before_starting():
    dockerfile = DOCKERFILE.read_text()
    # Two stages: the console's npm assets, then the image that runs (the last FROM).
    stages = re.findall(r"^FROM (\S+)", dockerfile, flags=re.MULTILINE)
    assert stages[-1] == "python:3.11-slim" and len(stages) <= 2
    assert "npm ci" in dockerfile and "COPY --from=assets" in dockerfile
    assert "-c requirements.lock" in dockerfile
    users = re.findall(r"^USER (\S+)", dockerfile, flags=re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    entrypoint = re.search(r"^ENTRYPOINT (.+)$", dockerfile, flags=re.MULTILINE)
    assert entrypoint and "python -m pledgeflow.migrations && exec pledgeflow" in entrypoint.group(1)


def test_the_build_context_leaves_out_secrets_and_local_state():
    lines = (PROJECT_ROOT / ".dockerignore").read_text().splitlines()
    ignored = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    assert {".env", ".venv", "data", ".git"} <= ignored
    for needed in ("templates", "migrations", "alembic.ini", "pyproject.toml", "requirements.lock"):
        assert needed not in ignored
        assert (Path(PROJECT_ROOT) / needed).exists()
