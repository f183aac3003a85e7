"""A directory owned by someone: organisations and contacts, who reads and writes them, and what
an invitation built on them, an import, a rename after signing and bad input may change."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import Engine
from sqlmodel import select

from models.common import utcnow
from models.invitation import InvitationStatus
from models.organisation import Organisation
from models.signature import Signature
from models.user import CampaignShare, Role
from pledgeflow.db import session_scope
from services import campaigns, invitations, signatures
from tests import factories
from tests.conftest import TEST_SECRET
from tests.helpers import app_without_temporal, asgi_client, settings_without_temporal
from tests.i18n.page_text import seen
from tests.system import test_migrations
from workflows.pledge_messages import Signer

empty_database = test_migrations.empty_database  # the fixture: an empty database of each kind
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "Ghana \u202eCustoms" displays as "Ghana smotsuC"


@pytest_asyncio.fixture
async def api(database_url: str, db: Engine) -> AsyncIterator[httpx.AsyncClient]:
    app = app_without_temporal(
        settings_without_temporal(database_url, TEST_SECRET), db, why="nothing here may reach Temporal"
    )
    async with asgi_client(app) as client:
        yield client


@dataclass
class People:
    """Bearer headers of every role, and the ids of the two coordinators."""

    a: dict[str, str]
    b: dict[str, str]
    admin: dict[str, str]
    auditor: dict[str, str]
    reviewer: dict[str, str]
    a_id: int
    b_id: int


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def people(db: Engine) -> People:
    a, a_token = factories.coordinator(db)  # the factories' coordinator: owns their campaigns
    b, b_token = factories.coordinator(db, email="b@other.example")
    _, admin = factories.coordinator(db, email="admin@wco.example", role=Role.admin)
    _, auditor = factories.coordinator(db, email="auditor@wco.example", role=Role.auditor)
    _, reviewer = factories.coordinator(db, email="reviewer@wco.example", role=Role.reviewer)
    assert a.id is not None and b.id is not None
    return People(
        _bearer(a_token), _bearer(b_token), _bearer(admin), _bearer(auditor), _bearer(reviewer), a.id, b.id
    )


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    if field is not None:
        assert [e["field"] for e in body["errors"]] == [field], body
    return body


async def _organisation(
    api: httpx.AsyncClient, auth: dict[str, str], name: str = "Ghana Customs", **fields: Any
) -> dict[str, Any]:
    response = await api.post(
        "/organisations",
        json={"name": name, "kind": "customs_administration", "country": "GH", **fields},
        headers=auth,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _contact(
    api: httpx.AsyncClient, auth: dict[str, str], organisation_id: int, email: str = "kofi@gra.example"
) -> dict[str, Any]:
    response = await api.post(
        "/contacts",
        json={"organisation_id": organisation_id, "name": "Kofi Mensah", "email": email},
        headers=auth,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _share(db: Engine, campaign_id: int, user_id: int) -> None:
    with session_scope(db) as session:
        session.add(CampaignShare(campaign_id=campaign_id, user_id=user_id))


def _open_link(db: Engine, invitation_id: int) -> None:
    """The invitation email was accepted: its signing link is live."""
    with session_scope(db) as session:
        invitation = invitations.get_or_raise(session, invitation_id)
        assert invitations.mark_sent(session, invitation=invitation, at=utcnow())


def _sign(db: Engine, invitation_id: int, receipt_id: str, signer_name: str = "Kofi Mensah") -> None:
    with session_scope(db) as session:
        signatures.record(
            session,
            invitation_id=invitation_id,
            receipt_id=receipt_id,
            signer=Signer(
                name=signer_name, title="Commissioner", publish_name=True, ip=None, user_agent=None
            ),
            signed_at=utcnow(),
        )


# --- organisations ----------------------------------------------------------------------------


async def test_an_organisation_is_read_and_changed_only_by_its_owner_admins_and_read_by_auditors(api, people):
    org = await _organisation(api, people.a)
    assert org["owner_id"] == people.a_id
    path = f"/organisations/{org['id']}"
    rename = {"name": "Ghana Revenue Authority"}

    assert_problem(await api.get(path, headers=people.b), 404, "id")
    assert_problem(await api.patch(path, json=rename, headers=people.b), 404, "id")
    assert_problem(await api.get(path, headers=people.reviewer), 404, "id")
    assert (await api.get("/organisations", headers=people.b)).json() == []

    assert (await api.get(path, headers=people.a)).json()["name"] == "Ghana Customs"
    assert [o["id"] for o in (await api.get("/organisations", headers=people.a)).json()] == [org["id"]]
    owner_patch = await api.patch(path, json=rename, headers=people.a)
    assert owner_patch.status_code == 200 and owner_patch.json()["name"] == "Ghana Revenue Authority"

    admin_patch = await api.patch(path, json={"head_name": "Rev. Ansah"}, headers=people.admin)
    assert admin_patch.status_code == 200 and admin_patch.json()["head_name"] == "Rev. Ansah"
    assert [o["id"] for o in (await api.get("/organisations", headers=people.admin)).json()] == [org["id"]]

    assert (await api.get(path, headers=people.auditor)).json()["name"] == "Ghana Revenue Authority"
    assert [o["id"] for o in (await api.get("/organisations", headers=people.auditor)).json()] == [org["id"]]
    assert_problem(await api.patch(path, json=rename, headers=people.auditor), 403)
    assert (await api.get(path, headers=people.a)).json()["head_name"] == "Rev. Ansah"


async def test_two_coordinators_may_each_keep_an_organisation_of_the_same_name(api, people):
    first = await _organisation(api, people.a)
    second = await _organisation(api, people.b)
    assert first["id"] != second["id"] and second["owner_id"] == people.b_id
    assert_problem(
        await api.post(
            "/organisations",
            json={"name": "Ghana Customs", "kind": "company", "country": "GH"},
            headers=people.a,
        ),
        409,
        "name",
    )


# --- contacts ---------------------------------------------------------------------------------


async def test_a_contact_is_read_and_changed_only_within_its_organisations_directory(api, people):
    org = await _organisation(api, people.a)
    contact = await _contact(api, people.a, org["id"])
    path = f"/contacts/{contact['id']}"

    assert_problem(await api.get(path, headers=people.b), 404, "id")
    assert_problem(await api.patch(path, json={"name": "B's man"}, headers=people.b), 404, "id")
    assert_problem(await api.get(path, headers=people.reviewer), 404, "id")
    assert (await api.get("/contacts", headers=people.b)).json() == []
    assert (await api.get("/contacts", params={"organisation_id": org["id"]}, headers=people.b)).json() == []
    assert_problem(
        await api.post(
            "/contacts",
            json={"organisation_id": org["id"], "name": "Intruder", "email": "b@other.example"},
            headers=people.b,
        ),
        404,
        "id",
    )

    assert (await api.get(path, headers=people.a)).json()["email"] == "kofi@gra.example"
    owner_patch = await api.patch(path, json={"title": "Commissioner"}, headers=people.a)
    assert owner_patch.status_code == 200 and owner_patch.json()["title"] == "Commissioner"
    admin_patch = await api.patch(path, json={"email": "k.mensah@gra.example"}, headers=people.admin)
    assert admin_patch.status_code == 200 and admin_patch.json()["email"] == "k.mensah@gra.example"

    assert (await api.get(path, headers=people.auditor)).json()["email"] == "k.mensah@gra.example"
    assert [c["id"] for c in (await api.get("/contacts", headers=people.auditor)).json()] == [contact["id"]]
    assert_problem(await api.patch(path, json={"title": "x"}, headers=people.auditor), 403)
    assert_problem(
        await api.post(
            "/contacts",
            json={"organisation_id": org["id"], "name": "Audit", "email": "x@wco.example"},
            headers=people.auditor,
        ),
        403,
    )


async def test_a_shared_campaign_shows_its_invitees_to_the_coordinator_it_is_shared_with(api, db, people):
    seeded = factories.campaign_with_invitees(db, count=1)  # owned by coordinator A
    invited, invited_contact = seeded.organisations[0], seeded.contacts[0]
    other = await _organisation(api, people.a, name="Not invited")
    campaign_id = seeded.campaign.id or 0

    assert_problem(await api.get(f"/organisations/{invited.id}", headers=people.b), 404, "id")
    assert_problem(await api.get(f"/campaigns/{campaign_id}/invitations", headers=people.b), 404, "id")

    _share(db, campaign_id, people.b_id)
    assert (await api.get(f"/organisations/{invited.id}", headers=people.b)).json()[
        "name"
    ] == "Organisation 1"
    assert (await api.get(f"/contacts/{invited_contact.id}", headers=people.b)).status_code == 200
    assert [o["id"] for o in (await api.get("/organisations", headers=people.b)).json()] == [invited.id]
    assert [c["id"] for c in (await api.get("/contacts", headers=people.b)).json()] == [invited_contact.id]
    listed = (await api.get(f"/campaigns/{campaign_id}/invitations", headers=people.b)).json()
    assert [(i["contact_name"], i["contact_email"]) for i in listed] == [
        ("Contact 1", "contact1@org1.example")
    ]
    # Reading is not owning: B cannot change them, and A's other organisations stay unseen.
    assert_problem(
        await api.patch(f"/organisations/{invited.id}", json={"name": "Taken"}, headers=people.b), 403
    )
    assert_problem(
        await api.patch(
            f"/contacts/{invited_contact.id}", json={"email": "b@other.example"}, headers=people.b
        ),
        403,
    )
    assert_problem(await api.get(f"/organisations/{other['id']}", headers=people.b), 404, "id")


# --- invitations built on the directory --------------------------------------------------------


async def test_a_coordinator_cannot_invite_an_organisation_outside_their_directory(api, db, people):
    a_org = await _organisation(api, people.a)
    campaign = (
        await api.post("/campaigns", json={"title": "B's pact", "region": "GH"}, headers=people.b)
    ).json()
    path = f"/campaigns/{campaign['id']}/invitees"

    body = assert_problem(
        await api.post(path, json={"invitees": [{"organisation_id": a_org["id"]}]}, headers=people.b), 422
    )
    unknown = assert_problem(
        await api.post(path, json={"invitees": [{"organisation_id": 424242}]}, headers=people.b), 422
    )
    assert body["errors"] == [
        {"field": "invitees[0].organisation_id", "reason": f"unknown organisation {a_org['id']}"}
    ]
    assert unknown["errors"][0]["reason"] == "unknown organisation 424242", "the same answer as for no id"

    b_org = await _organisation(api, people.b, name="Tema Brokers")
    await _contact(api, people.b, b_org["id"], email="ama@tema.example")
    created = await api.post(path, json={"invitees": [{"organisation_id": b_org["id"]}]}, headers=people.b)
    assert created.status_code == 201 and [i["organisation_id"] for i in created.json()] == [b_org["id"]]
    assert_problem(
        await api.post(path, json={"invitees": [{"organisation_id": b_org["id"]}]}, headers=people.admin),
        422,
    )  # already invited: admins own every directory, so the check they meet is the next one


async def test_adding_invitees_to_a_launched_campaign_is_refused_outside_the_directory(api, db, people):
    seeded = factories.campaign_with_invitees(db, count=1)  # A's campaign, shared with B below
    factories.launch(db, seeded.campaign.id or 0)
    _share(db, seeded.campaign.id or 0, people.b_id)
    a_org = await _organisation(api, people.a, name="Not yet invited")
    # Refused before any workflow is reached (the fixture's Temporal would answer 500).
    body = assert_problem(
        await api.post(
            f"/campaigns/{seeded.campaign.id}/invitees",
            json={"invitees": [{"organisation_id": a_org["id"]}]},
            headers=people.b,
        ),
        422,
    )
    assert body["errors"] == [
        {"field": "invitees[0].organisation_id", "reason": f"unknown organisation {a_org['id']}"}
    ]


async def test_another_coordinator_cannot_redirect_a_live_signing_link(api, db, people):
    seeded = factories.campaign_with_invitees(db, count=1)
    factories.launch(db, seeded.campaign.id or 0)
    invitation, contact = seeded.invitations[0], seeded.contacts[0]
    _open_link(db, invitation.id or 0)
    path = f"/contacts/{contact.id}"

    assert_problem(await api.patch(path, json={"email": "b@other.example"}, headers=people.b), 404, "id")
    # Not even its owner or an admin moves a live link to another address.
    for who in (people.a, people.admin):
        body = assert_problem(
            await api.patch(path, json={"email": "new@org1.example"}, headers=who), 409, "email"
        )
        assert f"invitation {invitation.id} (campaign {seeded.campaign.id})" in body["detail"]
    renamed = await api.patch(
        path, json={"name": "Contact One", "email": "CONTACT1@org1.example"}, headers=people.a
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Contact One", "same address: allowed"

    # An import by B with A's organisation and the contact's address stays in B's directory.
    sheet = _csv([["Organisation 1", "trade_association", "GH", "Hijacker", "b@other.example"]])
    imported = await api.post(
        "/imports/stakeholders", params={"dry_run": "false"}, files=_upload(sheet), headers=people.b
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["summary"]["organisations"]["create"] == 1
    assert (await api.get(path, headers=people.a)).json()["email"] == "contact1@org1.example"
    with session_scope(db) as session:
        stored = session.get(Organisation, seeded.organisations[0].id)
        assert stored is not None and stored.owner_id == people.a_id


async def test_an_address_changes_once_the_campaign_is_a_draft_or_the_link_is_answered(api, db, people):
    draft = factories.campaign_with_invitees(db, count=1)
    changed = await api.patch(
        f"/contacts/{draft.contacts[0].id}", json={"email": "n@org1.example"}, headers=people.a
    )
    assert changed.status_code == 200, "no link has gone out from a draft"

    signed = factories.campaign_with_invitees(db, count=1, prefix="S ")
    factories.launch(db, signed.campaign.id or 0)
    _sign(db, signed.invitations[0].id or 0, "PF-ANSWERED")
    after = await api.patch(
        f"/contacts/{signed.contacts[0].id}", json={"email": "n@sorg1.example"}, headers=people.a
    )
    assert after.status_code == 200, "a signed invitation has no live link left"


# --- imports ----------------------------------------------------------------------------------

HEADER = ["organisation", "kind", "country", "contact_name", "contact_email", "head_email", "external_ref"]


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows([[*r, *[""] * (len(HEADER) - len(r))] for r in rows])
    return out.getvalue().encode("utf-8")


def _upload(content: bytes) -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("stakeholders.csv", content, "text/csv")}


async def test_an_import_matches_and_writes_only_the_importers_directory(api, db, people):
    a_org = await _organisation(api, people.a, head_email="head@gra.example", external_ref="GRA-1")
    file = _csv(
        [
            ["Ghana Customs", "customs_administration", "GH", "Ama", "ama@b.example", "b@other.example"],
            ["Renamed by ref", "customs_administration", "GH", "", "", "b@other.example", "GRA-1"],
        ]
    )
    dry = await api.post("/imports/stakeholders", files=_upload(file), headers=people.b)
    assert dry.status_code == 200, dry.text
    rows = dry.json()["rows"]
    assert [(r["outcome"], r["organisation_id"], r["changes"]) for r in rows] == [
        ("create", None, []),
        ("create", None, []),
    ], "neither A's name nor A's reference is seen by B's file"

    applied = await api.post(
        "/imports/stakeholders", params={"dry_run": "false"}, files=_upload(file), headers=people.b
    )
    assert applied.status_code == 200 and applied.json()["summary"]["organisations"]["create"] == 2
    a_now = (await api.get(f"/organisations/{a_org['id']}", headers=people.a)).json()
    assert (a_now["name"], a_now["head_email"], a_now["external_ref"]) == (
        "Ghana Customs",
        "head@gra.example",
        "GRA-1",
    )
    b_orgs = (await api.get("/organisations", headers=people.b)).json()
    assert sorted((o["name"], o["owner_id"]) for o in b_orgs) == [
        ("Ghana Customs", people.b_id),
        ("Renamed by ref", people.b_id),
    ]
    assert [o["id"] for o in (await api.get("/organisations", headers=people.a)).json()] == [a_org["id"]]

    # A's own import of the same reference updates A's record, as before.
    mine = await api.post(
        "/imports/stakeholders",
        params={"dry_run": "false"},
        files=_upload(
            _csv([["Ghana Customs", "customs_administration", "GH", "", "", "new@gra.example", "GRA-1"]])
        ),
        headers=people.a,
    )
    assert [(r["outcome"], r["organisation_id"]) for r in mine.json()["rows"]] == [("update", a_org["id"])]
    assert_problem(await api.post("/imports/stakeholders", files=_upload(file), headers=people.auditor), 403)


def test_the_command_line_import_needs_an_owner_who_may_own_a_directory(
    db, monkeypatch, tmp_path, database_url
):
    from typer.testing import CliRunner

    from pledgeflow.cli.main import app as cli_app
    from pledgeflow.config import get_settings
    from pledgeflow.db import get_engine

    factories.coordinator(db, email="auditor@wco.example", role=Role.auditor)
    monkeypatch.setenv("PLEDGEFLOW_DATABASE_URL", database_url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    path = tmp_path / "s.csv"
    path.write_bytes(_csv([["Ghana Customs", "customs_administration", "GH"]]))
    try:
        missing = CliRunner().invoke(cli_app, ["import", "stakeholders", str(path)])
        unknown = CliRunner().invoke(
            cli_app, ["import", "stakeholders", str(path), "--owner", "x@nowhere.example"]
        )
        auditor = CliRunner().invoke(
            cli_app, ["import", "stakeholders", str(path), "--owner", "auditor@wco.example"]
        )
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()
    assert missing.exit_code == 2 and "--owner" in missing.output
    assert unknown.exit_code == 2 and "owner: no user has the address x@nowhere.example" in unknown.output
    assert auditor.exit_code == 2 and "only coordinators and admins own a directory" in auditor.output


# --- signed facts -----------------------------------------------------------------------------


async def test_a_rename_after_signing_leaves_receipt_register_and_signatures_as_signed(api, db, people):
    seeded = factories.campaign_with_invitees(db, count=1)
    factories.launch(db, seeded.campaign.id or 0)
    _sign(db, seeded.invitations[0].id or 0, "PF-SIGNED-1")
    with session_scope(db) as session:
        key = campaigns.get_or_raise(session, seeded.campaign.id or 0).register_key
    org_id, contact_id = seeded.organisations[0].id, seeded.contacts[0].id

    renamed = await api.patch(
        f"/organisations/{org_id}", json={"name": "Renamed Later", "country": "TG"}, headers=people.a
    )
    assert renamed.status_code == 200
    moved = await api.patch(f"/contacts/{contact_id}", json={"email": "later@else.example"}, headers=people.a)
    assert moved.status_code == 200

    receipt = (await api.get("/receipts/PF-SIGNED-1.json")).json()
    assert (receipt["organisation_name"], receipt["organisation_country"]) == ("Organisation 1", "GH")
    page = seen(await api.get("/receipts/PF-SIGNED-1"))
    assert "Organisation 1 (GH) signed the pledge" in page and "Renamed Later" not in page
    register = (await api.get(f"/register/{key}.json")).json()
    assert [(s["organisation"], s["kind"], s["country"], s["signer"]) for s in register["signatories"]] == [
        ("Organisation 1", "trade_association", "GH", "Kofi Mensah, Commissioner")
    ]
    register_page = (await api.get(f"/register/{key}")).text
    assert "Organisation 1" in register_page and "Renamed Later" not in register_page
    listed = (await api.get(f"/campaigns/{seeded.campaign.id}/signatures", headers=people.a)).json()
    assert [(s["organisation_name"], s["on_behalf_of"], s["signer_email"]) for s in listed] == [
        ("Organisation 1", "Organisation 1", "contact1@org1.example")
    ]


async def test_a_signature_recorded_before_the_facts_were_copied_shows_the_current_record(api, db):
    seeded = factories.campaign_with_invitees(db, count=1)
    factories.launch(db, seeded.campaign.id or 0)
    _sign(db, seeded.invitations[0].id or 0, "PF-OLD-1")
    with session_scope(db) as session:  # as the rows of before the migration are
        signature = session.exec(select(Signature).where(Signature.receipt_id == "PF-OLD-1")).one()
        signature.organisation_name = signature.organisation_country = signature.organisation_kind = None
        signature.signer_email = None
        session.add(signature)
    receipt = (await api.get("/receipts/PF-OLD-1.json")).json()
    assert (receipt["organisation_name"], receipt["organisation_country"]) == ("Organisation 1", "GH")


def test_bidirectional_controls_a_signer_types_are_dropped_from_the_signature(db):
    seeded = factories.campaign_with_invitees(db, count=1)
    factories.launch(db, seeded.campaign.id or 0)
    _sign(db, seeded.invitations[0].id or 0, "PF-BIDI", signer_name=f"Kofi {RLO}hsneM\u2066")
    with session_scope(db) as session:
        signature = session.exec(select(Signature).where(Signature.receipt_id == "PF-BIDI")).one()
        assert signature.signer_name == "Kofi hsneM"
        invitation = invitations.get_or_raise(session, seeded.invitations[0].id or 0)
        assert invitation.status is InvitationStatus.signed


def test_bidirectional_controls_a_delegating_signatory_types_are_dropped_from_the_new_contact(db):
    seeded = factories.campaign_with_invitees(db, count=2)
    factories.launch(db, seeded.campaign.id or 0)
    first, second = (i.id or 0 for i in seeded.invitations)
    with session_scope(db) as session:
        named = invitations.delegate(
            session,
            invitation_id=first,
            name=f"Ama {RLO}iksA",
            email="ama@org1.example",
            title="Deputy\u2069",
            locale="en",
            at=utcnow(),
        )
        unnamed = invitations.delegate(
            session,
            invitation_id=second,
            name=RLO,
            email="yaw@org2.example",
            title=None,
            locale="en",
            at=utcnow(),
        )
        people = [invitations.view(session, i.id or 0).contact for i in (named, unnamed)]
        assert [(c.name, c.title) for c in people] == [("Ama iksA", "Deputy"), ("yaw@org2.example", None)]


# --- validation: null, renames onto a taken name, bidirectional controls -----------------------


@pytest.mark.parametrize("field", ["name", "kind", "country"])
async def test_null_for_a_required_organisation_field_is_refused_naming_it(api, people, field):
    org = await _organisation(api, people.a)
    body = assert_problem(
        await api.patch(f"/organisations/{org['id']}", json={field: None}, headers=people.a), 422, field
    )
    assert body["errors"][0]["reason"] == f"{field} cannot be null; leave it out to keep the current value"


@pytest.mark.parametrize("field", ["name", "email", "locale"])
async def test_null_for_a_required_contact_field_is_refused_naming_it(api, people, field):
    org = await _organisation(api, people.a)
    contact = await _contact(api, people.a, org["id"])
    assert_problem(
        await api.patch(f"/contacts/{contact['id']}", json={field: None}, headers=people.a), 422, field
    )


@pytest.mark.parametrize("field", ["title", "region", "visibility", "timezone"])
async def test_null_for_a_required_campaign_field_is_refused_naming_it(api, db, people, field):
    seeded = factories.campaign_with_invitees(db, count=0)
    assert_problem(
        await api.patch(f"/campaigns/{seeded.campaign.id}", json={field: None}, headers=people.a), 422, field
    )


async def test_renaming_onto_a_name_taken_in_the_directory_is_a_conflict(api, people):
    await _organisation(api, people.a, name="Ghana Customs")
    other = await _organisation(api, people.a, name="Tema Brokers")
    await _organisation(api, people.b, name="Accra Shippers")
    path = f"/organisations/{other['id']}"
    body = assert_problem(
        await api.patch(path, json={"name": "Ghana Customs"}, headers=people.a), 409, "name"
    )
    assert body["errors"][0]["reason"] == "already exists in this country"
    moved = await api.patch(path, json={"name": "Ghana Customs", "country": "TG"}, headers=people.a)
    assert moved.status_code == 200, "the same name in another country is another organisation"
    taken_elsewhere = await api.patch(
        path, json={"name": "Accra Shippers", "country": "GH"}, headers=people.a
    )
    assert taken_elsewhere.status_code == 200, "B's names do not constrain A's directory"


async def test_readdressing_a_contact_onto_a_colleagues_address_is_a_conflict(api, people):
    org = await _organisation(api, people.a)
    await _contact(api, people.a, org["id"], email="kofi@gra.example")
    second = await _contact(api, people.a, org["id"], email="ama@gra.example")
    assert_problem(
        await api.patch(f"/contacts/{second['id']}", json={"email": "KOFI@gra.example"}, headers=people.a),
        409,
        "email",
    )


BIDI_REASON = (
    "contains the Unicode bidirectional control U+202E, which can make the text display differently "
    "than written; remove it"
)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": f"Ghana {RLO}smotsuC"}, "name"),
        ({"name": "Ghana Customs", "head_name": f"Rev. {RLO}hasnA"}, "head_name"),
    ],
)
async def test_bidirectional_controls_in_organisation_names_are_refused(api, people, body, field):
    create = {"kind": "company", "country": "GH", **body}
    found = assert_problem(await api.post("/organisations", json=create, headers=people.a), 422, field)
    assert found["errors"][0]["reason"] == BIDI_REASON
    org = await _organisation(api, people.a, name="Plain Name")
    assert_problem(await api.patch(f"/organisations/{org['id']}", json=body, headers=people.a), 422, field)


@pytest.mark.parametrize("field", ["name", "title", "escalation_name"])
async def test_bidirectional_controls_in_contact_names_and_titles_are_refused(api, people, field):
    org = await _organisation(api, people.a)
    create = {"organisation_id": org["id"], "name": "Kofi", "email": "k@gra.example", field: f"x{RLO}y"}
    assert_problem(await api.post("/contacts", json=create, headers=people.a), 422, field)
    contact = await _contact(api, people.a, org["id"])
    assert_problem(
        await api.patch(f"/contacts/{contact['id']}", json={field: f"\u2067{field}"}, headers=people.a),
        422,
        field,
    )


async def test_bidirectional_controls_in_campaign_and_pledge_texts_are_refused(api, db, people):
    assert_problem(
        await api.post("/campaigns", json={"title": f"Pact {RLO}", "region": "GH"}, headers=people.a),
        422,
        "title",
    )
    seeded = factories.campaign_with_invitees(db, count=0, with_pledge=False)
    cid = seeded.campaign.id
    assert_problem(
        await api.patch(f"/campaigns/{cid}", json={"title": "\u202aPact"}, headers=people.a), 422, "title"
    )
    pledge = factories.PLEDGE.model_dump(mode="json")
    assert_problem(
        await api.put(f"/campaigns/{cid}/pledge", json={**pledge, "title": f"P{RLO}"}, headers=people.a),
        422,
        "title",
    )
    commitments = [{**pledge["commitments"][0], "text": f"Publish {RLO}seef"}]
    body = assert_problem(
        await api.put(
            f"/campaigns/{cid}/pledge", json={**pledge, "commitments": commitments}, headers=people.a
        ),
        422,
        "commitments",
    )
    assert body["errors"][0]["reason"].startswith("commitments[0].text contains the Unicode bidirectional")


async def test_bidirectional_controls_in_an_import_are_a_row_error(api, people):
    file = _csv(
        [
            [f"Ghana {RLO}smotsuC", "customs_administration", "GH"],
            ["Tema Brokers", "customs_broker", "GH", f"Ama {RLO}", "ama@tema.example"],
            ["Clean", "company", "GH"],
        ]
    )
    dry = await api.post("/imports/stakeholders", files=_upload(file), headers=people.a)
    rows = dry.json()["rows"]
    assert [(r["outcome"], [(p["column"], p["reason"]) for p in r["problems"]]) for r in rows] == [
        ("refused", [("organisation", BIDI_REASON)]),
        ("refused", [("contact_name", BIDI_REASON)]),
        ("create", []),
    ]


# --- migration --------------------------------------------------------------------------------

_OLD_ROWS = [
    """INSERT INTO "user" (id, name, email, role, created_at)
       VALUES (1, 'A', 'a@wco.example', 'coordinator', :now)""",
    """INSERT INTO campaign (id, title, region, timezone, visibility, status, owner_id, register_key,
       quorum, policy, review, created_at, pledge_version)
       VALUES (1, 'Pact', 'GH', 'UTC', 'public', 'launched', 1, 'key1', '[]', '{}', '{}', :now, 1)""",
    """INSERT INTO organisation (id, name, kind, country, created_at, updated_at)
       VALUES (1, 'Invited Org', 'company', 'GH', :now, :now), (2, 'Never Invited', 'company', 'GH', :now, :now)""",
    """INSERT INTO contact (id, name, email, locale, organisation_id, created_at, updated_at)
       VALUES (1, 'Kofi', 'kofi@invited.example', 'en', 1, :now, :now)""",
    """INSERT INTO pledge (id, title, introduction, campaign_id, version, commitments, sha256, created_at)
       VALUES (1, 'P', '', 1, 1, '[]', 'abc', :now)""",
    """INSERT INTO invitation (id, campaign_id, organisation_id, contact_id, status, created_at)
       VALUES (1, 1, 1, 1, 'signed', :now)""",
    """INSERT INTO signature (id, receipt_id, campaign_id, organisation_id, invitation_id, contact_id,
       signer_name, signer_title, publish_name, pledge_id, pledge_version, pledge_sha256, signed_at)
       VALUES (1, 'PF-OLD', 1, 1, 1, 1, 'Kofi', 'Head', true, 1, 1, 'abc', :now)""",
]


def test_the_migration_gives_invited_organisations_an_owner_and_old_signatures_their_facts(empty_database):
    from sqlalchemy import text

    from pledgeflow.migrations import migration_engine, upgrade_to_head

    old = test_migrations._alembic(empty_database, "upgrade", "08800200aaeb")
    assert old.returncode == 0, old.stderr
    engine = migration_engine(empty_database)
    try:
        with engine.begin() as connection:
            for statement in _OLD_ROWS:
                connection.execute(text(statement), {"now": utcnow()})
        upgrade_to_head(empty_database)
        with engine.connect() as connection:
            owners = connection.execute(text("SELECT id, owner_id FROM organisation ORDER BY id")).all()
            facts = connection.execute(
                text(
                    "SELECT organisation_name, organisation_kind, organisation_country, signer_email "
                    "FROM signature"
                )
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in owners] == [(1, 1), (2, None)], "only admins reach what no campaign invited"
    assert [tuple(r) for r in facts] == [("Invited Org", "company", "GH", "kofi@invited.example")]
