"""The set-up form in Chromium: a coordinator walks the five steps with plain form posts, each
page checked by axe at a phone's and a desktop's width (screenshots console-form-<step>)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models.campaign import Campaign
from models.pledge import Pledge
from models.user import Role
from pledgeflow.db import session_scope
from tests.browser import chromium, chromium_available
from tests.console.staff import person, signed_in_page
from tests.helpers import app_without_temporal
from tests.pagechecks import PageChecks, assert_clean, shots_folder
from tests.serving import serving

pytestmark = pytest.mark.skipif(not chromium_available(), reason="needs Chromium")


async def test_a_coordinator_walks_the_five_steps(settings, db, tmp_path):
    amina = person(db, Role.coordinator, email="amina@wco.example", name="Amina Diallo")
    app = app_without_temporal(settings, db, why="the set-up form never reaches a workflow")
    async with serving(app) as base, chromium() as browser:
        page = await signed_in_page(browser, base, amina)
        checks = PageChecks(page, shots_folder(tmp_path))

        await checks.visit("console-form-new", f"{base}/console/campaigns/new", 200)
        await page.fill("#title", "Sierra Leone border pact")
        await page.select_option("#region", "SL")
        await page.click("button[value=continue]")
        await page.wait_for_url("**/edit/pledge")
        campaign_path = page.url.removeprefix(base).removesuffix("/edit/pledge")

        await page.fill("#commitments\\.0\\.text", "Publish every fee at the border post")
        await page.check("#commitments\\.0\\.factors-3")
        await page.click("button[value=add]")  # a second row, without JavaScript's help
        await page.fill("#commitments\\.1\\.text", "Train officers on the code of conduct")
        await page.click("button[value=continue]")  # the second row has no factor: refused
        assert await page.locator("#commitments\\.1\\.factors-error").is_visible()
        await checks.check("console-form-pledge-refused")
        await page.check("#commitments\\.1\\.factors-7")
        await page.click("button[value=continue]")
        await page.wait_for_url("**/edit/groups")

        await checks.visit("console-form-pledge", f"{base}{campaign_path}/edit/pledge", 200)
        await page.goto(f"{base}{campaign_path}/edit/groups")
        await page.click("button[value=add]")
        await page.fill("#quorum\\.0\\.name", "Customs")
        await page.check("#quorum\\.0\\.kinds-1")
        await page.click("button[value=save]")
        await page.wait_for_url("**/edit/groups")
        assert "In force when every customs administration has signed." in await page.inner_text("main")
        await checks.check("console-form-groups")
        await page.click("button[value=continue]")

        await page.wait_for_url("**/edit/chasing")
        await checks.check("console-form-chasing")
        await page.fill("#policy\\.reminder_days", "5, 12")
        await page.click("button[value=continue]")

        await page.wait_for_url("**/edit/reviews")
        await checks.check("console-form-reviews")
        await page.select_option("#review\\.every_months", "6")
        await page.click("button[value=save]")
        await page.wait_for_url("**/edit/reviews")
        await checks.visit("console-form-details", f"{base}{campaign_path}/edit/details", 200)
        assert_clean(checks)

    with session_scope(db) as session:
        made = session.exec(select(Campaign)).one()
        pledge = session.exec(select(Pledge)).one()
        assert (made.title, made.region, made.timezone) == (
            "Sierra Leone border pact",
            "SL",
            "Africa/Freetown",
        )
        assert [g["name"] for g in made.quorum] == ["Customs"]
        assert made.policy["reminder_days"] == [5, 12] and made.review["every_months"] == 6
        assert [c["factors"] for c in pledge.commitments] == [["transparency"], ["code_of_conduct"]]
