"""The invitees page: a spreadsheet's dry run, importing its good rows and inviting them through
the contacts the rows name, changing and removing invitees before launch, the language warning,
adding invitees to a running campaign, and the same import through the API."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import openpyxl
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlmodel import col, select

from models.audit import AuditEntry
from models.contact import Contact, ContactCreate
from models.invitation import Invitation, InvitationStatus
from models.organisation import Organisation, OrganisationCreate, OrganisationKind
from models.user import CampaignShare, Role, User
from pledgeflow.db import session_scope
from services import campaigns, contacts, organisations, shares
from tests import factories
from tests.console.staff import Person, console_client, person, post_form, signed_in_page
from tests.helpers import app_without_temporal, asgi_client, csrf_from, eventually
from tests.pagechecks import PageChecks, assert_clean, shots_folder
from workflows import client as workflow_client

COORDINATOR = "coordinator@wco.example"  # the factories' campaign owner
HEADER = ["organisation", "kind", "country", "contact_name", "contact_email", "locale"]
BAD = {  # data row (the header is row 1) -> (column, what the reason says)
    6: ("country", "not a country"),
    13: ("kind", "not a kind of organisation"),
    21: ("contact_email", "email"),
}


def thirty_rows() -> list[list[str]]:
    """30 organisations, three with one bad cell each; some read French, some Portuguese."""
    rows = []
    for index in range(1, 31):
        number = index + 1
        locale = "fr" if index % 5 == 0 else "pt" if index in (3, 7, 11) else "en"
        cells = [
            f"Org {index:02d}",
            "trade_association",
            "GH",
            f"Person {index}",
            f"p{index}@org{index}.example",
            locale,
        ]
        if number == 6:
            cells[2] = "Atlantis"
        if number == 13:
            cells[1] = "spaceship"
        if number == 21:
            cells[4] = "not-an-address"
        rows.append(cells)
    return rows


def as_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode()


def as_xlsx(rows: list[list[str]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    for cells in rows:
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def app(settings, db, tmp_path) -> FastAPI:
    """The console for draft campaigns (nothing reaches Temporal)."""
    settings = settings.model_copy(update={"data_dir": tmp_path})
    return app_without_temporal(settings, db, why="a draft campaign's invitees need no workflow")


@pytest_asyncio.fixture
async def draft(db) -> AsyncIterator[tuple[int, Person]]:
    """A draft campaign with a pledge and no invitees, and its owner signed in."""
    seeded = factories.campaign_with_invitees(db, count=0)
    yield seeded.campaign.id or 0, person(db, Role.coordinator, email=COORDINATOR)


def _invitations(db, campaign_id: int) -> list[tuple[str, str, InvitationStatus]]:
    with session_scope(db) as session:
        rows = session.exec(
            select(Organisation.name, Contact.email, Invitation.status)
            .join(Organisation, col(Organisation.id) == Invitation.organisation_id)
            .join(Contact, col(Contact.id) == Invitation.contact_id)
            .where(Invitation.campaign_id == campaign_id)
            .order_by(col(Organisation.name), col(Invitation.id))
        ).all()
        return [(name, email, InvitationStatus(status)) for name, email, status in rows]


async def _dry_run(client, campaign_id: int, content: bytes, file_name: str, content_type: str):
    page = await client.get(f"/console/campaigns/{campaign_id}/invitees")
    assert page.status_code == 200
    return await client.post(
        f"/console/campaigns/{campaign_id}/invitees/upload",
        data={"csrf_token": csrf_from(page.text)},
        files={"file": (file_name, content, content_type)},
    )


def _row_html(html: str, number: int) -> str:
    match = re.search(rf'<tr class="outcome-[a-z]+" id="row-{number}">(.*?)</tr>', html, re.S)
    assert match, f"row {number} is not in the table"
    return match.group(1)


def _upload_id(html: str) -> str:
    match = re.search(r'name="upload_id" value="([^"]+)"', html)
    assert match
    return match.group(1)


@pytest.mark.parametrize(
    ("file_name", "content_type", "make"),
    [("invitees.csv", "text/csv", as_csv), ("invitees.xlsx", "application/octet-stream", as_xlsx)],
)
async def test_a_spreadsheet_with_three_bad_rows_shows_them_then_invites_the_27_good_ones(
    app, draft, db, file_name, content_type, make
):
    campaign_id, owner = draft
    async with console_client(app, owner) as client:
        dry = await _dry_run(client, campaign_id, make(thirty_rows()), file_name, content_type)
        assert dry.status_code == 200, dry.text[:500]
        assert "30 rows: 27 create, 0 update, 0 unchanged, 3 refused." in dry.text
        for number, (column, reason) in BAD.items():
            cells = _row_html(dry.text, number)
            assert "refused" in cells and column in cells and reason in cells, cells
        assert "refused" not in _row_html(dry.text, 2)
        assert "Import the 27 good rows as invitees" in dry.text
        # The dry run wrote nothing.
        assert _invitations(db, campaign_id) == []
        with session_scope(db) as session:
            assert session.exec(select(Organisation)).all() == []

        page = await client.get(f"/console/campaigns/{campaign_id}/invitees")
        accepted = await client.post(
            f"/console/campaigns/{campaign_id}/invitees/import",
            data={"csrf_token": csrf_from(page.text), "upload_id": _upload_id(dry.text)},
        )
        assert accepted.status_code == 303
        assert accepted.headers["location"] == f"/console/campaigns/{campaign_id}/invitees"
        listing = await client.get(accepted.headers["location"])
    assert "Imported 27 rows. Invited 27 organisations." in listing.text
    invited = _invitations(db, campaign_id)
    bad_orgs = {f"Org {n - 1:02d}" for n in BAD}
    expected = [
        (f"Org {i:02d}", f"p{i}@org{i}.example", InvitationStatus.pending)
        for i in range(1, 31)
        if f"Org {i:02d}" not in bad_orgs
    ]
    assert invited == expected
    assert "p2@org2.example" in listing.text and "Org 02" in listing.text
    with session_scope(db) as session:
        kinds = [
            e.kind
            for e in session.exec(
                select(AuditEntry)
                .where(
                    AuditEntry.actor == f"user:{owner.id}:{COORDINATOR}",
                    AuditEntry.kind != "sign_in.session_opened",
                )
                .order_by(col(AuditEntry.id))
            ).all()
        ]
    assert kinds == ["import.applied", "campaign.invitees_chosen"], kinds


async def test_an_organisation_already_in_the_directory_is_invited_through_the_contact_the_row_names(
    app, draft, db
):
    campaign_id, owner = draft
    with session_scope(db) as session:
        organisation = organisations.create(
            session,
            data=OrganisationCreate(
                name="Existing Brokers", kind=OrganisationKind.customs_broker, country="GH"
            ),
            actor="test",
            owner_id=owner.id,
        )
        contacts.create(
            session,
            data=ContactCreate(
                organisation_id=organisation.id or 0, name="First One", email="first@brokers.example"
            ),
            actor="test",
        )
    content = as_csv(
        [["Existing Brokers", "customs_broker", "GH", "Second One", "second@brokers.example", "en"]]
    )
    async with console_client(app, owner) as client:
        dry = await _dry_run(client, campaign_id, content, "one.csv", "text/csv")
        assert "1 rows: 0 create, 1 update" in dry.text or "1 row: 1 create" in dry.text, dry.text
        response = await post_form(
            client,
            f"/console/campaigns/{campaign_id}/invitees",
            f"/console/campaigns/{campaign_id}/invitees/import",
            {"upload_id": _upload_id(dry.text)},
        )
        assert response.status_code == 303
    assert _invitations(db, campaign_id) == [
        ("Existing Brokers", "second@brokers.example", InvitationStatus.pending)
    ]


async def test_the_kept_file_belongs_to_its_uploader_and_campaign(app, draft, db):
    campaign_id, owner = draft
    other = person(db, Role.coordinator, email="other@wco.example")
    async with console_client(app, owner) as client:
        dry = await _dry_run(client, campaign_id, as_csv(thirty_rows()[:2]), "two.csv", "text/csv")
        upload_id = _upload_id(dry.text)
    # Another coordinator cannot even see the campaign; a made-up id is refused beside the file field.
    async with console_client(app, other) as client:
        page = await client.get(f"/console/campaigns/{campaign_id}/invitees")
        assert page.status_code == 404
    async with console_client(app, owner) as client:
        refused = await post_form(
            client,
            f"/console/campaigns/{campaign_id}/invitees",
            f"/console/campaigns/{campaign_id}/invitees/import",
            {"upload_id": "x" * 32},
        )
        assert refused.status_code == 422
        assert "the uploaded file is no longer available; upload it again" in refused.text
        assert upload_id not in refused.text
    assert _invitations(db, campaign_id) == []


async def test_an_unreadable_file_is_refused_beside_the_file_field(app, draft, db):
    campaign_id, owner = draft
    async with console_client(app, owner) as client:
        response = await _dry_run(
            client, campaign_id, b"name,email\nA,b@c.example\n", "wrong.csv", "text/csv"
        )
    assert response.status_code == 422
    assert 'id="file-error"' in response.text
    assert "required column &#39;organisation&#39; is missing" in response.text


async def test_before_launch_an_invitee_gets_another_contact_a_new_one_or_is_removed(app, db):
    seeded = factories.campaign_with_invitees(db, count=2)
    campaign_id = seeded.campaign.id or 0
    owner = person(db, Role.coordinator, email=COORDINATOR)
    first, second = seeded.invitations
    with session_scope(db) as session:
        colleague = contacts.create(
            session,
            data=ContactCreate(
                organisation_id=first.organisation_id, name="Colleague", email="colleague@org1.example"
            ),
            actor="test",
        )
    page_url = f"/console/campaigns/{campaign_id}/invitees"
    async with console_client(app, owner) as client:
        changed = await post_form(
            client, page_url, f"{page_url}/{first.id}/contact", {"contact_id": str(colleague.id)}
        )
        assert changed.status_code == 303
        new = await post_form(
            client,
            page_url,
            f"{page_url}/{second.id}/contact",
            {"contact_id": "new", "name": "Ama New", "email": "ama@org2.example", "locale": "fr"},
        )
        assert new.status_code == 303
        bad = await post_form(
            client,
            page_url,
            f"{page_url}/{second.id}/contact",
            {"contact_id": "new", "name": "No Address", "email": "nope", "locale": "en"},
        )
        assert bad.status_code == 422
        assert f'id="invitation-{second.id}-email-error"' in bad.text
        # A contact of another organisation is refused with the API's reason.
        foreign = await post_form(
            client, page_url, f"{page_url}/{first.id}/contact", {"contact_id": str(seeded.contacts[1].id)}
        )
        assert foreign.status_code == 422
        assert f"is not a contact of organisation {first.organisation_id}" in foreign.text

        confirm = await client.get(f"{page_url}/{first.id}/remove")
        assert confirm.status_code == 200 and "Remove Organisation 1?" in confirm.text
        removed = await post_form(client, f"{page_url}/{first.id}/remove", f"{page_url}/{first.id}/remove")
        assert removed.status_code == 303
        listing = await client.get(page_url)
    assert "The invitee was removed." in listing.text
    assert "colleague@org1.example" not in listing.text and "ama@org2.example" in listing.text
    assert _invitations(db, campaign_id) == [
        ("Organisation 1", "colleague@org1.example", InvitationStatus.cancelled),
        ("Organisation 2", "ama@org2.example", InvitationStatus.pending),
    ]
    with session_scope(db) as session:
        entries = session.exec(
            select(AuditEntry.kind, AuditEntry.actor)
            .where(col(AuditEntry.kind).in_(["campaign.invitee_contact_changed", "campaign.invitee_removed"]))
            .order_by(col(AuditEntry.id))
        ).all()
    actor = f"user:{owner.id}:{COORDINATOR}"
    assert [tuple(e) for e in entries] == [
        ("campaign.invitee_contact_changed", actor),
        ("campaign.invitee_contact_changed", actor),
        ("campaign.invitee_removed", actor),
    ]


async def test_contacts_in_a_language_without_templates_are_warned_about(app, db):
    seeded = factories.campaign_with_invitees(db, count=5, locales=["ne", "ne", "fr", "ne", "pt"])
    owner = person(db, Role.coordinator, email=COORDINATOR)
    async with console_client(app, owner) as client:
        page = await client.get(f"/console/campaigns/{seeded.campaign.id}/invitees")
    assert page.status_code == 200
    assert "3 contacts read Nepali: they will get English until it is translated." in page.text
    assert "French" not in page.text and "Portuguese" not in page.text  # both have their catalogs


async def test_a_reviewer_sees_the_invitees_but_cannot_change_them(app, db):
    seeded = factories.campaign_with_invitees(db, count=1)
    reviewer = person(db, Role.reviewer, email="reviewer@wco.example")
    with session_scope(db) as session:
        session.add(CampaignShare(campaign_id=seeded.campaign.id or 0, user_id=reviewer.id))
    url = f"/console/campaigns/{seeded.campaign.id}/invitees"
    async with console_client(app, reviewer) as client:
        page = await client.get(url)
        assert page.status_code == 200 and "Organisation 1" in page.text
        assert "Check the file" not in page.text
        refused = await post_form(client, url, f"{url}/{seeded.invitations[0].id}/remove")
    assert refused.status_code == 403
    assert _invitations(db, seeded.campaign.id or 0)[0][2] is InvitationStatus.pending


async def test_the_api_import_with_a_campaign_invites_the_named_contacts(settings, db, tmp_path):
    app = app_without_temporal(settings, db, why="a draft campaign's invitees need no workflow")
    seeded = factories.campaign_with_invitees(db, count=0)
    async with asgi_client(app) as client:
        response = await client.post(
            "/imports/stakeholders",
            params={"dry_run": "false", "accept_good_rows": "true", "campaign_id": seeded.campaign.id},
            files={"file": ("t.csv", as_csv(thirty_rows()[:6]), "text/csv")},
            headers={"Authorization": f"Bearer {seeded.token}"},
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["applied"] is True and len(body["invitation_ids"]) == 5
    assert [r["row"] for r in body["rows"] if r["outcome"] == "refused"] == [6]
    assert [e for _, e, _ in _invitations(db, seeded.campaign.id or 0)] == [
        f"p{i}@org{i}.example" for i in (1, 2, 3, 4, 6)
    ]


async def test_a_running_campaign_gets_more_invitees_who_are_emailed_at_once(console, mailbox):
    db = console.engine
    seeded = factories.campaign_with_invitees(db, count=1)
    campaign_id = seeded.campaign.id or 0
    factories.launch(db, campaign_id)
    await workflow_client.start_campaign(console.temporal, console.settings, campaign_id)
    await mailbox.wait_for_async(1)
    owner = person(db, Role.coordinator, email=COORDINATOR)
    url = f"/console/campaigns/{campaign_id}/invitees"
    async with console_client(console.app, owner) as client:
        dry = await _dry_run(client, campaign_id, as_csv(thirty_rows()[:2]), "more.csv", "text/csv")
        assert "2 rows: 2 create" in dry.text
        response = await post_form(client, url, f"{url}/import", {"upload_id": _upload_id(dry.text)})
        assert response.status_code == 303
    messages = await mailbox.wait_for_async(3)
    assert sorted(r for m in messages[1:] for r in m.recipients) == ["p1@org1.example", "p2@org2.example"]
    # And one from the directory, chosen on the page.
    with session_scope(db) as session:
        organisation = organisations.create(
            session,
            data=OrganisationCreate(name="Directory Co", kind=OrganisationKind.company, country="GH"),
            actor="test",
            owner_id=owner.id,
        )
        contacts.create(
            session,
            data=ContactCreate(
                organisation_id=organisation.id or 0, name="Dee", email="dee@directory.example"
            ),
            actor="test",
        )
    async with console_client(console.app, owner) as client:
        page = await client.get(url)
        assert "Add invitees from your directory" in page.text and "Directory Co" in page.text
        added = await post_form(client, url, f"{url}/add", {"organisation_id": str(organisation.id)})
        assert added.status_code == 303
        assert "Invited 1 organisation." in (await client.get(url)).text
    messages = await mailbox.wait_for_async(4)
    assert messages[3].recipients == ["dee@directory.example"]
    expected = [
        ("Directory Co", InvitationStatus.sent),
        ("Org 01", InvitationStatus.sent),
        ("Org 02", InvitationStatus.sent),
        ("Organisation 1", InvitationStatus.sent),
    ]

    async def statuses() -> list[tuple[str, InvitationStatus]]:
        return [(n, s) for n, _, s in _invitations(db, campaign_id)]

    # An invitation is marked sent just after the SMTP server has taken it.
    assert await eventually(statuses, lambda found: found == expected) == expected


async def test_a_file_uploaded_through_the_real_form_in_chromium(console, tmp_path: Path):
    db = console.engine
    seeded = factories.campaign_with_invitees(db, count=0)
    campaign_id = seeded.campaign.id or 0
    owner = person(db, Role.coordinator, email=COORDINATOR)
    spreadsheet = tmp_path / "invitees.csv"
    spreadsheet.write_bytes(as_csv(thirty_rows()))
    async with console.served() as (base, browser):
        page = await signed_in_page(browser, base, owner)
        checks = PageChecks(page, shots_folder(tmp_path))
        await checks.visit("console-invitees-empty", f"{base}/console/campaigns/{campaign_id}/invitees", 200)
        await page.set_input_files("#file", str(spreadsheet))
        await page.click("text=Check the file")
        await page.wait_for_selector("table.dry-run")
        assert await page.locator("tr.outcome-refused").count() == 3
        await checks.check("console-invitees-dry-run")
        await page.click("text=Import the 27 good rows as invitees")
        await page.wait_for_selector("table.invitees")
        assert "Imported 27 rows. Invited 27 organisations." in await page.inner_text(".flash")
        assert await page.locator("table.invitees tbody tr").count() == 27
        await checks.check("console-invitees-list")
        await page.locator("table.invitees a.danger").first.click()
        await page.wait_for_selector("text=Remove Org 01?")
        await checks.check("console-invitees-remove")
        await page.click("text=Remove the invitee")
        await page.wait_for_selector("text=The invitee was removed.")
        assert await page.locator("table.invitees tbody tr").count() == 26
    assert_clean(checks)
    assert [s for n, _, s in _invitations(db, campaign_id) if n == "Org 01"] == [InvitationStatus.cancelled]


async def test_rows_without_a_contact_import_nothing_and_say_why(app, draft, db):
    campaign_id, owner = draft
    content = b"organisation,kind,country\nNo Contact Ltd,company,GH\n"
    async with console_client(app, owner) as client:
        dry = await _dry_run(client, campaign_id, content, "bare.csv", "text/csv")
        assert "1 row: 1 create" in dry.text
        response = await post_form(
            client,
            f"/console/campaigns/{campaign_id}/invitees",
            f"/console/campaigns/{campaign_id}/invitees/import",
            {"upload_id": _upload_id(dry.text)},
        )
    assert response.status_code == 422
    assert (
        "nothing was imported; invitees[0].contact_id: the organisation has no contact; add one first"
        in response.text
    )
    assert _invitations(db, campaign_id) == []
    with session_scope(db) as session:
        assert session.exec(select(Organisation)).all() == []


async def test_the_template_file_imports_cleanly(app, draft, db):
    """The template the page offers is a file the import takes without a refusal."""
    campaign_id, owner = draft
    async with console_client(app, owner) as client:
        template = await client.get(f"/console/campaigns/{campaign_id}/invitees/template.csv")
        assert template.status_code == 200 and template.headers["content-type"].startswith("text/csv")
        dry = await _dry_run(client, campaign_id, template.content, "template.csv", "text/csv")
    assert "2 rows: 2 create, 0 update, 0 unchanged, 0 refused." in dry.text


async def test_a_co_coordinator_cannot_write_contacts_into_the_owners_directory(app, db):
    """Shared with Bob, the draft is his to work on; the owner's directory is not his to write."""
    seeded = factories.campaign_with_invitees(db, count=1)
    campaign_id = seeded.campaign.id or 0
    [invitation] = seeded.invitations
    bob = person(db, Role.coordinator, email="bob@wco.example")
    with session_scope(db) as session:
        owner = session.get(User, seeded.coordinator.id)
        assert owner is not None
        shares.add(
            session,
            campaign=campaigns.get_or_raise(session, campaign_id),
            by=owner,
            email="bob@wco.example",
            actor="test",
        )
    page_url = f"/console/campaigns/{campaign_id}/invitees"
    async with console_client(app, bob) as client:
        refused = await post_form(
            client,
            page_url,
            f"{page_url}/{invitation.id}/contact",
            {"contact_id": "new", "name": "Mallory", "email": "mallory@evil.example", "locale": "en"},
        )
    assert refused.status_code == 422
    with session_scope(db) as session:
        emails = session.exec(select(Contact.email).order_by(col(Contact.id))).all()
        assert "mallory@evil.example" not in emails
        assert session.get(Invitation, invitation.id).contact_id == seeded.contacts[0].id
