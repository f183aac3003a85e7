"""The console pages no journey passes through, in Chromium at both widths: sharing, the error
pages a person meets (a campaign not theirs, a page their role may not use, a page that does not
exist) and the set-up pages as a reviewer sees them. axe-core finds nothing serious or critical."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.user import Role
from tests import factories
from tests.browser import chromium_available
from tests.console.staff import person, signed_in_page
from tests.pagechecks import PageChecks, assert_clean, shots_folder

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is installed by `make test`"),
]


async def test_sharing_and_the_error_pages_are_accessible(console, tmp_path: Path):
    db = console.engine
    seeded = factories.campaign_with_invitees(db, count=2)
    campaign = f"/console/campaigns/{seeded.campaign.id}"
    owner = person(db, Role.coordinator, email=seeded.coordinator.email)
    colleague = person(db, Role.coordinator, email="colleague@wco.example", name="Kwesi Colleague")
    reviewer = person(db, Role.reviewer, email="reviewer@wco.example", name="Rita Reviewer")
    async with console.served() as (base, browser):
        page = await signed_in_page(browser, base, owner)
        checks = PageChecks(page, shots_folder(tmp_path))
        await checks.visit("console-sharing", f"{base}{campaign}/sharing", 200)
        await page.fill("#email", "colleague@wco.example")
        await page.locator("main form[method=post] button[type=submit]").first.click()
        await page.wait_for_selector("text=Kwesi Colleague")
        await checks.check("console-sharing-shared")
        await checks.visit("console-error-not-found", f"{base}/console/campaigns/999999", 404)

        other = await signed_in_page(browser, base, colleague)
        other_checks = PageChecks(other, checks.shots)
        # Shared now: the colleague sees it; the reviewer does not, and may not set anything up.
        await other_checks.visit("console-shared-campaign", f"{base}{campaign}", 200)
        looking = await signed_in_page(browser, base, reviewer)
        reviewer_checks = PageChecks(looking, checks.shots)
        await reviewer_checks.visit("console-error-forbidden", f"{base}/console/people", 403)
        await reviewer_checks.visit("console-error-not-theirs", f"{base}{campaign}/launch", 404)
        await reviewer_checks.visit("console-reviewer-list", f"{base}/console/campaigns", 200)
        assert await looking.locator("text=New campaign").count() == 0
    for seen in (checks, other_checks, reviewer_checks):
        assert_clean(seen)
