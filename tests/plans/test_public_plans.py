"""Public plan pages and the programme's open data: visibility, approved versions only, the schema."""

from __future__ import annotations

import csv
import io

import jsonschema_rs

from models.action_plan import ActionPlan
from models.campaign import Visibility
from models.user import Role
from pledgeflow.db import session_scope
from services.plans import plans
from services.plans.publication import public_key
from tests.conftest import TEST_SECRET
from tests.console.staff import person
from tests.helpers import asgi_client
from tests.i18n.page_text import seen
from tests.plans.conftest import demo_plan
from tests.plans.plan_data import content


def _set_visibility(db, plan_id: int, visibility: Visibility) -> None:
    with session_scope(db) as session:
        plan = session.get(ActionPlan, plan_id)
        assert plan is not None
        plan.visibility = visibility
        session.add(plan)


async def test_the_export_validates_against_the_schema_kept_in_the_repository(app, db):
    async with asgi_client(app) as client:
        schema = (await client.get("/open-data/schema.json")).json()
        answer = await client.get("/open-data/a-cip.json")
    assert answer.status_code == 200
    document = answer.json()
    jsonschema_rs.validator_for(schema).validate(document)
    assert document["licence"] == "CC-BY-4.0" and document["last_updated"]
    assert {p["country"] for p in document["plans"]} == {"GH", "CI"}
    ghana = next(p for p in document["plans"] if p["country"] == "GH")
    fees = next(i for i in ghana["indicators"] if i["key"] == "gh-fees-published")
    assert [r["value"] for r in fees["readings"]] == [45, 62] and fees["readings"][-1][
        "standing"
    ] == "on_track"
    async with asgi_client(app) as client:
        again = await client.get("/open-data/a-cip.json", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304


async def test_private_and_unlisted_plans_stay_out_of_the_export_and_unlisted_ones_open_by_their_key(app, db):
    ghana, ivory = demo_plan(db, "GH"), demo_plan(db, "CI")
    _set_visibility(db, ghana.id or 0, Visibility.private)
    _set_visibility(db, ivory.id or 0, Visibility.unlisted)
    async with asgi_client(app) as client:
        document = (await client.get("/open-data/a-cip.json")).json()
        assert document["plans"] == []
        rows = list(csv.reader(io.StringIO((await client.get("/open-data/a-cip.csv")).text)))
        assert len(rows) == 1 and rows[0][0] == "country", "the header only"
        private = await client.get(f"/action-plans/{public_key(TEST_SECRET, ghana.id or 0)}")
        assert private.status_code == 404 and "no public action plan" in seen(private)
        unlisted = await client.get(f"/action-plans/{public_key(TEST_SECRET, ivory.id or 0)}")
        assert unlisted.status_code == 200 and "Direction générale des Douanes" in seen(unlisted)
        guessed = await client.get(f"/action-plans/{ivory.id}-0000000000000000")
        assert guessed.status_code == 404, "an id without its key opens nothing"


async def test_only_the_approved_version_is_public_never_a_revision_waiting(app, db):
    ghana = demo_plan(db, "GH")
    officer = person(db, Role.coordinator, email="coordinator@demo.example")
    with session_scope(db) as session:
        plan = session.get(ActionPlan, ghana.id)
        assert plan is not None
        approved_sha = plans.version(session, plan).sha256
        plans.revise(
            session,
            plan=plan,
            user=officer.user,
            content=content("gh", 2024),
            reason="re-baselined",
            actor="test",
        )
    async with asgi_client(app) as client:
        page = await client.get(f"/action-plans/{public_key(TEST_SECRET, ghana.id or 0)}")
        document = (await client.get("/open-data/a-cip.json")).json()
    assert page.status_code == 200 and approved_sha in page.text and "Publish the fees" not in seen(page)
    shown = next(p for p in document["plans"] if p["country"] == "GH")
    assert shown["version"] == 1 and shown["sha256"] == approved_sha


async def test_the_public_plan_page_reads_in_the_readers_language(app, db):
    ghana = demo_plan(db, "GH")
    async with asgi_client(app) as client:
        page = await client.get(f"/action-plans/{public_key(TEST_SECRET, ghana.id or 0)}?lang=fr")
    assert page.status_code == 200
    text = seen(page)
    assert "Transparence" in text and "En bonne voie" in text and "Ghana" in text


async def test_an_unknown_programme_is_a_problem(app):
    async with asgi_client(app) as client:
        answer = await client.get("/open-data/nowhere.json")
    assert answer.status_code == 404 and answer.headers["content-type"].startswith("application/problem+json")


async def test_the_register_links_to_the_public_plan_of_its_country(app, db):
    from models.campaign import Campaign, CampaignStatus
    from tests import factories

    seeded = factories.campaign_with_invitees(db, count=1)
    factories.launch(db, seeded.campaign.id)
    with session_scope(db) as session:
        campaign = session.get(Campaign, seeded.campaign.id)
        assert campaign is not None and campaign.status is CampaignStatus.launched
        campaign.country, key = "GH", campaign.register_key
        session.add(campaign)
    ghana = demo_plan(db, "GH")
    async with asgi_client(app) as client:
        page = await client.get(f"/register/{key}")
        assert f'href="/action-plans/{public_key(TEST_SECRET, ghana.id or 0)}"' in page.text
        _set_visibility(db, ghana.id or 0, Visibility.private)
        hidden = await client.get(f"/register/{key}")
    assert 'id="action-plan"' not in hidden.text, "a private plan is not linked"
