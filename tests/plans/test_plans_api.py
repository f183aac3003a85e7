"""The plans API: programmes, per-user plans, revise after approval, submit and approve (audited)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from sqlmodel import select

from models.audit import AuditEntry
from models.organisation import OrganisationCreate, OrganisationKind
from models.user import Role
from pledgeflow.db import session_scope
from services import organisations
from tests import factories
from tests.conftest import TEST_SECRET
from tests.helpers import app_without_temporal, asgi_client, settings_without_temporal

CONTENT = {
    "measures": [
        {
            "key": "M1",
            "title": "Publish clearance fees online",
            "factors": ["transparency", 4],
            "uncac": ["art. 10"],
            "starts_on": "2027-01-01",
            "ends_on": "2028-12-31",
            "milestones": [{"key": "M1.1", "title": "Fees portal live", "due_on": "2027-06-30"}],
            "indicators": [
                {
                    "key": "I1",
                    "name": "Fees published",
                    "unit": "%",
                    "baseline_value": 20,
                    "baseline_on": "2026-12-31",
                    "targets": [{"by": "2028-12-31", "value": 100}],
                }
            ],
        }
    ]
}


@pytest_asyncio.fixture
async def api(database_url, db) -> AsyncIterator[httpx.AsyncClient]:
    app = app_without_temporal(
        settings_without_temporal(database_url, TEST_SECRET), db, why="plans do not need Temporal"
    )
    async with asgi_client(app) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def make_plan(api, db) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """A programme (by an admin), a coordinator's draft plan; the plan and both tokens."""
    _, admin = factories.coordinator(db, email="admin@wco.example", role=Role.admin)
    owner, coordinator = factories.coordinator(db)
    made = await api.post(
        "/programmes",
        json={"slug": "a-cip", "name": "A-CIP", "countries": ["GH", "KE"]},
        headers=bearer(admin),
    )
    assert made.status_code == 201, made.text
    assert made.json()["countries"] == ["GH", "KE"]
    with session_scope(db) as session:
        customs = organisations.create(
            session,
            data=OrganisationCreate(
                name="Ghana Customs", kind=OrganisationKind.customs_administration, country="GH"
            ),
            actor="test",
            owner_id=owner.id,
        )
        organisation_id = customs.id
    created = await api.post(
        "/plans",
        json={
            "programme": "a-cip",
            "organisation_id": organisation_id,
            "title": "Ghana integrity plan",
            "starts_on": "2027-01-01",
            "ends_on": "2029-12-31",
            "content": CONTENT,
        },
        headers=bearer(coordinator),
    )
    assert created.status_code == 201, created.text
    return created.json(), bearer(admin), bearer(coordinator)


async def test_a_coordinator_cannot_read_or_change_another_coordinators_plan(api, db):
    plan, _, _ = await make_plan(api, db)
    _, other = factories.coordinator(db, email="other@wco.example")
    assert (await api.get(f"/plans/{plan['id']}", headers=bearer(other))).status_code == 404
    put = await api.put(
        f"/plans/{plan['id']}/content", json={"content": CONTENT, "reason": "x"}, headers=bearer(other)
    )
    assert put.status_code == 404
    assert (await api.post(f"/plans/{plan['id']}/submit", headers=bearer(other))).status_code == 404
    assert (await api.get("/plans", headers=bearer(other))).json() == []


async def test_a_reviewer_approves_the_author_cannot_and_approval_is_audited(api, db):
    plan, _, coordinator = await make_plan(api, db)
    assert (await api.post(f"/plans/{plan['id']}/submit", headers=coordinator)).status_code == 200
    own = await api.post(f"/plans/{plan['id']}/approve", headers=coordinator)
    assert own.status_code == 403, own.text
    _, reviewer = factories.coordinator(db, email="reviewer@wco.example", role=Role.reviewer)
    approved = await api.post(f"/plans/{plan['id']}/approve", headers=bearer(reviewer))
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["approved_version"] == 1
    with session_scope(db) as session:
        kinds = [e.kind for e in session.exec(select(AuditEntry)).all()]
    assert {"plan.created", "plan.submitted", "plan.approved"} <= set(kinds)


async def test_a_revision_after_approval_is_version_2_with_its_reason(api, db):
    plan, _, coordinator = await make_plan(api, db)
    await api.post(f"/plans/{plan['id']}/submit", headers=coordinator)
    _, reviewer = factories.coordinator(db, email="reviewer@wco.example", role=Role.reviewer)
    await api.post(f"/plans/{plan['id']}/approve", headers=bearer(reviewer))
    changed = {"measures": [{**CONTENT["measures"][0], "title": "Publish every fee online"}]}
    no_reason = await api.put(f"/plans/{plan['id']}/content", json={"content": changed}, headers=coordinator)
    assert no_reason.status_code == 422
    revised = await api.put(
        f"/plans/{plan['id']}/content",
        json={"content": changed, "reason": "wider scope"},
        headers=coordinator,
    )
    assert revised.status_code == 200, revised.text
    body = revised.json()
    assert body["current_version"] == 2 and body["approved_version"] == 1
    assert [v["reason"] for v in body["versions"]] == ["first version", "wider scope"]
    assert body["content"]["measures"][0]["title"] == "Publish every fee online"
