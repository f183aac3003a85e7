"""The campaign list: per user (own and shared), with each campaign's counts and state."""

from __future__ import annotations

import re

from models.invitation import Invitation, InvitationStatus
from models.user import CampaignShare, Role
from pledgeflow.db import session_scope
from tests import factories
from tests.console.staff import console_client, person
from tests.helpers import app_without_temporal


def _row(html: str, campaign_id: int) -> str:
    match = re.search(rf'<tr data-campaign="{campaign_id}">(.*?)</tr>', html, re.S)
    assert match, f"no row for campaign {campaign_id}"
    return match.group(1)


def _cells(row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


async def test_a_coordinator_sees_own_and_shared_campaigns_with_their_counts(settings, db):
    app = app_without_temporal(settings, db, why="the list reads the records only")
    seeded = factories.campaign_with_invitees(db, count=4)
    factories.launch(db, seeded.campaign.id)
    other = factories.campaign_with_invitees(db, count=1, prefix="Other ")
    amina = person(db, Role.coordinator, email=seeded.coordinator.email)
    kofi = person(db, Role.coordinator, email="kofi@console.example")
    with session_scope(db) as session:
        for invitation, status in zip(
            seeded.invitations,
            [
                InvitationStatus.signed,
                InvitationStatus.declined,
                InvitationStatus.sent,
                InvitationStatus.signed,
            ],
            strict=True,
        ):
            row = session.get(Invitation, invitation.id)
            assert row is not None
            row.status = status
            session.add(row)
    # Kofi owns nothing; the first campaign is shared with him, the second is not.
    with session_scope(db) as session:
        session.add(CampaignShare(campaign_id=seeded.campaign.id, user_id=kofi.id))

    async with console_client(app, kofi) as client:
        page = await client.get("/console/campaigns")
    assert page.status_code == 200
    assert f'href="/console/campaigns/{seeded.campaign.id}"' in page.text
    assert f'data-campaign="{other.campaign.id}"' not in page.text
    title, status, _deadline, invited, signed, declined, in_force = _cells(
        _row(page.text, seeded.campaign.id)
    )
    assert (title, status) == ("Accra clearance integrity", "launched")
    assert (invited, signed, declined, in_force) == ("4", "2", "1", "no")
    assert 'href="/console/campaigns/new"' in page.text

    async with console_client(app, amina) as client:
        own = await client.get("/console/campaigns")
    assert (
        f'data-campaign="{seeded.campaign.id}"' in own.text
        and f'data-campaign="{other.campaign.id}"' in own.text
    )
    # The draft's chosen invitees are not invited yet.
    assert _cells(_row(own.text, other.campaign.id))[3:6] == ["0", "0", "0"]


async def test_a_reviewer_gets_no_new_campaign_button(settings, db):
    app = app_without_temporal(settings, db, why="the list reads the records only")
    reviewer = person(db, Role.reviewer, email="rev@console.example")
    async with console_client(app, reviewer) as client:
        page = await client.get("/console/campaigns")
    assert page.status_code == 200 and "/console/campaigns/new" not in page.text
    assert "No campaigns yet." in page.text
