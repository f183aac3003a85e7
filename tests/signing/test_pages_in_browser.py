"""In a real Chromium: /docs renders with the network cut off, and a signing form post passes the
origin check under the pages' Content-Security-Policy and `Referrer-Policy: no-referrer`."""

from __future__ import annotations

import pytest
from playwright.async_api import ConsoleMessage, Page, Route

from api.app import create_app
from tests import factories
from tests.browser import chromium, chromium_available
from tests.helpers import running_workers, sign_token
from tests.serving import bound_socket, serving
from workflows import client as workflow_client

pytestmark = [
    pytest.mark.browser,
    pytest.mark.any_database,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is installed by `make test`"),
]


async def _only_the_app(page: Page, base_url: str, blocked: list[str]) -> None:
    """Abort every request that does not go to the app, and note it."""

    async def route(route: Route) -> None:
        if route.request.url.startswith(base_url + "/"):
            await route.continue_()
        else:
            blocked.append(route.request.url)
            await route.abort()

    await page.route("**/*", route)


def _csp_violations(page: Page) -> list[str]:
    violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            violations.append(message.text)

    page.on("console", on_console)
    return violations


async def test_docs_render_the_operations_with_only_the_app_reachable(settings, db):
    async with serving(create_app(settings, engine=db)) as base_url, chromium() as browser:
        page = await browser.new_page()
        blocked: list[str] = []
        await _only_the_app(page, base_url, blocked)
        violations = _csp_violations(page)
        await page.goto(f"{base_url}/docs")
        await page.wait_for_selector(".opblock", timeout=20_000)
        operations = await page.locator(".opblock-summary-path").all_inner_texts()
        title = await page.locator("h2.title").inner_text()
    assert "/campaigns" in operations and "/readyz" in operations
    assert title.startswith("pledgeflow")
    assert blocked == [] and violations == []


async def test_chromium_signs_through_the_form_under_the_page_policies(ts_env, settings, db, mailbox):
    sock = bound_socket()
    public = settings.model_copy(update={"public_base_url": f"http://127.0.0.1:{sock.getsockname()[1]}"})

    async def connect():
        return ts_env.client

    app = create_app(public, engine=db, connect_temporal=connect)
    seeded = factories.campaign_with_invitees(db, count=1)
    factories.launch(db, seeded.campaign.id)
    async with (
        running_workers(ts_env.client, public, db),
        serving(app, sock) as base_url,
        chromium() as browser,
    ):
        await workflow_client.start_campaign(ts_env.client, public, seeded.campaign.id)
        [mail] = await mailbox.wait_for_async(1)
        page = await browser.new_page()
        blocked: list[str] = []
        await _only_the_app(page, base_url, blocked)
        violations = _csp_violations(page)
        await page.goto(f"{base_url}/s/{sign_token(mail)}")
        # The stylesheet applies: the button has the accent colour from /static/pages.css.
        colour = await page.eval_on_selector(
            "form[action$='/sign'] button", "b => getComputedStyle(b).backgroundColor"
        )
        await page.fill("input[name=signer_name]", "Kwame Mensah")
        await page.fill("input[name=signer_title]", "Director General")
        await page.check("input[name=consent]")
        await page.click("form[action$='/sign'] button[type=submit]")
        await page.wait_for_load_state()
        text = await page.inner_text("body")
    assert colour == "rgb(11, 92, 173)"
    assert "Receipt PF-" in text
    assert blocked == [] and violations == []
