"""The coordinator's whole journey in Chromium, as a new coordinator would take it: sign in through
the emailed link, set up a campaign with two groups, bring 30 organisations from a spreadsheet (3
rows refused), launch, watch the signatories sign through the links in their emails until the pact
is in force; then remind, extend without notice and cancel on a second campaign.

Everything is real: the app under uvicorn, the workers on the time-skipping Temporal server, the
SMTP server, the database. Screenshots are console-journey-*."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from babel.dates import format_date
from sqlmodel import Session, col, select

from models.audit import AuditEntry
from models.campaign import Campaign, CampaignStatus
from models.contact import Contact
from models.invitation import Invitation, InvitationStatus
from models.user import Role, User
from pledgeflow.db import session_scope
from services import campaigns, shares, users
from tests.browser import chromium_available
from tests.console.launched import launched, sign
from tests.helpers import eventually, sign_token
from tests.pagechecks import PageChecks, assert_clean, shots_folder

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(300),
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is installed by `make test`"),
]

COORDINATOR = "amina.diallo@wco.example"
SIGN_IN_LINK = re.compile(r"/sign-in/([A-Za-z0-9_.\-]+)")
FIRST_ACTIONS = ("campaign.created", "campaign.launched")
SECOND_ACTIONS = ("campaign.reminded", "campaign.deadline_extended", "campaign.cancelled")
HEADER = ["organisation", "kind", "country", "contact_name", "contact_email", "locale"]


def _spreadsheet() -> bytes:
    """Ghana's customs administration and 29 trade associations; rows 6, 13 and 21 each hold one bad cell."""
    rows = [
        [
            "Ghana Revenue Authority, Customs",
            "customs_administration",
            "GH",
            "Kofi Boateng",
            "kofi@gra.example",
            "en",
        ]
    ]
    for index in range(2, 31):
        rows.append(
            [
                f"Association {index:02d}",
                "trade_association",
                "GH",
                f"Member {index}",
                f"m{index}@assoc{index}.example",
                "fr" if index % 4 == 0 else "en",
            ]
        )
    rows[4][2] = "Atlantis"  # file row 6 (the header is row 1)
    rows[11][1] = "spaceship"  # row 13
    rows[19][4] = "not-an-address"  # row 21
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode()


def _campaign(db, title: str) -> Campaign:
    with Session(db) as session:
        return session.exec(select(Campaign).where(Campaign.title == title)).one()


def _invitations(db, campaign_id: int) -> list[Invitation]:
    with Session(db) as session:
        return list(
            session.exec(
                select(Invitation).where(Invitation.campaign_id == campaign_id).order_by(col(Invitation.id))
            ).all()
        )


async def test_a_new_coordinator_runs_a_campaign_from_a_spreadsheet_to_in_force(
    console, mailbox, tmp_path: Path
):
    started = time.monotonic()
    db = console.engine
    with session_scope(db) as session:
        amina = users.get_or_create_user(
            session, email=COORDINATOR, name="Amina Diallo", role=Role.coordinator, actor="test"
        )
        amina_actor = f"user:{amina.id}:{COORDINATOR}"
    spreadsheet = tmp_path / "ghana-stakeholders.csv"
    spreadsheet.write_bytes(_spreadsheet())
    deadline = (date.today() + timedelta(days=40)).isoformat()

    async with console.served() as (base, browser):
        page = await (await browser.new_context()).new_page()
        checks = PageChecks(page, shots_folder(tmp_path))

        # Sign in through the emailed link.
        await page.goto(f"{base}/")
        await page.wait_for_url(f"{base}/sign-in**")
        await page.fill("#email", COORDINATOR)
        await page.get_by_role("button", name="Email me a sign-in link").click()
        await page.wait_for_selector("text=Check your email")
        [mail] = await mailbox.wait_for_async(1, to=COORDINATOR)
        link = SIGN_IN_LINK.search(mail.text)
        assert link, mail.text
        # The workers write links with the fixture's public URL, not the served one's: same path.
        await page.goto(f"{base}/sign-in/{link.group(1)}")
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(f"{base}/console/campaigns")
        await checks.check("console-journey-empty-list")

        # Set the campaign up, step by step.
        await page.get_by_role("link", name="New campaign").click()
        await page.fill("#title", "Ghana clearance integrity pact")
        await page.select_option("#region", "GH")
        await page.fill("#signature_deadline", deadline)
        await page.click("button[value=continue]")
        await page.wait_for_url("**/edit/pledge")
        # Once seen failing on PostgreSQL in CI (the field absent, no traceback): say what the page was.
        if not await page.locator("#commitments\\.0\\.text").count():
            pytest.fail(
                "the pledge step shows no commitment field:\n" + (await page.inner_text("body"))[:3000]
            )
        await page.fill("#commitments\\.0\\.text", "Publish every fee and charge for clearance")
        await page.check("input[name='commitments.0.factors'][value='transparency']")
        await page.click("button[value=continue]")
        await page.wait_for_url("**/edit/groups")
        for index, (name, kind) in enumerate(
            [("Customs", "customs_administration"), ("Trade associations", "trade_association")]
        ):
            await page.click("button[value=add]")
            await page.fill(f"#quorum\\.{index}\\.name", name)
            await page.check(f"input[name='quorum.{index}.kinds'][value='{kind}']")
        await page.check("input[name='quorum.1.rule'][value='at_least']")
        await page.fill("#quorum\\.1\\.n", "5")
        await page.click("button[value=save]")
        await page.wait_for_url("**/edit/groups")
        sentence = await page.inner_text(".quorum-sentence")
        assert (
            "In force when every customs administration and at least 5 trade associations have signed."
            in sentence
        )
        await page.click("button[value=continue]")
        await page.wait_for_url("**/edit/chasing")
        await page.click("button[value=continue]")
        await page.wait_for_url("**/edit/reviews")
        await page.click("button[value=continue]")
        campaign = _campaign(db, "Ghana clearance integrity pact")
        campaign_url = f"{base}/console/campaigns/{campaign.id}"

        # Thirty organisations from the spreadsheet: the dry run names the three bad rows.
        await page.goto(f"{campaign_url}/invitees")
        await page.set_input_files("#file", str(spreadsheet))
        await page.click("text=Check the file")
        await page.wait_for_selector("table.dry-run")
        refused = await page.locator("tr.outcome-refused").all_inner_texts()
        assert len(refused) == 3
        assert "Atlantis" in refused[0] or "country" in refused[0]
        assert "kind" in refused[1] and "contact_email" in refused[2]
        await checks.check("console-journey-dry-run")
        await page.click("text=Import the 27 good rows as invitees")
        await page.wait_for_selector("table.invitees")
        assert await page.locator("table.invitees tbody tr").count() == 27

        # Launch: the preview in each language the invitees read, then the confirmation.
        await page.goto(f"{campaign_url}/launch")
        launch_text = await page.inner_text("main")
        assert "English" in launch_text and "French" in launch_text
        await checks.check("console-journey-launch")
        await page.click("text=Launch the campaign")
        # The pledge is in English only: the other languages' readers get it, accepted explicitly.
        for box in await page.query_selector_all('input[name="accept_fallback"]'):
            await box.check()
        await page.click("text=Launch and send the invitations")
        await page.wait_for_url(campaign_url)

        tokens: dict[str, str] = {}
        for email in _invited_emails(db, campaign.id or 0):
            [received] = await mailbox.wait_for_async(1, to=email)
            tokens[email] = sign_token(received)
        assert len(tokens) == 27

        # The signatories sign through their links; the page's live part (htmx, every 5 s) follows.
        async with httpx.AsyncClient(base_url=base) as signatory:
            await sign(signatory, tokens["kofi@gra.example"], "Kofi Boateng")
            await page.wait_for_selector(
                "figcaption:has-text('Customs'):has-text('1 of 1 signed')", timeout=30_000
            )
            associations = [e for e in tokens if e.startswith("m")]
            for email in associations[:5]:
                await sign(signatory, tokens[email], "Association member")
        await page.wait_for_selector(
            "figcaption:has-text('Trade associations'):has-text('5 of 26 signed')", timeout=30_000
        )

        async def status() -> CampaignStatus:
            return _campaign(db, "Ghana clearance integrity pact").status

        assert (
            await eventually(status, lambda s: s is CampaignStatus.in_force, timeout=60)
            is CampaignStatus.in_force
        )
        # Without a reload: the live part says it as it happens.
        await page.wait_for_selector("text=The pact is in force", timeout=30_000)
        # A late signatory reads that the pact holds already, not that it is conditional.
        async with httpx.AsyncClient(base_url=base) as late:
            late_page = await late.get(f"/s/{tokens[associations[5]]}", params={"lang": "en"})
        assert "The pact is already in force" in late_page.text
        await checks.check("console-journey-in-force")

        # A second campaign, shared with her by a colleague: remind, extend without notice, cancel.
        second = await launched(console, mailbox, count=3)
        with session_scope(db) as session:
            owner = session.get(User, second.seeded.coordinator.id)
            assert owner is not None
            shares.add(
                session,
                campaign=campaigns.get_or_raise(session, second.id),
                by=owner,
                email=COORDINATOR,
                actor="test",
            )
        second_url = f"{base}/console/campaigns/{second.id}"
        before = len(mailbox.messages)
        await page.goto(second_url)
        await page.get_by_role("link", name="Remind now").click()
        await page.get_by_role("button", name="Send the reminders").click()
        await page.wait_for_url(second_url)
        assert "Reminded 3" in await page.inner_text(".flash")
        await mailbox.wait_for_async(before + 3)
        later = (date.today() + timedelta(days=60)).isoformat()
        await page.get_by_role("link", name="Extend the deadline").click()
        await page.fill("#deadline", later)
        await page.get_by_role("button", name="Preview the notice").click()
        await page.check("input[name=notify][value=no]")
        quiet_since = len(mailbox.messages)
        # The button names the day as the reader writes it (CLDR), not as the form's ISO value.
        shown = format_date(date.fromisoformat(later), "medium", locale="en")
        await page.get_by_role("button", name=f"Extend to {shown}").click()
        await page.wait_for_url(second_url)
        await asyncio.sleep(2)  # a notice would be on its way by now
        assert len(mailbox.messages) == quiet_since, "the deadline moved without notice, yet mail went out"
        await page.get_by_role("link", name="Cancel").click()
        await page.click("main form[method=post] button.danger")
        await page.wait_for_url(second_url)
        await checks.check("console-journey-cancelled")
    assert_clean(checks)
    print(f"JOURNEY | {time.monotonic() - started:.1f} s")

    with Session(db) as session:
        second_campaign = session.get(Campaign, second.id)
        assert second_campaign is not None
        assert second_campaign.status is CampaignStatus.cancelled
        assert second_campaign.signature_deadline == date.fromisoformat(later)
        entries = session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
        # A reminder's subject also names its request (campaign:<id>:remind:<request>).
        actors = {(entry.kind, ":".join(entry.subject.split(":")[:2])): entry.actor for entry in entries}
    # Every console action is recorded with her as its actor.
    expected = [(kind, f"campaign:{campaign.id}") for kind in FIRST_ACTIONS]
    expected += [(kind, f"campaign:{second.id}") for kind in SECOND_ACTIONS]
    assert [actors.get(key) for key in expected] == [amina_actor] * len(expected)
    statuses = {i.status for i in _invitations(db, campaign.id or 0)}
    assert InvitationStatus.signed in statuses


def _invited_emails(db, campaign_id: int) -> list[str]:
    with Session(db) as session:
        return list(
            session.exec(
                select(Contact.email)
                .join(Invitation, col(Invitation.contact_id) == col(Contact.id))
                .where(Invitation.campaign_id == campaign_id)
                .order_by(col(Invitation.id))
            ).all()
        )
