"""API tokens: listed, created and revoked per user (API and command line); expired or revoked: 401."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlmodel import Session
from typer.testing import CliRunner

from api.app import create_app
from models.common import utcnow
from models.user import ApiToken, Role
from pledgeflow.cli.main import app as cli_app
from pledgeflow.config import get_settings
from pledgeflow.db import get_engine, session_scope
from pledgeflow.errors import Unauthorized
from services import users
from tests import factories


@pytest_asyncio.fixture
async def api(settings, db) -> AsyncIterator[httpx.AsyncClient]:
    async def no_temporal():
        raise AssertionError("token routes never reach Temporal")

    short_lived = settings.model_copy(update={"api_token_days": 7})
    application = create_app(short_lived, engine=db, connect_temporal=no_temporal)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application), base_url="http://testserver"
    ) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: httpx.Response, status: int, detail: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    if detail is not None:
        assert body["detail"] == detail
    return body


async def test_a_token_made_through_the_api_is_shown_once_and_expires_by_default(api, db):
    user, token = factories.coordinator(db, email="amina@wco.example")
    before = utcnow()
    created = await api.post("/tokens", json={"label": "laptop"}, headers=bearer(token))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["token"].startswith("pf_") and body["prefix"] == body["token"][:10]
    assert (body["user_id"], body["user_email"], body["label"], body["state"]) == (
        user.id,
        "amina@wco.example",
        "laptop",
        "active",
    )
    with Session(db) as session:
        stored = session.get(ApiToken, body["id"])
        assert stored is not None and stored.expires_at is not None
        assert timedelta(days=7) <= stored.expires_at - before < timedelta(days=7, seconds=30)
        assert stored.token_hash == users.hash_token(body["token"])

    listed = (await api.get("/tokens", headers=bearer(body["token"]))).json()
    assert [t["label"] for t in listed] == ["laptop", "test"]
    assert all("token" not in t and "token_hash" not in t for t in listed)

    longer = await api.post("/tokens", json={"expires_in_days": 30}, headers=bearer(token))
    [made] = [
        t for t in (await api.get("/tokens", headers=bearer(token))).json() if t["id"] == longer.json()["id"]
    ]
    assert made["expires_at"] == longer.json()["expires_at"]
    with Session(db) as session:
        stored = session.get(ApiToken, made["id"])
        assert stored is not None and stored.expires_at is not None
        assert timedelta(days=30) <= stored.expires_at - before < timedelta(days=30, seconds=30)


async def test_coordinators_see_and_revoke_only_their_own_tokens(api, db):
    _, alice = factories.coordinator(db, email="alice@wco.example")
    _, bob = factories.coordinator(db, email="bob@wco.example")
    _, admin = factories.coordinator(db, email="admin@wco.example", role=Role.admin)
    alice_second = (await api.post("/tokens", json={"label": "ci"}, headers=bearer(alice))).json()

    bobs = (await api.get("/tokens", headers=bearer(bob))).json()
    assert [t["user_email"] for t in bobs] == ["bob@wco.example"]
    assert_problem(
        await api.delete(f"/tokens/{alice_second['id']}", headers=bearer(bob)),
        404,
        f"token {alice_second['id']} does not exist",
    )
    assert (await api.get("/tokens", headers=bearer(alice_second["token"]))).status_code == 200

    everyone = (await api.get("/tokens", headers=bearer(admin))).json()
    assert sorted({t["user_email"] for t in everyone}) == [
        "admin@wco.example",
        "alice@wco.example",
        "bob@wco.example",
    ]

    assert (await api.delete(f"/tokens/{alice_second['id']}", headers=bearer(alice))).status_code == 204
    assert_problem(
        await api.get("/tokens", headers=bearer(alice_second["token"])), 401, "the bearer token was revoked"
    )
    # Revoking again changes nothing; the holder's other token still works.
    assert (await api.delete(f"/tokens/{alice_second['id']}", headers=bearer(alice))).status_code == 204
    states = {t["label"]: t["state"] for t in (await api.get("/tokens", headers=bearer(alice))).json()}
    assert states == {"ci": "revoked", "test": "active"}

    [bobs_token] = bobs
    assert (await api.delete(f"/tokens/{bobs_token['id']}", headers=bearer(admin))).status_code == 204
    assert_problem(await api.get("/tokens", headers=bearer(bob)), 401, "the bearer token was revoked")


async def test_an_expired_token_gets_401(api, db):
    user, token = factories.coordinator(db, email="late@wco.example")
    with session_scope(db) as session:
        [stored] = users.list_tokens(session, owner=user)
        row = session.get(ApiToken, stored.id)
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
    assert_problem(
        await api.get("/tokens", headers=bearer(token)), 401, "the bearer token has expired; make a new one"
    )
    assert_problem(await api.get("/tokens", headers=bearer("pf_unknown")), 401, "the bearer token is unknown")


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/tokens", {"expires_in_days": 0}, "expires_in_days"),
        ("POST", "/tokens", {"expires_in_days": 3651}, "expires_in_days"),
        ("POST", "/tokens", {"label": "x" * 201}, "label"),
        ("DELETE", "/tokens/99999999999999999999999", None, "token_id"),
    ],
)
async def test_bad_token_requests_name_the_field(api, db, method, path, body, field):
    _, token = factories.coordinator(db)
    response = await api.request(method, path, json=body, headers=bearer(token))
    problem = assert_problem(response, 422)
    assert field in [e["field"] for e in problem["errors"]], problem


@pytest.fixture
def cli_env(monkeypatch, database_url, db):
    monkeypatch.setenv("PLEDGEFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("PLEDGEFLOW_ENV", "test")
    monkeypatch.setenv("PLEDGEFLOW_SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield
    get_settings.cache_clear()
    get_engine.cache_clear()


def test_tokens_are_listed_revoked_and_expire_from_the_command_line(cli_env, db):
    runner = CliRunner()
    made = runner.invoke(
        cli_app, ["token", "create", "--email", "Ops@WCO.example", "--expires-in-days", "3", "--label", "ops"]
    )
    assert made.exit_code == 0, made.output
    plain = made.stdout.strip()
    assert plain.startswith("pf_") and "expires" in made.stderr

    listed = runner.invoke(cli_app, ["token", "list", "--json", "--email", "ops@wco.example"])
    [row] = json.loads(listed.stdout)
    assert (row["user_email"], row["label"], row["state"], row["prefix"]) == (
        "ops@wco.example",
        "ops",
        "active",
        plain[:10],
    )
    with Session(db) as session:
        stored = session.get(ApiToken, row["id"])
        assert stored is not None and stored.expires_at is not None
        assert timedelta(days=3) - timedelta(seconds=30) < stored.expires_at - utcnow() <= timedelta(days=3)
        assert users.authenticate(session, plain).email == "ops@wco.example"

    refused = runner.invoke(
        cli_app, ["token", "create", "--email", "ops@wco.example", "--expires-in-days", "0"]
    )
    assert refused.exit_code == 2 and "--expires-in-days" in refused.output

    revoked = runner.invoke(cli_app, ["token", "revoke", str(row["id"])])
    assert (revoked.exit_code, revoked.stdout) == (0, f"token {row['id']} ({plain[:10]}…) revoked\n")
    text = runner.invoke(cli_app, ["token", "list"]).stdout
    assert text.startswith(f"#{row['id']:<5} revoked ")
    with Session(db) as session, pytest.raises(Unauthorized, match="revoked"):
        users.authenticate(session, plain)
    unknown = runner.invoke(cli_app, ["token", "revoke", "999999"])
    assert (unknown.exit_code, unknown.stderr) == (
        2,
        "error: token 999999 does not exist\n  id: unknown token\n",
    )
