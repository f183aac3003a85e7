"""The new-campaign form, step by step: a good save lands in the draft, a refused one answers
422 with the API's reason beside its field and the values kept, and only writers reach it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, timedelta

import httpx
import pytest_asyncio
from fastapi import FastAPI
from sqlmodel import col, select

from models.audit import AuditEntry
from models.campaign import Campaign, CampaignCreate, CampaignStatus
from models.organisation import OrganisationKind
from models.pledge import Pledge
from models.user import Role, User
from pledgeflow.db import session_scope
from services import campaigns as campaigns_service
from services import users as users_service
from tests import factories
from tests.console.staff import Person, console_client, person, post_form
from tests.helpers import app_without_temporal, asgi_client, csrf_from


@pytest_asyncio.fixture
async def app(settings, db) -> FastAPI:
    return app_without_temporal(settings, db, why="the set-up form never reaches a workflow")


@pytest_asyncio.fixture
async def amina(db) -> Person:
    return person(db, Role.coordinator, email="amina@wco.example", name="Amina Diallo")


@pytest_asyncio.fixture
async def client(app, amina) -> AsyncIterator[httpx.AsyncClient]:
    async with console_client(app, amina) as signed_in:
        yield signed_in


def beside(html: str, field: str) -> str:
    """The reason shown beside a field (its error paragraph)."""
    match = re.search(rf'<p class="field-error" id="{re.escape(field)}(?:-error)?">([^<]*)</p>', html)
    assert match, f"no error beside {field}"
    return match.group(1).replace("&#39;", "'").replace("&#34;", '"').replace("&quot;", '"')


def value_of(html: str, field: str) -> str:
    match = re.search(
        rf'<input id="{re.escape(field)}" name="{re.escape(field)}" type="[a-z]+" value="([^"]*)"', html
    )
    assert match, f"no input {field}"
    return match.group(1)


def value_of_text(html: str, field: str) -> str:
    match = re.search(
        rf'<textarea id="{re.escape(field)}" name="{re.escape(field)}"[^>]*>([^<]*)</textarea>', html
    )
    assert match, f"no textarea {field}"
    return match.group(1)


def campaign(db, campaign_id: int) -> Campaign:
    with session_scope(db) as session:
        found = session.get(Campaign, campaign_id)
        assert found is not None
        session.expunge(found)
        return found


async def new_draft(client: httpx.AsyncClient, **fields: str) -> int:
    data = {"title": "Ghana customs integrity pact", "region": "GH", "timezone": "", "visibility": "private"}
    answer = await post_form(client, "/console/campaigns/new", "/console/campaigns/new", {**data, **fields})
    assert answer.status_code == 303, answer.text[:2000]
    found = re.fullmatch(r"/console/campaigns/(\d+)/edit/pledge", answer.headers["location"])
    assert found, answer.headers["location"]
    return int(found.group(1))


async def test_the_details_form_makes_a_draft_owned_by_the_coordinator(client, db, amina):
    page = await client.get("/console/campaigns/new")
    assert page.status_code == 200
    assert '<option value="GH" selected>Ghana (GH)</option>' in page.text
    deadline = (date.today() + timedelta(days=60)).isoformat()
    campaign_id = await new_draft(client, signature_deadline=deadline, coordinator_email="")
    made = campaign(db, campaign_id)
    assert (made.status, made.owner_id, made.title) == (
        CampaignStatus.draft,
        amina.id,
        "Ghana customs integrity pact",
    )
    assert made.timezone == "Africa/Accra"  # from the country
    assert made.coordinator_email == "amina@wco.example"  # the owner's, when left empty
    assert made.signature_deadline == date.fromisoformat(deadline)
    with session_scope(db) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.kind == "campaign.created")).one()
        assert entry.actor == f"user:{amina.id}:amina@wco.example"
    pledge_step = await client.get(f"/console/campaigns/{campaign_id}/edit/pledge")
    assert (
        'aria-current="step"' in pledge_step.text
        and "Draft “Ghana customs integrity pact” made." in pledge_step.text
    )


async def test_refused_details_keep_the_values_and_give_the_apis_reason(app, client, db, amina):
    answer = await post_form(
        client,
        "/console/campaigns/new",
        "/console/campaigns/new",
        {
            "title": "",
            "region": "GH",
            "timezone": "",
            "visibility": "private",
            "focal_point_email": "focal@",
            "coordinator_email": "x@wco.example",
        },
    )
    assert answer.status_code == 422
    assert beside(answer.text, "title") == "String should have at least 1 character"
    assert value_of(answer.text, "focal_point_email") == "focal@"
    assert value_of(answer.text, "coordinator_email") == "x@wco.example"
    with session_scope(db) as session:
        assert session.exec(select(Campaign)).all() == []

    # The same reason as the API's for the same value.
    _, token = factories.coordinator(db, "amina@wco.example")
    async with asgi_client(app) as api:
        made = await api.post(
            "/campaigns", json={"title": "T", "region": "GH"}, headers={"Authorization": f"Bearer {token}"}
        )
        refused = await api.patch(
            f"/campaigns/{made.json()['id']}",
            json={"focal_point_email": "focal@"},
            headers={"Authorization": f"Bearer {token}"},
        )
    [problem] = refused.json()["errors"]
    edit = f"/console/campaigns/{made.json()['id']}/edit/details"
    answer = await post_form(
        client,
        edit,
        edit,
        {
            "title": "T",
            "region": "GH",
            "timezone": "UTC",
            "visibility": "public",
            "focal_point_email": "focal@",
            "signature_deadline": "",
            "coordinator_email": "",
        },
    )
    assert answer.status_code == 422
    assert beside(answer.text, "focal_point_email") == problem["reason"]


async def test_a_past_deadline_is_refused_by_the_service_and_nothing_is_saved(client, db):
    campaign_id = await new_draft(client)
    edit = f"/console/campaigns/{campaign_id}/edit/details"
    data = {
        "title": "Renamed",
        "region": "GH",
        "timezone": "Africa/Accra",
        "visibility": "public",
        "signature_deadline": "2020-01-01",
        "coordinator_email": "",
        "focal_point_email": "",
    }
    answer = await post_form(client, edit, edit, data)
    assert answer.status_code == 422
    assert beside(answer.text, "signature_deadline") == "2020-01-01 is in the past"
    assert value_of(answer.text, "title") == "Renamed"
    assert campaign(db, campaign_id).title == "Ghana customs integrity pact"  # rolled back


async def test_the_pledge_step_adds_rows_without_saving_then_saves_a_version(client, db):
    campaign_id = await new_draft(client)
    edit = f"/console/campaigns/{campaign_id}/edit/pledge"
    first = {
        "title": "Pledge",
        "introduction": "We commit.",
        "commitments.0.key": "c1",
        "commitments.0.text": "Publish fees",
        "commitments.0.factors": "transparency",
    }
    added = await post_form(client, edit, edit, {**first, "action": "add"})
    assert added.status_code == 200 and 'name="commitments.1.text"' in added.text
    assert 'value="transparency" id="commitments.0.factors-3" checked' in added.text

    refused = await post_form(
        client,
        edit,
        edit,
        {**first, "commitments.1.key": "c2", "commitments.1.text": "Train staff", "action": "save"},
    )
    assert refused.status_code == 422
    assert beside(refused.text, "commitments.1.factors") == "choose at least one Arusha key factor"
    assert "Train staff" in refused.text

    data = {
        **first,
        "commitments.1.key": "c2",
        "commitments.1.text": "Train staff",
        "commitments.1.factors": "code_of_conduct",
        "action": "continue",
    }
    saved = await post_form(client, edit, edit, data)
    assert saved.status_code == 303 and saved.headers["location"].endswith("/edit/groups")
    removed = await post_form(client, edit, edit, {**data, "action": "remove-0"})
    assert removed.status_code == 200 and 'name="commitments.1.text"' not in removed.text
    assert value_of_text(removed.text, "commitments.0.text") == "Train staff"
    again = await post_form(client, edit, edit, {**data, "action": "save"})
    assert again.status_code == 303
    with session_scope(db) as session:
        pledges = session.exec(
            select(Pledge).where(Pledge.campaign_id == campaign_id).order_by(col(Pledge.version))
        ).all()
        assert [p.version for p in pledges] == [1]  # saving it unchanged makes no new version
        assert [(c["key"], c["text"], c["factors"]) for c in pledges[0].commitments] == [
            ("c1", "Publish fees", ["transparency"]),
            ("c2", "Train staff", ["code_of_conduct"]),
        ]
    page = await client.get(edit)
    assert "Train staff" in page.text and 'name="commitments.1.text"' in page.text


async def test_groups_save_the_quorum_and_show_it_in_words(client, db):
    campaign_id = await new_draft(client)
    edit = f"/console/campaigns/{campaign_id}/edit/groups"
    empty = await client.get(edit)
    assert "In force when every organisation invited has signed." in empty.text
    groups = {
        "quorum.0.name": "Customs",
        "quorum.0.by": "kinds",
        "quorum.0.kinds": "customs_administration",
        "quorum.0.rule": "all",
        "quorum.1.name": "Trade",
        "quorum.1.by": "kinds",
        "quorum.1.kinds": OrganisationKind.trade_association.value,
        "quorum.1.rule": "at_least",
        "quorum.1.n": "",
        "quorum.1.percent": "",
    }
    refused = await post_form(client, edit, edit, groups)
    assert refused.status_code == 422
    assert beside(refused.text, "quorum.1") == "rule 'at_least' needs n, how many must sign: 1 or more"
    saved = await post_form(client, edit, edit, {**groups, "quorum.1.n": "5"})
    assert saved.status_code == 303
    assert [(g["name"], g["rule"], g["n"]) for g in campaign(db, campaign_id).quorum] == [
        ("Customs", "all", None),
        ("Trade", "at_least", 5),
    ]
    page = await client.get(edit)
    assert (
        "In force when every customs administration and at least 5 trade associations have signed."
        in page.text
    )


async def test_chasing_shows_the_defaults_and_refuses_what_the_api_refuses(client, db):
    campaign_id = await new_draft(client)
    edit = f"/console/campaigns/{campaign_id}/edit/chasing"
    page = await client.get(edit)
    assert value_of(page.text, "policy.reminder_days") == "7, 14, 21"
    assert value_of(page.text, "policy.quiet_hours.start") == "19:00"
    data = {
        "policy.reminder_days": "0, 10",
        "policy.reminder_days_before_deadline": "3",
        "policy.default_ladder": "yes",
        "policy.quiet_hours.enabled": "yes",
        "policy.quiet_hours.start": "20:00",
        "policy.quiet_hours.end": "07:00",
        "policy.quiet_hours.weekend": ["5", "6"],
    }
    refused = await post_form(client, edit, edit, data)
    assert refused.status_code == 422
    assert beside(refused.text, "policy.reminder_days") == "0 is not a positive number of days"
    assert value_of(refused.text, "policy.reminder_days") == "0, 10"
    saved = await post_form(client, edit, edit, {**data, "policy.reminder_days": "5 10"})
    assert saved.status_code == 303
    policy = campaign(db, campaign_id).policy
    assert policy["reminder_days"] == [5, 10] and policy["quiet_hours"]["start"] == "20:00:00"
    assert "ladder" not in policy  # the default ladder


async def test_reviews_name_reviewers_who_must_have_the_role(client, db):
    campaign_id = await new_draft(client)
    person(db, Role.reviewer, email="rev@wco.example")
    edit = f"/console/campaigns/{campaign_id}/edit/reviews"
    page = await client.get(edit)
    assert value_of(page.text, "review.report_due_days") == "30"
    data = {
        "review.every_months": "6",
        "review.windows": "",
        "review.report_due_days": "30",
        "review.reminder_days_before_due": "7, 1",
        "review.review_days": "14",
        "review.revision_days": "14",
        "review.grace_days": "30",
        "review.lapse_days": "60",
        "review.reviewers": "rev@wco.example\nnobody@wco.example",
        "review.template.introduction": "Tell us.",
    }
    refused = await post_form(client, edit, edit, data)
    assert refused.status_code == 422
    assert (
        beside(refused.text, "review.reviewers") == "nobody@wco.example is not a user with the reviewer role"
    )
    saved = await post_form(
        client, edit, edit, {**data, "review.reviewers": "rev@wco.example", "action": "continue"}
    )
    assert (
        saved.status_code == 303 and saved.headers["location"] == f"/console/campaigns/{campaign_id}/invitees"
    )
    review = campaign(db, campaign_id).review
    assert (review["every_months"], review["reviewers"], review["template"]["introduction"]) == (
        6,
        ["rev@wco.example"],
        "Tell us.",
    )


async def test_only_writers_reach_the_form_and_only_for_campaigns_they_may_write(app, client, db):
    campaign_id = await new_draft(client)
    reviewer = person(db, Role.reviewer, email="rev@wco.example")
    other = person(db, Role.coordinator, email="other@wco.example")
    auditor = person(db, Role.auditor, email="aud@wco.example")
    async with console_client(app, reviewer) as as_reviewer:
        assert (await as_reviewer.get("/console/campaigns/new")).status_code == 403
    async with console_client(app, auditor) as as_auditor:
        assert (await as_auditor.get(f"/console/campaigns/{campaign_id}/edit/details")).status_code == 403
    async with console_client(app, other) as as_other:
        assert (await as_other.get(f"/console/campaigns/{campaign_id}/edit/details")).status_code == 404
    assert (await client.get(f"/console/campaigns/{campaign_id}/edit/nothing")).status_code == 404


async def test_a_launched_campaign_is_no_longer_edited_here(client, db):
    campaign_id = await new_draft(client)
    with session_scope(db) as session:
        found = session.get(Campaign, campaign_id)
        assert found is not None
        found.status = CampaignStatus.launched
    answer = await client.get(f"/console/campaigns/{campaign_id}/edit/pledge")
    assert answer.status_code == 303 and answer.headers["location"] == f"/console/campaigns/{campaign_id}"


async def test_a_draft_with_invitees_counts_them_and_a_listed_group_names_its_organisations(app, db):
    seeded = factories.campaign_with_invitees(
        db,
        count=4,
        kinds=[OrganisationKind.customs_administration, *[OrganisationKind.trade_association] * 3],
    )
    owner = person(db, Role.coordinator, email=seeded.coordinator.email)
    [customs, *trade] = seeded.organisations
    edit = f"/console/campaigns/{seeded.campaign.id}/edit/groups"
    groups = {
        "quorum.0.name": "Customs",
        "quorum.0.by": "kinds",
        "quorum.0.kinds": "customs_administration",
        "quorum.0.rule": "all",
        "quorum.1.name": "Trade",
        "quorum.1.by": "list",
        "quorum.1.organisation_ids": [str(o.id) for o in trade],
        "quorum.1.rule": "at_least",
        "quorum.1.n": "2",
        "quorum.1.required": str(trade[0].id),
    }
    async with console_client(app, owner) as client:
        saved = await post_form(client, edit, edit, groups)
        assert saved.status_code == 303
        page = await client.get(edit)
    assert f'name="quorum.1.organisation_ids" value="{customs.id}"' in page.text  # the directory's
    assert (
        "In force when the customs administration and at least 2 of Organisation 2, Organisation 3 and "
        "Organisation 4 (including Organisation 2) have signed."
    ) in page.text
    [_, listed] = campaign(db, seeded.campaign.id or 0).quorum
    assert (listed["organisation_ids"], listed["required"], listed["kinds"]) == (
        [o.id for o in trade],
        [trade[0].id],
        [],
    )


async def test_a_post_to_a_launched_campaigns_step_changes_nothing(client, db):
    campaign_id = await new_draft(client)
    edit = f"/console/campaigns/{campaign_id}/edit/details"
    page = await client.get(edit)
    with session_scope(db) as session:
        found = session.get(Campaign, campaign_id)
        assert found is not None
        found.status = CampaignStatus.launched
    answer = await client.post(
        edit, data={"csrf_token": csrf_from(page.text), "title": "Changed", "region": "GH"}
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"/console/campaigns/{campaign_id}"
    assert campaign(db, campaign_id).title == "Ghana customs integrity pact"


async def test_the_time_zones_offered_start_with_the_programme_countries(client, db, amina):
    """The programme's zones come first, named by country; aliases are left out unless the draft
    already holds one (set through the API), which is kept rather than lost on the next save."""
    new = await client.get("/console/campaigns/new")
    options = re.findall(
        r'<option value="([^"]*)"', new.text.split('name="timezone"')[1].split("</select>")[0]
    )
    assert "Africa/Accra" in options[:20] and options.index("UTC") < options.index("Africa/Cairo")
    assert ">Africa/Accra (Ghana)</option>" in new.text
    assert "Etc/GMT+1" not in options and "US/Eastern" not in options
    with session_scope(db) as session:
        draft = campaigns_service.create(
            session,
            data=CampaignCreate(title="Aliased", region="GH", timezone="Etc/GMT+1"),
            owner=session.get(User, amina.id),
            actor="test",
        )
        draft_id = draft.id
    details = await client.get(f"/console/campaigns/{draft_id}/edit/details")
    assert 'value="Etc/GMT+1" selected' in details.text


async def test_a_group_cannot_list_another_directorys_organisation(app, client, db, amina):
    """An id from another coordinator's directory reads as unknown, in the form and in the API:
    stored, the campaign page would name that organisation."""
    theirs = factories.campaign_with_invitees(db, count=1, prefix="SECRET ")
    secret_id = theirs.organisations[0].id
    campaign_id = await new_draft(client)
    edit = f"/console/campaigns/{campaign_id}/edit/groups"
    group = {
        "quorum.0.name": "Listed",
        "quorum.0.by": "list",
        "quorum.0.organisation_ids": str(secret_id),
        "quorum.0.rule": "all",
        "action": "save",
    }
    refused = await post_form(client, edit, edit, group)
    assert refused.status_code == 422
    assert f"unknown organisation {secret_id}" in refused.text and "SECRET" not in refused.text
    assert campaign(db, campaign_id).quorum == []
    with session_scope(db) as session:
        user = session.get(User, amina.id)
        token, _ = users_service.create_token(session, user=user, label="t", actor="test")
    async with asgi_client(app) as api:
        patched = await api.patch(
            f"/campaigns/{campaign_id}",
            json={"quorum": [{"name": "Listed", "organisation_ids": [secret_id], "rule": "all"}]},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert patched.status_code == 422
    assert patched.json()["errors"] == [
        {"field": "quorum.0.organisation_ids", "reason": f"unknown organisation {secret_id}"}
    ]
