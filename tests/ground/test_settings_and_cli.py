"""Settings from the environment, and the command line."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlmodel import Session
from typer.testing import CliRunner

from pledgeflow.cli.main import app
from pledgeflow.config import DEFAULT_SECRET_KEY, Settings
from services import users


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("PLEDGEFLOW_SMTP_PORT", "2525")
    monkeypatch.setenv("PLEDGEFLOW_TEMPORAL_ADDRESS", "temporal.example:7233")
    monkeypatch.setenv("PLEDGEFLOW_PUBLIC_BASE_URL", "https://pledges.example/")
    settings = Settings()
    assert settings.smtp_port == 2525 and not settings.embedded_temporal
    assert settings.public_base_url == "https://pledges.example"
    assert settings.database_url.startswith("sqlite:///")


def test_default_secret_is_refused_outside_development():
    assert Settings(env="development").secret_key == DEFAULT_SECRET_KEY
    for env in ("production", "test"):
        with pytest.raises(ValidationError, match="SECRET_KEY"):
            Settings(env=env)
    with pytest.raises(ValidationError, match="32 characters"):
        Settings(env="production", secret_key="short")


def test_token_create_prints_a_token_that_authenticates(cli_db):
    result = CliRunner().invoke(
        app, ["token", "create", "--email", "Auditor@Example.org", "--role", "auditor"]
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()  # the expiry is told on stderr
    assert token.startswith("pf_")
    with Session(cli_db) as session:
        user = users.authenticate(session, token)
        assert (user.email, user.role.value) == ("auditor@example.org", "auditor")


def test_token_create_refuses_a_bad_email(cli_db):
    result = CliRunner().invoke(app, ["token", "create", "--email", "not an email"])
    assert result.exit_code == 2 and "--email" in result.output
