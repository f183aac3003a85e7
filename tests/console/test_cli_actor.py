"""`pledgeflow --as EMAIL` (or PLEDGEFLOW_ACTOR_EMAIL): the audit log names the person, as the
console does; without it, cli:<login name> as before."""

from __future__ import annotations

import getpass

import pytest
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from models.audit import AuditEntry
from models.user import ApiToken, Role
from pledgeflow.cli.main import app
from pledgeflow.config import get_settings
from pledgeflow.db import get_engine, session_scope
from services import staff, users


@pytest.fixture
def cli_db(monkeypatch, database_url, db):
    monkeypatch.setenv("PLEDGEFLOW_DATABASE_URL", database_url)
    monkeypatch.delenv("PLEDGEFLOW_ACTOR_EMAIL", raising=False)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield db
    get_settings.cache_clear()
    get_engine.cache_clear()


def _token(db, email: str = "ada@console.example", role: Role = Role.admin) -> tuple[int, int]:
    with session_scope(db) as session:
        user = users.get_or_create_user(session, email=email, name="Ada", role=role, actor="test")
        _, token = users.create_token(session, user=user, label="t", actor="test")
        return user.id or 0, token.id or 0


def _revoked_by(db) -> list[str]:
    with Session(db) as session:
        entries = session.exec(
            select(AuditEntry).where(AuditEntry.kind == "token.revoked").order_by(col(AuditEntry.seq))
        )
        return [e.actor for e in entries]


def test_as_names_the_person_in_the_audit_log(cli_db):
    user_id, token_id = _token(cli_db)
    result = CliRunner().invoke(app, ["--as", "Ada@Console.example", "token", "revoke", str(token_id)])
    assert result.exit_code == 0, result.output
    assert _revoked_by(cli_db) == [f"user:{user_id}:ada@console.example"]


def test_the_environment_names_the_person_too(cli_db, monkeypatch):
    user_id, token_id = _token(cli_db)
    monkeypatch.setenv("PLEDGEFLOW_ACTOR_EMAIL", "ada@console.example")
    result = CliRunner().invoke(app, ["token", "revoke", str(token_id)])
    assert result.exit_code == 0, result.output
    assert _revoked_by(cli_db) == [f"user:{user_id}:ada@console.example"]


def test_without_as_the_actor_is_the_login_name(cli_db):
    _, token_id = _token(cli_db)
    result = CliRunner().invoke(app, ["token", "revoke", str(token_id)])
    assert result.exit_code == 0, result.output
    assert _revoked_by(cli_db) == [f"cli:{getpass.getuser()}"]


def test_an_unknown_or_deactivated_person_cannot_act(cli_db):
    user_id, token_id = _token(cli_db)
    with session_scope(cli_db) as session:
        other = users.get_or_create_user(
            session, email="leo@console.example", name="Leo", role=Role.coordinator, actor="t"
        )
        me = session.get(type(other), user_id)
        assert me is not None
        staff.deactivate(session, person=other, by=me, actor="test")
    unknown = CliRunner().invoke(app, ["--as", "nobody@console.example", "token", "revoke", str(token_id)])
    gone = CliRunner().invoke(app, ["--as", "leo@console.example", "token", "revoke", str(token_id)])
    assert (
        unknown.exit_code == 2
        and "no one in pledgeflow has the address nobody@console.example" in unknown.output
    )
    assert gone.exit_code == 2 and "leo@console.example was deactivated" in gone.output
    with Session(cli_db) as session:
        token = session.get(ApiToken, token_id)
        assert token is not None and token.revoked_at is None
