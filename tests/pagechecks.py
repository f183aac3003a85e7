"""Pages looked at in a real Chromium at a phone's and a desktop's width: a screenshot of each
(under $PLEDGEFLOW_SCREENSHOTS when set, which `make test` sets to a folder CI keeps), axe-core's
serious and critical findings, and what the Content-Security-Policy blocked."""

from __future__ import annotations

import os
from pathlib import Path

from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]  # no py.typed
from playwright.async_api import ConsoleMessage, Page

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
        self.sideways: list[str] = []
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
            # A page that scrolls sideways on a phone is one a person has to pan to read.
            wide = await self.page.evaluate("document.documentElement.scrollWidth")
            if wide > width:
                self.sideways.append(f"{name}@{width}: {wide} px wide")
            results = await AXE.run(self.page)
            found = [
                f"{v['id']} ({v['impact']}): {v['help']}, {len(v['nodes'])} at {[n['target'] for n in v['nodes'][:3]]}"
                for v in results.response["violations"]
                if v["impact"] in BLOCKING
            ]
            if found:
                self.violations[f"{name}@{width}"] = found


def shots_folder(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("PLEDGEFLOW_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def assert_clean(checks: PageChecks) -> None:
    """No blocking axe finding, nothing blocked by the CSP, no page wider than the window."""
    assert checks.violations == {}, "\n".join(
        f"{where}: {finding}" for where, found in checks.violations.items() for finding in found
    )
    assert checks.csp == []
    assert checks.sideways == []
