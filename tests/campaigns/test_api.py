"""The JSON API: records, launch, progress, and one error shape everywhere."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio

from api.app import create_app
from tests import factories
from tests.helpers import eventually, running_workers


@pytest_asyncio.fixture
async def api(ts_env, settings, db) -> AsyncIterator[httpx.AsyncClient]:
    async def connect():
        return ts_env.client

    app = create_app(settings, engine=db, connect_temporal=connect)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert {"type", "title", "status", "detail", "errors"} <= set(body)
    assert body["status"] == status
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


async def test_coordinator_builds_and_launches_a_campaign(api, ts_env, settings, db, mailbox):
    _, token = factories.coordinator(db)
    auth = bearer(token)
    org = (
        await api.post(
            "/organisations",
            json={"name": "Ghana Freight Forwarders", "kind": "freight_forwarder", "country": "gh"},
            headers=auth,
        )
    ).json()
    assert org["country"] == "GH"
    contact = await api.post(
        "/contacts",
        json={
            "organisation_id": org["id"],
            "name": "Efua Asante",
            "email": "Efua@GFF.example",
            "locale": "fr",
        },
        headers=auth,
    )
    assert contact.status_code == 201 and contact.json()["email"] == "efua@gff.example"
    campaign = (
        await api.post(
            "/campaigns",
            json={
                "title": "Tema port pact",
                "region": "GH",
                "timezone": "Africa/Accra",
                # Any hour of the test run is a working hour (quiet hours: tests/chasing/test_quiet_hours.py).
                "policy": {"quiet_hours": {"enabled": False}},
            },
            headers=auth,
        )
    ).json()
    cid = campaign["id"]
    assert campaign["status"] == "draft" and campaign["coordinator_email"] == "coordinator@wco.example"
    pledge = await api.put(
        f"/campaigns/{cid}/pledge", json=factories.PLEDGE.model_dump(mode="json"), headers=auth
    )
    assert pledge.status_code == 201 and len(pledge.json()["sha256"]) == 64
    invitees = await api.post(
        f"/campaigns/{cid}/invitees", json={"invitees": [{"organisation_id": org["id"]}]}, headers=auth
    )
    assert invitees.status_code == 201 and invitees.json()[0]["contact_name"] == "Efua Asante"
    async with running_workers(ts_env.client, settings, db):
        # The pledge is English only: its French reader gets that text, accepted as such.
        launch = {"accept_fallback_languages": ["fr"]}
        launched = await api.post(f"/campaigns/{cid}/launch", json=launch, headers=auth)
        assert launched.status_code == 202 and launched.json()["campaign"]["status"] == "launched"
        mails = await mailbox.wait_for_async(1)
        assert "Invitation à signer" in mails[0].subject  # the contact's locale
        again = await api.post(f"/campaigns/{cid}/launch", headers=auth)
        assert again.status_code == 202
        progress = await eventually(
            lambda: api.get(f"/campaigns/{cid}/progress", headers=auth), lambda r: r.json()["invited"] == 1
        )
        assert progress.json()["source"] == "workflow"
        assert len(mailbox.messages) == 1
    listed = (await api.get(f"/campaigns/{cid}/invitations", headers=auth)).json()
    assert listed[0]["status"] == "sent"
    # The pledge is frozen once launched.
    assert_problem(
        await api.put(
            f"/campaigns/{cid}/pledge", json=factories.PLEDGE.model_dump(mode="json"), headers=auth
        ),
        409,
        "status",
    )


async def test_launch_without_pledge_or_invitees_is_refused(api, db):
    seeded = factories.campaign_with_invitees(db, count=0, with_pledge=False)
    body = assert_problem(
        await api.post(f"/campaigns/{seeded.campaign.id}/launch", headers=bearer(seeded.token)), 409
    )
    assert {e["field"] for e in body["errors"]} == {"pledge", "invitees"}


async def test_errors_name_the_field_and_the_reason(api, db):
    _, token = factories.coordinator(db)
    auth = bearer(token)
    body = assert_problem(
        await api.post("/organisations", json={"name": "X", "kind": "pirate", "country": "ZZ"}, headers=auth),
        422,
    )
    assert {e["field"] for e in body["errors"]} == {"kind", "country"}
    assert_problem(
        await api.post("/organisations", json={"kind": "company", "country": "GH"}, headers=auth), 422, "name"
    )
    assert_problem(
        await api.post("/contacts", json={"organisation_id": 1, "name": "A", "email": "nope"}, headers=auth),
        422,
        "email",
    )
    assert_problem(
        await api.post(
            "/campaigns", json={"title": "T", "region": "GH", "timezone": "Mars/Olympus"}, headers=auth
        ),
        422,
        "timezone",
    )
    assert_problem(await api.get("/campaigns/424242", headers=auth), 404)
    assert_problem(await api.get("/organisations/424242", headers=auth), 404, "id")
    assert_problem(await api.get("/campaigns"), 401)
    assert_problem(await api.get("/campaigns", headers=bearer("pf_forged")), 401)
    bad_pledge = {"title": "P", "commitments": [{"key": "a", "text": "t", "factors": ["luck"]}]}
    seeded = factories.campaign_with_invitees(db, count=0, with_pledge=False)
    assert_problem(
        await api.put(f"/campaigns/{seeded.campaign.id}/pledge", json=bad_pledge, headers=auth),
        422,
        "commitments.0.factors",
    )


async def test_invitee_problems_are_listed_per_row_and_nothing_is_added(api, db):
    seeded = factories.campaign_with_invitees(db, count=2)
    cid = seeded.campaign.id
    other = factories.campaign_with_invitees(db, count=1, prefix="Other ")
    body = assert_problem(
        await api.post(
            f"/campaigns/{cid}/invitees",
            json={
                "invitees": [
                    {"organisation_id": 999},
                    {"organisation_id": seeded.organisations[0].id},
                    {"organisation_id": other.organisations[0].id, "contact_id": seeded.contacts[1].id},
                ]
            },
            headers=bearer(seeded.token),
        ),
        422,
    )
    fields = [e["field"] for e in body["errors"]]
    assert fields == ["invitees[0].organisation_id", "invitees[1].organisation_id", "invitees[2].contact_id"]
    listed = (await api.get(f"/campaigns/{cid}/invitations", headers=bearer(seeded.token))).json()
    assert len(listed) == 2


async def test_auditor_reads_but_cannot_write(api, db):
    seeded = factories.campaign_with_invitees(db, count=1)
    _, auditor = factories.coordinator(db, email="auditor@example.org", role=factories.Role.auditor)
    assert (await api.get(f"/campaigns/{seeded.campaign.id}", headers=bearer(auditor))).status_code == 200
    assert_problem(
        await api.post(
            "/organisations", json={"name": "A", "kind": "company", "country": "GH"}, headers=bearer(auditor)
        ),
        403,
    )
