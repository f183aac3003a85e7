"""Sharing a campaign from the console: the owner adds a co-coordinator by email, who then sees
the campaign in their list; only active coordinators and admins can be added."""

from __future__ import annotations

import re

import pytest_asyncio
from fastapi import FastAPI
from sqlmodel import col, select

from models.audit import AuditEntry
from models.campaign import CampaignCreate
from models.user import CampaignShare, Role
from pledgeflow.db import session_scope
from services import campaigns
from tests.console.staff import Person, console_client, person, post_form
from tests.helpers import app_without_temporal


@pytest_asyncio.fixture
async def app(settings, db) -> FastAPI:
    return app_without_temporal(settings, db, why="sharing never reaches a workflow")


def a_campaign(db, owner: Person, title: str = "Liberia port pact") -> int:
    with session_scope(db) as session:
        made = campaigns.create(
            session, data=CampaignCreate(title=title, region="LR"), owner=owner.user, actor="test"
        )
        return made.id or 0


async def test_a_coordinator_sees_the_campaign_once_the_owner_shares_it(app, db):
    owner = person(db, Role.coordinator, email="a@wco.example", name="Awa Owner")
    other = person(db, Role.coordinator, email="b@wco.example", name="Bola Partner")
    campaign_id = a_campaign(db, owner)
    sharing = f"/console/campaigns/{campaign_id}/sharing"

    async with console_client(app, other) as as_b:
        assert "Liberia port pact" not in (await as_b.get("/console/campaigns")).text
        assert (await as_b.get(sharing)).status_code == 404

    async with console_client(app, owner) as as_a:
        page = await as_a.get(sharing)
        assert page.status_code == 200 and "Only its owner works on this campaign." in page.text
        added = await post_form(as_a, sharing, sharing, {"email": "B@wco.example"})
        assert added.status_code == 303 and added.headers["location"] == sharing
        listed = await as_a.get(sharing)
        assert "Shared with Bola Partner (b@wco.example)." in listed.text
        assert re.search(r"<td><bdi>Bola Partner</bdi></td><td><bdi>b@wco.example</bdi></td>", listed.text)

    async with console_client(app, other) as as_b:
        assert "Liberia port pact" in (await as_b.get("/console/campaigns")).text
        page = await as_b.get(sharing)
        assert page.status_code == 200
        assert "or an admin can change who shares it." in page.text
        assert "/remove" not in page.text and 'name="email"' not in page.text

    async with console_client(app, owner) as as_a:
        removed = await post_form(as_a, sharing, f"{sharing}/{other.id}/remove")
        assert removed.status_code == 303
    async with console_client(app, other) as as_b:
        assert "Liberia port pact" not in (await as_b.get("/console/campaigns")).text

    with session_scope(db) as session:
        assert session.exec(select(CampaignShare)).all() == []
        entries = session.exec(
            select(AuditEntry.kind, AuditEntry.actor)
            .where(col(AuditEntry.kind).in_(["campaign.shared", "campaign.unshared"]))
            .order_by(col(AuditEntry.id))
        ).all()
    actor = f"user:{owner.id}:a@wco.example"
    assert list(entries) == [("campaign.shared", actor), ("campaign.unshared", actor)]


async def test_only_active_coordinators_can_be_added_and_the_reason_is_beside_the_field(app, db):
    owner = person(db, Role.coordinator, email="a@wco.example")
    person(db, Role.auditor, email="aud@wco.example")
    campaign_id = a_campaign(db, owner)
    sharing = f"/console/campaigns/{campaign_id}/sharing"
    async with console_client(app, owner) as as_a:
        for email, reason in (
            ("aud@wco.example", "aud@wco.example is not an active coordinator or admin"),
            ("not-an-email", "value is not a valid email address: An email address must have an @-sign."),
        ):
            refused = await post_form(as_a, sharing, sharing, {"email": email})
            assert refused.status_code == 422
            assert f'<p class="field-error" id="email-error">{reason}</p>' in refused.text
            assert f'value="{email}"' in refused.text
    with session_scope(db) as session:
        assert session.exec(select(CampaignShare)).all() == []


async def test_reviewers_cannot_open_the_sharing_page(app, db):
    owner = person(db, Role.coordinator, email="a@wco.example")
    reviewer = person(db, Role.reviewer, email="rev@wco.example")
    campaign_id = a_campaign(db, owner)
    with session_scope(db) as session:
        session.add(CampaignShare(campaign_id=campaign_id, user_id=reviewer.id))
    async with console_client(app, reviewer) as as_reviewer:
        assert (await as_reviewer.get(f"/console/campaigns/{campaign_id}/sharing")).status_code == 403
