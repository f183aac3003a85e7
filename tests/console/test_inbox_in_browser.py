"""The inbox, the reviewer's queue and the reports summary in Chromium at 390 and 1280 px: axe-core
finds nothing serious, the CSP blocks nothing, and "Mark handled" works as a plain form."""

from __future__ import annotations

from models.report import ItemStatus
from models.user import Role
from tests.console.staff import person, signed_in_page
from tests.console.test_escalations import _two_coordinators
from tests.console.test_review_queue import _two_campaigns
from tests.pagechecks import PageChecks, assert_clean, shots_folder
from tests.reviews import records as rr


def _summary_campaign(db):
    """Three signatories: two reported (one accepted), one not yet."""
    seeded = rr.signed_campaign(db, count=3)
    first = rr.open_report(db, seeded, 0)
    rr.fill(
        db,
        first,
        {"c1": ItemStatus.implemented, "c2": ItemStatus.in_progress, "c3": ItemStatus.not_applicable},
    )
    rr.submit(db, first)
    rr.decide(db, first, accept=True)
    second = rr.open_report(db, seeded, 1)
    rr.fill(
        db, second, {"c1": ItemStatus.not_started, "c2": ItemStatus.implemented, "c3": ItemStatus.implemented}
    )
    rr.submit(db, second)
    rr.open_report(db, seeded, 2)
    return seeded


async def test_inbox_queue_and_summary_in_chromium(console, db, tmp_path):
    coordinator, _b, _older, newer, _other = _two_coordinators(db)
    seeded = _summary_campaign(db)
    _two_campaigns(db)
    reviewer = person(db, Role.reviewer, email=rr.REVIEWER)
    async with console.served() as (base, browser):
        page = await signed_in_page(browser, base, coordinator)
        checks = PageChecks(page, shots_folder(tmp_path))
        await checks.visit("console-inbox-open", f"{base}/console/escalations", 200)
        row = page.locator(f"#escalation-{newer}")
        await row.get_by_label("Note (optional)").fill("Called the director")
        await row.get_by_role("button", name="Mark handled").click()
        await page.wait_for_url(f"{base}/console/escalations")
        assert await page.locator(".flash").inner_text() == "Escalation marked handled."
        assert await page.locator(f"#escalation-{newer}").count() == 0
        await checks.visit("console-inbox-handled", f"{base}/console/escalations?show=handled", 200)
        assert "Called the director" in await page.locator(f"#escalation-{newer}").inner_text()
        await checks.visit(
            "console-reports-summary", f"{base}/console/campaigns/{seeded.campaign.id}/reports", 200
        )
        assert await page.locator("svg.factor-chart rect").count() >= 4
        reviewer_page = await signed_in_page(browser, base, reviewer)
        reviewer_checks = PageChecks(reviewer_page, checks.shots)
        await reviewer_checks.visit("console-reviews-queue", f"{base}/console/reviews", 200)
        await reviewer_page.get_by_role("link", name="Review version 1 · North Organisation 1").click()
        assert "North Organisation 1" in await reviewer_page.content()
    assert_clean(checks)
    assert_clean(reviewer_checks)
