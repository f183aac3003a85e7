"""A campaign's country follows its region when the region is an ISO code: the programme view gathers by it."""

from __future__ import annotations

from models.campaign import CampaignCreate, CampaignUpdate
from pledgeflow.db import session_scope
from services import campaigns


def test_country_follows_an_iso_region_and_not_a_region_name(db):
    with session_scope(db) as session:
        ghana = campaigns.create(
            session,
            data=CampaignCreate(title="Tema", region="gh", coordinator_email="c@example.org"),
            owner=None,
            actor="test",
        )
        west = campaigns.create(
            session,
            data=CampaignCreate(title="Corridor", region="West Africa", coordinator_email="c@example.org"),
            owner=None,
            actor="test",
        )
        assert (ghana.country, west.country) == ("GH", None)
        campaigns.update(
            session, campaign=ghana, data=CampaignUpdate(region="Abidjan-Lagos corridor"), actor="test"
        )
        campaigns.update(session, campaign=west, data=CampaignUpdate(region="CI"), actor="test")
        assert (ghana.country, west.country) == (None, "CI")
        assert campaigns.country_of("XX") is None and campaigns.country_of("") is None
