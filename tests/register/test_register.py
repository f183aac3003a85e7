"""The public register: visibility, what it shows, and what it keeps private."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from sqlalchemy import Engine

from api.app import create_app
from models.campaign import CampaignUpdate, Visibility
from models.common import utcnow
from pledgeflow.db import session_scope
from services import campaigns, signatures
from tests import factories
from tests.i18n.page_text import seen
from workflows.pledge_messages import Signer


@pytest_asyncio.fixture
async def site(settings, db) -> AsyncIterator[httpx.AsyncClient]:
    async def unreachable():
        raise ConnectionError("the register needs no Temporal")

    app = create_app(settings, engine=db, connect_temporal=unreachable)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        yield client


def _launched(db: Engine, visibility: Visibility, prefix: str) -> tuple[factories.Seeded, str]:
    seeded = factories.campaign_with_invitees(db, count=2, prefix=prefix)
    campaign_id = seeded.campaign.id
    first, second = (invitation.id for invitation in seeded.invitations)
    assert campaign_id is not None and first is not None and second is not None
    with session_scope(db) as session:
        campaign = campaigns.get_or_raise(session, campaign_id)
        campaigns.update(session, campaign=campaign, data=CampaignUpdate(visibility=visibility), actor="test")
    factories.launch(db, campaign_id)
    with session_scope(db) as session:
        signatures.record(
            session,
            invitation_id=first,
            receipt_id=f"PF-{prefix.strip()}1",
            signer=Signer(
                name="Named Signer", title="Director", publish_name=True, ip="198.51.100.1", user_agent="x"
            ),
            signed_at=utcnow(),
        )
        signatures.record(
            session,
            invitation_id=second,
            receipt_id=f"PF-{prefix.strip()}2",
            signer=Signer(
                name="Private Person", title="Chair", publish_name=False, ip="198.51.100.2", user_agent="y"
            ),
            signed_at=utcnow(),
        )
        return seeded, campaigns.get_or_raise(session, campaign_id).register_key


async def test_register_shows_the_pledge_and_signatories_but_no_private_data(site, db):
    seeded, key = _launched(db, Visibility.public, "Pub ")
    body = (await site.get(f"/register/{key}.json")).json()
    assert body["pledge_title"] == "Ghana Customs Integrity Pact" and len(body["commitments"]) == 3
    assert body["in_force"] is False
    assert [s["organisation"] for s in body["signatories"]] == ["Pub Organisation 1", "Pub Organisation 2"]
    assert body["signatories"][0]["signer"] == "Named Signer, Director"
    assert body["signatories"][1]["signer"] is None, "a signer who did not agree is not named"
    page = await site.get(f"/register/{key}")
    assert page.status_code == 200 and "Named Signer" in seen(page) and "Private Person" not in seen(page)
    assert "198.51.100" not in seen(page) and not any(c.email in seen(page) for c in seeded.contacts)
    assert "conditional" in seen(page)


async def test_visibility_public_unlisted_private(site, db):
    _, public = _launched(db, Visibility.public, "Pub ")
    _, unlisted = _launched(db, Visibility.unlisted, "Unl ")
    _, private = _launched(db, Visibility.private, "Prv ")
    index = (await site.get("/register")).text
    assert f"/register/{public}" in index and unlisted not in index and private not in index
    assert (await site.get(f"/register/{unlisted}.json")).status_code == 200
    assert (await site.get(f"/register/{private}.json")).status_code == 404
    assert (await site.get(f"/register/{private}")).status_code == 404
    assert (await site.get("/register/not-a-key.json")).json()["status"] == 404


async def test_a_draft_has_no_register(site, db):
    seeded = factories.campaign_with_invitees(db, count=1, prefix="Drf ")
    with session_scope(db) as session:
        key = campaigns.get_or_raise(session, seeded.campaign.id).register_key
    assert (await site.get(f"/register/{key}.json")).status_code == 404
