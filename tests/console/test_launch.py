"""The launch page: its checklist, a preview of the invitation in each language the invitees
read, and the launch itself, which starts the workflow and sends the invitations."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlmodel import col, select

from models.audit import AuditEntry
from models.campaign import Campaign, CampaignStatus
from models.invitation import Invitation, InvitationStatus
from models.organisation import OrganisationKind
from models.quorum import RuleKind, StakeholderGroup
from models.user import CampaignShare, Role
from pledgeflow.db import session_scope
from tests import factories
from tests.console.staff import console_client, person, post_form, signed_in_page
from tests.helpers import app_without_temporal, eventually
from tests.pagechecks import PageChecks, assert_clean, shots_folder

COORDINATOR = "coordinator@wco.example"


def _campaign(db, campaign_id: int) -> Campaign:
    with session_scope(db) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        session.expunge(campaign)
        return campaign


async def test_the_launch_page_previews_the_invitation_in_each_language_the_invitees_read(settings, db):
    app = app_without_temporal(settings, db, why="the launch page only reads")
    # Nepali has no catalogs yet (Portuguese has): its reader gets the English text.
    seeded = factories.campaign_with_invitees(db, count=4, locales=["en", "fr", "ne", "fr"])
    owner = person(db, Role.coordinator, email=COORDINATOR)
    async with console_client(app, owner) as client:
        page = await client.get(f"/console/campaigns/{seeded.campaign.id}/launch")
    assert page.status_code == 200
    html = page.text
    assert html.count('class="card email-preview"') == 3
    # Each preview is the real composer's email: the pledge's title, the language's own wording,
    # and a stand-in instead of a live signing link.
    assert html.count("Ghana Customs Integrity Pact") >= 3
    assert 'lang="fr"' in html and "Organisation 2" in html
    assert "[the invitee&#39;s own signing link]" in html
    assert "/s/" not in html
    assert "1 contact reads Nepali: they will get English until it is translated." in html
    assert "sent in English" in html  # the Nepali preview says it is the English text
    assert html.count('class="check-ok"') == 4
    assert f'href="/console/campaigns/{seeded.campaign.id}/launch/confirm"' in html


async def test_the_checklist_names_what_is_missing(settings, db):
    app = app_without_temporal(settings, db, why="the launch page only reads")
    seeded = factories.campaign_with_invitees(
        db,
        count=0,
        deadline=date.today() + timedelta(days=30),
        quorum=[StakeholderGroup(name="Brokers", kinds=[OrganisationKind.customs_broker], rule=RuleKind.all)],
    )
    with session_scope(db) as session:  # the draft waited past its deadline
        campaign = session.get(Campaign, seeded.campaign.id)
        assert campaign is not None
        campaign.signature_deadline = date.today() - timedelta(days=2)
        session.add(campaign)
    owner = person(db, Role.coordinator, email=COORDINATOR)
    url = f"/console/campaigns/{seeded.campaign.id}/launch"
    async with console_client(app, owner) as client:
        page = await client.get(url)
        refused = await post_form(client, url, url)
    assert page.status_code == 200
    assert page.text.count('class="check-missing"') == 3
    assert "invite at least one organisation" in page.text
    assert "it has passed; move it later" in page.text
    assert "no invitee belongs to the group &#39;Brokers&#39;" in page.text
    assert "Launch the campaign" not in page.text
    # Posting anyway: the service refuses, with the API's reasons, and nothing launches.
    assert refused.status_code == 409
    assert "invitees: choose at least one invitee before launching" in refused.text
    assert _campaign(db, seeded.campaign.id or 0).status is CampaignStatus.draft


async def test_a_reviewer_or_an_auditor_cannot_launch(settings, db):
    app = app_without_temporal(settings, db, why="a refused launch starts nothing")
    seeded = factories.campaign_with_invitees(db, count=1)
    campaign_id = seeded.campaign.id or 0
    reviewer = person(db, Role.reviewer, email="reviewer@wco.example")
    auditor = person(db, Role.auditor, email="auditor@wco.example")
    with session_scope(db) as session:
        session.add(CampaignShare(campaign_id=campaign_id, user_id=reviewer.id))
    url = f"/console/campaigns/{campaign_id}/launch"
    for who in (reviewer, auditor):
        async with console_client(app, who) as client:
            page = await client.get(url)
            assert page.status_code == 200
            assert "Launch the campaign" not in page.text
            confirm = await client.get(f"{url}/confirm")
            assert confirm.status_code == 403
            assert "<html" in confirm.text  # the console's error page, not JSON
            refused = await post_form(client, url, url)
            assert refused.status_code == 403
    assert _campaign(db, campaign_id).status is CampaignStatus.draft


async def test_launching_starts_the_workflow_and_the_invitations_arrive(console, mailbox):
    db = console.engine
    seeded = factories.campaign_with_invitees(db, count=3, locales=["en", "fr", "en"])
    campaign_id = seeded.campaign.id or 0
    owner = person(db, Role.coordinator, email=COORDINATOR)
    url = f"/console/campaigns/{campaign_id}/launch"
    async with console_client(console.app, owner) as client:
        confirm = await client.get(f"{url}/confirm")
        assert confirm.status_code == 200 and "3 invitations are emailed at once" in confirm.text
        # The pledge is English only: its French reader gets that text, ticked as accepted.
        response = await post_form(client, f"{url}/confirm", url, {"accept_fallback": "fr"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/console/campaigns/{campaign_id}"
    messages = await mailbox.wait_for_async(3)
    assert sorted(r for m in messages for r in m.recipients) == sorted(c.email for c in seeded.contacts)
    french = next(m for m in messages if m.recipients == [seeded.contacts[1].email])
    assert french.subject != next(m for m in messages if m.recipients == [seeded.contacts[0].email]).subject
    campaign = _campaign(db, campaign_id)
    assert campaign.status is CampaignStatus.launched and campaign.pledge_version == 1

    async def statuses() -> list[InvitationStatus]:
        with session_scope(db) as session:
            query = select(Invitation.status).where(Invitation.campaign_id == campaign_id)
            return [InvitationStatus(s) for s in session.exec(query.order_by(col(Invitation.id))).all()]

    # An invitation is marked sent just after the SMTP server has taken it.
    sent = [InvitationStatus.sent] * 3
    assert await eventually(statuses, lambda found: found == sent) == sent
    with session_scope(db) as session:
        launched = session.exec(select(AuditEntry).where(AuditEntry.kind == "campaign.launched")).one()
    assert launched.actor == f"user:{owner.id}:{COORDINATOR}"


async def test_launch_pages_in_chromium(console, mailbox, tmp_path: Path):
    db = console.engine
    seeded = factories.campaign_with_invitees(db, count=3, locales=["en", "fr", "pt"])
    campaign_id = seeded.campaign.id or 0
    owner = person(db, Role.coordinator, email=COORDINATOR)
    async with console.served() as (base, browser):
        page = await signed_in_page(browser, base, owner)
        checks = PageChecks(page, shots_folder(tmp_path))
        await checks.visit("console-launch-page", f"{base}/console/campaigns/{campaign_id}/launch", 200)
        await page.click("text=Launch the campaign")
        await page.wait_for_selector("text=Launch and send the invitations")
        await checks.check("console-launch-confirm")
        # The pledge is in English only: the French and Portuguese readers' fallback is accepted.
        for box in await page.query_selector_all('input[name="accept_fallback"]'):
            await box.check()
        await page.click("text=Launch and send the invitations")
        await page.wait_for_url(f"{base}/console/campaigns/{campaign_id}")
    assert_clean(checks)
    await mailbox.wait_for_async(3)
    assert _campaign(db, campaign_id).status is CampaignStatus.launched
