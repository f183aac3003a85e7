"""The dashboard's pages in Chromium at 390 and 1280 px: screenshots, axe-core and the CSP."""

from __future__ import annotations

from datetime import timedelta

from models.user import Role
from tests import factories
from tests.console.launched import launched, progress_signed, sign
from tests.console.staff import console_client, person, signed_in_page
from tests.pagechecks import PageChecks, assert_clean, shots_folder


async def test_list_draft_live_page_and_confirmations_are_clean(console, mailbox, tmp_path):
    run = await launched(console, mailbox)
    draft = factories.campaign_with_invitees(console.engine, count=0, with_pledge=False, prefix="Draft ")
    amina = person(console.engine, Role.coordinator, email=run.seeded.coordinator.email)
    solo = await launched(console, mailbox, count=1, groups=[], prefix="Solo ")
    async with console_client(console.app) as signatory:
        await sign(signatory, run.tokens[0])
        await sign(signatory, solo.tokens[0])
    await progress_signed(console, solo.id, 1)
    async with console.served() as (base, browser):
        page = await signed_in_page(browser, base, amina)
        checks = PageChecks(page, shots_folder(tmp_path))
        await checks.visit("console-dashboard-list", f"{base}/console/campaigns", 200)
        await checks.visit("console-dashboard-draft", f"{base}/console/campaigns/{draft.campaign.id}", 200)
        await checks.visit("console-dashboard-live", f"{base}/console/campaigns/{run.id}", 200)
        assert await page.locator("figure.quorum").count() == 2
        # htmx replaces the live fragment in place (no error, same figures).
        async with page.expect_response(
            lambda r: r.url.endswith(f"/campaigns/{run.id}/live"), timeout=15_000
        ):
            pass
        assert await page.locator("#live figure.quorum").count() == 2
        actions = f"{base}/console/campaigns/{run.id}/actions"
        deadline = run.seeded.campaign.signature_deadline
        assert deadline is not None
        later = deadline + timedelta(days=10)
        await checks.visit("console-dashboard-extend", f"{actions}/extend?deadline={later}", 200)
        await checks.visit("console-dashboard-remind", f"{actions}/remind", 200)
        await checks.visit(
            "console-dashboard-remind-one", f"{actions}/remind?invitation={run.seeded.invitations[1].id}", 200
        )
        await checks.visit("console-dashboard-cancel", f"{actions}/cancel", 200)
        await checks.visit("console-dashboard-close", f"{actions}/close", 200)
        await checks.visit("console-dashboard-in-force", f"{base}/console/campaigns/{solo.id}", 200)
        assert await page.locator(".in-force").count() == 1
        cycle = f"{base}/console/campaigns/{solo.id}/actions/review-cycle"
        await checks.visit("console-dashboard-review-cycle", cycle, 200)
    assert_clean(checks)
