"""Every page a signatory or the public sees, in a real Chromium at a phone's and a desktop's width:
axe-core finds no serious or critical violation, and the strict Content-Security-Policy blocks
nothing (a blocked style is a broken-looking page).

Screenshots are saved under $PLEDGEFLOW_SCREENSHOTS when it is set (to look at them), else under
the test's temporary folder.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]  # no py.typed
from playwright.async_api import ConsoleMessage, Page
from sqlmodel import create_engine

from api.app import create_app
from models.campaign import CampaignUpdate, Visibility
from pledgeflow.db import session_scope
from pledgeflow.links import LinkPurpose, LinkSigner
from services import campaigns
from tests import factories
from tests.browser import chromium, chromium_available
from tests.conftest import TEST_SECRET
from tests.helpers import running_workers, sign_token
from tests.reviews import records as rr
from tests.serving import bound_socket, serving
from workflows import client as workflow_client

pytestmark = [
    pytest.mark.browser,
    pytest.mark.any_database,
    pytest.mark.timeout(120),
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is installed by `make test`"),
]

WIDTHS = (390, 1280)
HEIGHT = 844
SHOT_HEIGHT = 2400
# What a person cannot get past; "moderate" and "minor" findings are looked at by hand.
BLOCKING = {"serious", "critical"}
AXE = Axe()


class PageChecks:
    """Looks at pages at every width and keeps what axe and the console found."""

    def __init__(self, page: Page, shots: Path) -> None:
        self.page = page
        self.shots = shots
        self.violations: dict[str, list[str]] = {}
        self.csp: list[str] = []
        page.on("console", self._on_console)

    def _on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp.append(f"{self.page.url}: {message.text}")

    async def visit(self, name: str, url: str, expected_status: int) -> None:
        """Open the page and check it at each width."""
        response = await self.page.goto(url)
        assert response is not None and response.status == expected_status, (name, url)
        await self.check(name)

    async def check(self, name: str) -> None:
        """Check the page already open, at each width."""
        for width in WIDTHS:
            await self.page.set_viewport_size({"width": width, "height": HEIGHT})
            # The whole page, cut at a length an eye can take in (/docs is 10,000 px long).
            height = await self.page.evaluate("document.documentElement.scrollHeight")
            await self.page.screenshot(
                path=str(self.shots / f"{name}-{width}.png"),
                full_page=True,
                clip={"x": 0, "y": 0, "width": width, "height": min(height, SHOT_HEIGHT)},
            )
            results = await AXE.run(self.page)
            found = [
                f"{v['id']} ({v['impact']}): {v['help']}, {len(v['nodes'])} at {[n['target'] for n in v['nodes'][:3]]}"
                for v in results.response["violations"]
                if v["impact"] in BLOCKING
            ]
            if found:
                self.violations[f"{name}@{width}"] = found


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("PLEDGEFLOW_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def test_the_public_pages_are_accessible_at_both_widths(ts_env, settings, db, mailbox, tmp_path):
    shots = _shots(tmp_path)
    sock = bound_socket()
    public = settings.model_copy(
        update={"public_base_url": f"http://127.0.0.1:{sock.getsockname()[1]}", "data_dir": tmp_path}
    )

    async def connect():
        return ts_env.client

    seeded = factories.campaign_with_invitees(db, count=1, prefix="Tema ")
    campaign_id = seeded.campaign.id or 0
    with session_scope(db) as session:
        campaign = campaigns.get_or_raise(session, campaign_id)
        campaigns.update(
            session, campaign=campaign, data=CampaignUpdate(visibility=Visibility.public), actor="test"
        )
        register_key = campaign.register_key
    factories.launch(db, campaign_id)
    # A pact in force with a report to fill, for the review report form.
    reporting = rr.signed_campaign(db, count=1)
    report_token = rr.report_token(rr.open_report(db, reporting))
    expired = LinkSigner(TEST_SECRET).make(
        seeded.invitations[0].id or 0, LinkPurpose.sign, datetime.now(UTC) - timedelta(days=1)
    )
    limited = public.model_copy(update={"rate_limit_links": "1/minute"})
    down = create_engine(f"sqlite:///{tmp_path / 'missing-folder' / 'pledgeflow.db'}")
    async with (
        running_workers(ts_env.client, public, db),
        serving(create_app(public, engine=db, connect_temporal=connect), sock) as base,
        serving(create_app(limited, engine=db, connect_temporal=connect)) as limited_base,
        serving(create_app(public, engine=down, connect_temporal=connect)) as down_base,
        chromium() as browser,
    ):
        await workflow_client.start_campaign(ts_env.client, public, campaign_id)
        [mail] = await mailbox.wait_for_async(1)
        token = sign_token(mail)
        checks = PageChecks(await browser.new_page(), shots)
        await checks.visit("sign-en", f"{base}/s/{token}", 200)
        await checks.visit("sign-fr", f"{base}/s/{token}?lang=fr", 200)
        await checks.page.fill("input[name=signer_name]", "Kwame Mensah")
        await checks.page.fill("input[name=signer_title]", "Director General")
        await checks.page.check("input[name=consent]")
        await checks.page.click("form[action$='/sign'] button[type=submit]")
        await checks.page.wait_for_load_state()
        await checks.check("done")
        receipt = await checks.page.locator("text=/PF-[0-9A-F]{16}/").first.inner_text()
        receipt_id = receipt[receipt.index("PF-") :][:19]
        await checks.visit("receipt", f"{base}/receipts/{receipt_id}", 200)
        await checks.visit("register", f"{base}/register", 200)
        await checks.visit("register-entry", f"{base}/register/{register_key}", 200)
        await checks.visit("link-used", f"{base}/s/{token}", 409)
        await checks.visit("link-expired", f"{base}/s/{expired}", 410)
        await checks.visit("report-form", f"{base}/r/{report_token}", 200)
        await checks.page.goto(f"{limited_base}/s/not-a-token")
        await checks.visit("rate-limited", f"{limited_base}/s/not-a-token", 429)
        await checks.visit("database-down", f"{down_base}/s/{token}", 503)
        await checks.page.goto(f"{base}/docs")
        await checks.page.wait_for_selector(".opblock", timeout=20_000)
        await checks.check("docs")
    down.dispose()
    assert checks.violations == {}, "\n".join(
        f"{where}: {finding}" for where, found in checks.violations.items() for finding in found
    )
    assert checks.csp == []
