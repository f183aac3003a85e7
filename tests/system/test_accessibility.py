"""Every page a signatory or the public sees, in a real Chromium at a phone's and a desktop's width:
axe-core finds no serious or critical violation, and the strict Content-Security-Policy blocks
nothing (a blocked style is a broken-looking page).

Screenshots are saved under $PLEDGEFLOW_SCREENSHOTS when it is set (to look at them), else under
the test's temporary folder.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
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
from tests.pagechecks import PageChecks, assert_clean, shots_folder
from tests.reviews import records as rr
from tests.serving import bound_socket, serving
from workflows import client as workflow_client

pytestmark = [
    pytest.mark.browser,
    pytest.mark.any_database,
    pytest.mark.timeout(120),
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is installed by `make test`"),
]


async def test_the_public_pages_are_accessible_at_both_widths(ts_env, settings, db, mailbox, tmp_path):
    shots = shots_folder(tmp_path)
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
    assert_clean(checks)
