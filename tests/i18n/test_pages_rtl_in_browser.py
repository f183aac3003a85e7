"""In a real Chromium at a phone's width: an Arabic signing page and an Arabic receipt read right to
left (the layout mirrors, not only the text), French and English for comparison. Screenshots go to
$PLEDGEFLOW_SCREENSHOTS/i18n/ (sign-ar-390.png, receipt-ar-390.png, ...) to be looked at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page

from pledgeflow.links import LinkPurpose, LinkSigner
from tests import factories
from tests.browser import chromium, chromium_available
from tests.conftest import TEST_SECRET
from tests.helpers import app_without_temporal
from tests.pagechecks import HEIGHT, shots_folder
from tests.reviews import records as rr
from tests.serving import serving

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is installed by `make test`"),
]

PHONE = 390
DESKTOP = 1280
# How far (px) a box may sit from the edge it belongs to: the form's padding and a border.
EDGE = 30

# Where, in the page's coordinates, the text of an element starts and ends (not its block box,
# which spans the card either way): the right-hand end of a right-to-left line is where it starts.
TEXT_BOX = """e => { const r = document.createRange(); r.selectNodeContents(e);
  const b = r.getBoundingClientRect(); return [b.left, b.right]; }"""
BOX = "e => { const b = e.getBoundingClientRect(); return [b.left, b.right]; }"


async def _shoot(page: Page, folder: Path, name: str) -> None:
    height: int = await page.evaluate("document.documentElement.scrollHeight")
    width = page.viewport_size["width"] if page.viewport_size else PHONE
    await page.screenshot(
        path=str(folder / f"{name}.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": width, "height": min(height, 2400)},
    )


async def _direction(page: Page) -> str:
    direction: str = await page.evaluate("getComputedStyle(document.documentElement).direction")
    return direction


def _sign_link(invitation_id: int) -> str:
    return LinkSigner(TEST_SECRET).make(
        invitation_id, LinkPurpose.sign, datetime.now(UTC) + timedelta(days=1)
    )


async def test_arabic_signing_page_and_receipt_mirror_at_a_phones_width(settings, db, tmp_path):
    folder = shots_folder(tmp_path) / "i18n"
    folder.mkdir(parents=True, exist_ok=True)
    to_sign = factories.campaign_with_invitees(db, count=3, locales=["ar", "fr", "en"], prefix="Pending ")
    factories.launch(db, to_sign.campaign.id)
    signed = rr.signed_campaign(db, count=3, locales=["ar", "fr", "en"])
    receipts = {"ar": "PF-TEST-1", "fr": "PF-TEST-2", "en": "PF-TEST-3"}
    app = app_without_temporal(settings, db, why="showing a page needs no workflow")
    async with serving(app) as base_url, chromium() as browser:
        page = await browser.new_page(viewport={"width": PHONE, "height": HEIGHT})
        seen: dict[str, dict[str, Any]] = {}
        for invitation, code in zip(to_sign.invitations, ("ar", "fr", "en"), strict=True):
            await page.set_viewport_size({"width": PHONE, "height": HEIGHT})
            await page.goto(f"{base_url}/s/{_sign_link(invitation.id)}")
            form = page.locator("form[action$='/sign']")
            button = form.locator("button[type=submit]")
            checkbox = form.locator("input[name=consent]")
            facts: dict[str, Any] = {
                "direction": await _direction(page),
                "form": await form.evaluate(BOX),
                "button": await button.evaluate(BOX),
                "checkbox": await checkbox.evaluate(BOX),
                "heading": await page.locator("form[action$='/sign'] h2").evaluate(TEXT_BOX),
            }
            await _shoot(page, folder, f"sign-{code}-{PHONE}")
            # Wide enough for the button to take its own width: then its side shows.
            await page.set_viewport_size({"width": DESKTOP, "height": HEIGHT})
            facts["form_wide"] = await form.evaluate(BOX)
            facts["button_wide"] = await button.evaluate(BOX)
            seen[code] = facts
        for code, receipt in receipts.items():
            await page.set_viewport_size({"width": PHONE, "height": HEIGHT})
            await page.goto(f"{base_url}/receipts/{receipt}?lang={code}")
            card = page.locator(".card").first
            seen[f"receipt-{code}"] = {
                "direction": await _direction(page),
                "card": await card.evaluate(BOX),
                "heading": await page.locator("h1").evaluate(TEXT_BOX),
                "wide": await page.evaluate("document.documentElement.scrollWidth"),
            }
            await _shoot(page, folder, f"receipt-{code}-{PHONE}")
    assert signed.campaign.in_force_at is not None

    arabic, french = seen["ar"], seen["fr"]
    assert arabic["direction"] == "rtl" and french["direction"] == "ltr" and seen["en"]["direction"] == "ltr"
    form_left, form_right = arabic["form"]
    # The submit button's box ends at the form's right edge; at full width it spans the form.
    assert form_right - arabic["button"][1] < EDGE
    # The consent box comes first in its line: on the right in Arabic, on the left in French.
    assert form_right - arabic["checkbox"][1] < EDGE
    assert french["checkbox"][0] - french["form"][0] < EDGE
    # The form's heading starts at the right in Arabic (its text ends far from the left edge).
    assert form_right - arabic["heading"][1] < EDGE and arabic["heading"][0] - form_left > 100
    # At a desktop's width the button has its own width: on the right in Arabic, the left in French.
    wide_left, wide_right = arabic["form_wide"]
    button_left, button_right = arabic["button_wide"]
    assert wide_right - button_right < EDGE and button_left - wide_left > 200
    assert french["button_wide"][0] - french["form_wide"][0] < EDGE

    receipt = seen["receipt-ar"]
    assert receipt["direction"] == "rtl" and seen["receipt-fr"]["direction"] == "ltr"
    _, card_right = receipt["card"]
    assert card_right - receipt["heading"][1] < EDGE
    assert receipt["wide"] <= PHONE, "the Arabic receipt scrolls sideways on a phone"
    for name in ("sign-ar-390", "receipt-ar-390", "sign-fr-390", "receipt-fr-390", "sign-en-390"):
        assert (folder / f"{name}.png").stat().st_size > 10_000, f"{name}.png is empty"


async def test_arabic_report_review_and_register_pages_fit_a_phone(settings, db, tmp_path):
    folder = shots_folder(tmp_path) / "i18n"
    folder.mkdir(parents=True, exist_ok=True)
    seeded = rr.signed_campaign(db, count=1, locales=["ar"])
    draft = rr.open_report(db, seeded)
    rr.fill(db, draft)
    rr.submit(db, draft)
    pages = {
        "report-ar": f"/r/{rr.report_token(draft)}",
        "review-ar": f"/rv/{rr.review_token(draft)}?lang=ar",
        "register-ar": f"/register/{seeded.campaign.register_key}?lang=ar",
    }
    app = app_without_temporal(settings, db, why="showing a page needs no workflow")
    async with serving(app) as base_url, chromium() as browser:
        page = await browser.new_page(viewport={"width": PHONE, "height": HEIGHT})
        for name, path in pages.items():
            await page.goto(f"{base_url}{path}")
            assert await _direction(page) == "rtl", name
            card_right = (await page.locator(".card").first.evaluate(BOX))[1]
            heading_right = (await page.locator("h1").evaluate(TEXT_BOX))[1]
            assert card_right - heading_right < EDGE, f"{name}: the heading does not start on the right"
            wide = await page.evaluate("document.documentElement.scrollWidth")
            assert wide <= PHONE, f"{name} scrolls sideways on a phone ({wide} px)"
            await _shoot(page, folder, f"{name}-{PHONE}")
