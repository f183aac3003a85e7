"""The console's campaign page in Arabic in Chromium, at 1280 and 390 px: the page reads right to
left (computed direction), the header and the quorum bars mirror, and the language switch works
from the page. Screenshots under $PLEDGEFLOW_SCREENSHOTS/console-ar/."""

from __future__ import annotations

from models.user import Role
from tests.console.launched import launched, sign
from tests.console.staff import console_client, person, signed_in_page
from tests.pagechecks import PageChecks, assert_clean, shots_folder


async def test_the_campaign_page_in_arabic_reads_right_to_left(console, mailbox, tmp_path):
    run = await launched(console, mailbox)
    amina = person(console.engine, Role.coordinator, email=run.seeded.coordinator.email)
    async with console_client(console.app) as signatory:
        await sign(signatory, run.tokens[0])
    shots = shots_folder(tmp_path) / "console-ar"
    shots.mkdir(parents=True, exist_ok=True)
    async with console.served() as (base, browser):
        page = await signed_in_page(browser, base, amina)
        # Chosen as a reader would: the switch in the header, from the campaign's page.
        await page.goto(f"{base}/console/campaigns/{run.id}")
        await page.click('nav.languages a[lang="ar"]')
        await page.wait_for_url(f"{base}/console/campaigns/{run.id}")
        checks = PageChecks(page, shots)
        await checks.check("console-ar-campaign")
        await checks.visit("console-ar-list", f"{base}/console/campaigns", 200)
        await checks.visit("console-ar-new", f"{base}/console/campaigns/new", 200)
        await page.goto(f"{base}/console/campaigns/{run.id}")
        assert await page.get_attribute("html", "lang") == "ar"
        for width in (1280, 390):
            await page.set_viewport_size({"width": width, "height": 844})
            direction = await page.evaluate("getComputedStyle(document.body).direction")
            assert direction == "rtl", width
            brand = await page.locator(".brand").bounding_box()
            nav = await page.locator("ul.nav").bounding_box()
            assert brand is not None and nav is not None
            if width == 1280:
                # One row: the brand at the start (the right), the navigation to its left.
                assert brand["x"] > nav["x"], (brand, nav)
            else:
                # Wrapped: each line starts at the right edge.
                assert brand["x"] + brand["width"] > width - 40, brand
            # Table cells start at the right: a header cell's text is aligned to its right edge.
            align = await page.evaluate("getComputedStyle(document.querySelector('table.data th')).textAlign")
            assert align in ("start", "right"), align
            # The quorum bar fills from the right: the filled part's right edge is the track's.
            track = await page.locator("figure.quorum .bar-track").first.bounding_box()
            fill = await page.locator("figure.quorum .bar-fill").first.bounding_box()
            assert track is not None and fill is not None
            assert abs((fill["x"] + fill["width"]) - (track["x"] + track["width"])) < 2, (fill, track)
            assert fill["width"] < track["width"]
    assert_clean(checks)
    assert (shots / "console-ar-campaign-390.png").is_file()
    assert (shots / "console-ar-campaign-1280.png").is_file()
