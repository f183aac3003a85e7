"""End to end on the real stack: `pledgeflow dev` (dev server, SMTP, worker, API) and Chromium."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from tests.browser import chromium, chromium_available
from tests.devstack import start_dev_stack
from tests.helpers import eventually

pytestmark = [pytest.mark.devserver, pytest.mark.browser]
LINK = re.compile(r"http://127\.0\.0\.1:\d+/s/\S+")


async def _wait_for_mail(
    client: httpx.AsyncClient, mailbox: str, *, to: str, subject: str = "", timeout: float = 60
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        for message in (await client.get(f"{mailbox}/api/messages")).json():
            if to in message["to"] and subject in message["subject"]:
                return message
        await asyncio.sleep(0.25)
    raise AssertionError(f"no email to {to} with '{subject}' within {timeout}s")


@pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is installed by `make test`")
async def test_coordinator_to_signed_pledge_through_the_browser(tmp_path):
    stack = start_dev_stack(tmp_path / "data")
    try:
        auth = {"Authorization": f"Bearer {stack.token}"}
        async with httpx.AsyncClient(timeout=30) as http:
            # The demo campaign's invitations reach the mailbox within a minute.
            demo = await _wait_for_mail(http, stack.mailbox, to="commissioner@customs.demo.example")
            assert "Invitation to sign" in demo["subject"]

            api = stack.api
            org = (
                await http.post(
                    f"{api}/organisations",
                    headers=auth,
                    json={
                        "name": "Nepal Freight Forwarders Association",
                        "kind": "freight_forwarder",
                        "country": "NP",
                    },
                )
            ).json()
            await http.post(
                f"{api}/contacts",
                headers=auth,
                json={
                    "organisation_id": org["id"],
                    "name": "Sita Sharma",
                    "email": "sita@nffa.example",
                    "title": "Chair",
                },
            )
            campaign = (
                await http.post(
                    f"{api}/campaigns",
                    headers=auth,
                    json={
                        "title": "Birgunj dry port pact",
                        "region": "NP",
                        "timezone": "Asia/Kathmandu",
                        # Any hour of the run is a working hour (tests/chasing/test_quiet_hours.py).
                        "policy": {"quiet_hours": {"enabled": False}},
                    },
                )
            ).json()
            cid = campaign["id"]
            pledge = {
                "title": "Birgunj Integrity Pledge",
                "introduction": "Together for clean clearance.",
                "commitments": [{"key": "c1", "text": "Publish all fees.", "factors": ["transparency"]}],
            }
            assert (
                await http.put(f"{api}/campaigns/{cid}/pledge", headers=auth, json=pledge)
            ).status_code == 201
            assert (
                await http.post(
                    f"{api}/campaigns/{cid}/invitees",
                    headers=auth,
                    json={"invitees": [{"organisation_id": org["id"]}]},
                )
            ).status_code == 201
            assert (await http.post(f"{api}/campaigns/{cid}/launch", headers=auth)).status_code == 202

            invitation = await _wait_for_mail(http, stack.mailbox, to="sita@nffa.example", subject="Birgunj")
            link = LINK.search(invitation["text"]).group(0)

            async with chromium() as browser:
                page = await browser.new_page(viewport={"width": 390, "height": 844})  # a phone
                response = await page.goto(link)
                assert response.status == 200
                assert await page.locator("h1").inner_text() == "Birgunj Integrity Pledge"
                await page.fill("#signer_name", "Sita Sharma")
                await page.fill("#signer_title", "Chair")
                await page.check("input[name=consent]")
                await page.click("text=Sign the pledge")
                await page.wait_for_selector("text=Thank you: the pledge is signed")
                receipt = re.search(r"PF-[0-9A-F]{16}", await page.content()).group(0)
                # Opening the link again says it was used, by whom.
                again = await page.goto(link)
                assert again.status == 409
                assert "Sita Sharma" in await page.content()

            confirmation = await _wait_for_mail(
                http, stack.mailbox, to="sita@nffa.example", subject="Receipt"
            )
            assert receipt in confirmation["text"]
            signatures = (await http.get(f"{api}/campaigns/{cid}/signatures", headers=auth)).json()
            assert [s["receipt_id"] for s in signatures] == [receipt]
            assert signatures[0]["signer_name"] == "Sita Sharma" and signatures[0]["ip"] == "127.0.0.1"
            assert "HeadlessChrome" in signatures[0]["user_agent"]
            await eventually(
                lambda: http.get(f"{api}/campaigns/{cid}/progress", headers=auth),
                lambda r: (r.json()["invited"], r.json()["signed"], r.json()["open"]) == (1, 1, 0),
            )
            public = (await http.get(f"{api}/receipts/{receipt}.json")).json()
            assert public["organisation_name"] == "Nepal Freight Forwarders Association"
    finally:
        assert stack.stop() == 0, "".join(stack.output)
