"""Sharing a campaign over the API: GET/POST /campaigns/{id}/shares, DELETE .../shares/{user_id}."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from sqlmodel import col, select

from models.audit import AuditEntry
from models.user import Role
from pledgeflow.db import session_scope
from tests import factories
from tests.campaigns.test_api import assert_problem, bearer
from tests.helpers import app_without_temporal, asgi_client


@pytest_asyncio.fixture
async def api(settings, db) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app_without_temporal(settings, db, why="sharing needs no workflow")) as client:
        yield client


async def _campaign(api: httpx.AsyncClient, token: str) -> int:
    created = await api.post(
        "/campaigns", json={"title": "Ghana pact", "region": "GH"}, headers=bearer(token)
    )
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


async def test_a_coordinator_sees_a_campaign_only_once_it_is_shared_with_them(api, db):
    _, owner = factories.coordinator(db, "a@wco.example")
    b_user, b = factories.coordinator(db, "b@wco.example")
    campaign_id = await _campaign(api, owner)

    assert (await api.get(f"/campaigns/{campaign_id}", headers=bearer(b))).status_code == 404
    assert [c["id"] for c in (await api.get("/campaigns", headers=bearer(b))).json()] == []

    added = await api.post(
        f"/campaigns/{campaign_id}/shares", json={"email": "B@wco.example"}, headers=bearer(owner)
    )
    assert added.status_code == 201, added.text
    assert added.json()["user_id"] == b_user.id and added.json()["email"] == "b@wco.example"

    assert (await api.get(f"/campaigns/{campaign_id}", headers=bearer(b))).status_code == 200
    assert [c["id"] for c in (await api.get("/campaigns", headers=bearer(b))).json()] == [campaign_id]
    listed = (await api.get(f"/campaigns/{campaign_id}/shares", headers=bearer(b))).json()
    assert [s["email"] for s in listed] == ["b@wco.example"]

    removed = await api.delete(f"/campaigns/{campaign_id}/shares/{b_user.id}", headers=bearer(owner))
    assert removed.status_code == 204
    assert (await api.get(f"/campaigns/{campaign_id}", headers=bearer(b))).status_code == 404

    with session_scope(db) as session:
        kinds = session.exec(
            select(AuditEntry.kind, AuditEntry.data)
            .where(col(AuditEntry.kind).in_(["campaign.shared", "campaign.unshared"]))
            .order_by(col(AuditEntry.id))
        ).all()
    assert [k for k, _ in kinds] == ["campaign.shared", "campaign.unshared"]
    assert all(d["user_id"] == b_user.id for _, d in kinds)


async def test_only_active_coordinators_and_admins_can_be_added(api, db):
    _, owner = factories.coordinator(db, "a@wco.example")
    factories.coordinator(db, "rev@wco.example", role=Role.reviewer)
    campaign_id = await _campaign(api, owner)
    for email, reason in (
        ("nobody@wco.example", "nobody@wco.example is not an active coordinator or admin"),
        ("rev@wco.example", "rev@wco.example is not an active coordinator or admin"),
        ("a@wco.example", "a@wco.example owns this campaign"),
    ):
        answer = await api.post(
            f"/campaigns/{campaign_id}/shares", json={"email": email}, headers=bearer(owner)
        )
        body = assert_problem(answer, 422, "email")
        assert body["errors"][0]["reason"] == reason
    bad = await api.post(
        f"/campaigns/{campaign_id}/shares", json={"email": "not-an-email"}, headers=bearer(owner)
    )
    assert_problem(bad, 422, "email")


async def test_a_co_coordinator_cannot_share_further_nor_remove(api, db):
    _, owner = factories.coordinator(db, "a@wco.example")
    b_user, b = factories.coordinator(db, "b@wco.example")
    factories.coordinator(db, "c@wco.example")
    campaign_id = await _campaign(api, owner)
    await api.post(f"/campaigns/{campaign_id}/shares", json={"email": "b@wco.example"}, headers=bearer(owner))

    onward = await api.post(
        f"/campaigns/{campaign_id}/shares", json={"email": "c@wco.example"}, headers=bearer(b)
    )
    assert_problem(onward, 403)
    assert_problem(await api.delete(f"/campaigns/{campaign_id}/shares/{b_user.id}", headers=bearer(b)), 403)
    assert_problem(await api.delete(f"/campaigns/{campaign_id}/shares/999", headers=bearer(owner)), 404)

    _, admin = factories.coordinator(db, "admin@wco.example", role=Role.admin)
    by_admin = await api.post(
        f"/campaigns/{campaign_id}/shares", json={"email": "c@wco.example"}, headers=bearer(admin)
    )
    assert by_admin.status_code == 201
    names = [
        s["email"] for s in (await api.get(f"/campaigns/{campaign_id}/shares", headers=bearer(owner))).json()
    ]
    assert names == ["b@wco.example", "c@wco.example"]
