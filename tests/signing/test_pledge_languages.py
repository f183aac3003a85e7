"""Signing in one's own language: the page shows the invitee's text, offers the others, and the
signature, its receipt and the API name the language and the hash of the text actually signed
(with the real workers, the time-skipping server and the SMTP sink)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from html import unescape

import httpx
import pytest
import pytest_asyncio
from sqlmodel import select

from api.app import create_app
from models.campaign import CampaignUpdate, Visibility
from models.common import utcnow
from models.signature import Signature, SignaturePublic
from pledgeflow.db import session_scope
from pledgeflow.links import LinkPurpose, LinkSigner
from services import campaigns, signatures
from tests import factories
from tests.browser import chromium, chromium_available
from tests.conftest import TEST_SECRET
from tests.helpers import (
    app_without_temporal,
    asgi_client,
    csrf_from,
    eventually,
    running_workers,
    sign_token,
)
from tests.i18n.page_text import seen
from tests.pagechecks import PageChecks, assert_clean, shots_folder
from tests.pledge_texts import ARABIC, FRENCH, attach, todays_hash, translation_hash
from tests.serving import serving
from workflows import client as workflow_client
from workflows.pledge_messages import Signer

HIDDEN_LANGUAGE = re.compile(r'name="pledge_language" value="([^"]*)"')


@pytest_asyncio.fixture
async def site(ts_env, settings, db, mailbox) -> AsyncIterator[httpx.AsyncClient]:
    async def connect():
        return ts_env.client

    app = create_app(settings, engine=db, connect_temporal=connect)
    async with (
        running_workers(ts_env.client, settings, db),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        yield client


async def _sign(site: httpx.AsyncClient, token: str, query: str = "") -> tuple[str, httpx.Response]:
    page = await site.get(f"/s/{token}{query}")
    assert page.status_code == 200, page.text
    [language] = HIDDEN_LANGUAGE.findall(page.text)
    signed = await site.post(
        f"/s/{token}/sign",
        data={
            "signer_name": "Signatory",
            "signer_title": "Director",
            "consent": "yes",
            "pledge_language": language,
            "csrf_token": csrf_from(page.text),
        },
    )
    assert signed.status_code == 200, signed.text
    return page.text, signed


async def test_each_signatory_signs_their_own_languages_text_or_the_one_they_choose(
    site, ts_env, settings, db, mailbox
):
    seeded = factories.campaign_with_invitees(db, count=3, locales=["fr", "ar", "fr"])
    pledge = attach(db, seeded.campaign.id or 0)
    factories.launch(db, seeded.campaign.id)
    await workflow_client.start_campaign(ts_env.client, settings, seeded.campaign.id)
    mails = {m.recipients[0]: m for m in await mailbox.wait_for_async(3)}
    french, arabic, chooser = (mails[c.email] for c in seeded.contacts)
    # The invitation already carries the reader's text.
    assert FRENCH.title in french.text and ARABIC.title in arabic.text

    french_page, french_signed = await _sign(site, sign_token(french))
    assert FRENCH.commitments[2].text in unescape(french_page)
    assert '<ol class="commitments" lang="fr" dir="ltr">' in french_page
    assert "Texte signé : version en français" in unescape(seen(french_page))
    # The other texts, by their own names, a link away; the token stays in the link.
    assert f'href="/s/{sign_token(french)}?text=en"' in french_page
    assert ">العربية</a>" in french_page and ">English</a>" in french_page

    arabic_page, _ = await _sign(site, sign_token(arabic))
    assert '<ol class="commitments" lang="ar" dir="rtl">' in arabic_page
    assert ARABIC.commitments[0].text in arabic_page

    chosen_page, _ = await _sign(site, sign_token(chooser), "?text=en&lang=fr")
    assert factories.PLEDGE.commitments[0].text in chosen_page
    assert FRENCH.commitments[0].text not in unescape(chosen_page)
    assert "?text=fr&amp;lang=fr" in chosen_page  # the page's language is kept on the links

    expected = {
        seeded.contacts[0].email: ("fr", translation_hash(factories.PLEDGE, "fr", FRENCH)),
        seeded.contacts[1].email: ("ar", translation_hash(factories.PLEDGE, "ar", ARABIC)),
        seeded.contacts[2].email: ("en", todays_hash(factories.PLEDGE)),
    }

    async def recorded() -> list[SignaturePublic]:
        with session_scope(db) as session:
            return signatures.list_for_campaign(session, campaign_id=seeded.campaign.id or 0)

    # The record follows the workflow's acceptance, in an activity.
    listed = await eventually(recorded, lambda found: len(found) == 3)
    with session_scope(db) as session:
        rows = session.exec(select(Signature)).all()
    assert {s.signer_email: (s.pledge_language, s.pledge_sha256) for s in listed} == expected
    assert len({r.pledge_sha256 for r in rows}) == 3
    assert all(r.pledge_id == pledge.id for r in rows)
    assert french_signed.text.count(expected[seeded.contacts[0].email][1]) == 1

    for signature in listed:
        language, sha256 = expected[signature.signer_email or ""]
        receipt = (await site.get(f"/receipts/{signature.receipt_id}.json")).json()
        assert (receipt["pledge_language"], receipt["pledge_sha256"]) == (language, sha256)
        page = await site.get(f"/receipts/{signature.receipt_id}")
        assert f'<ol class="commitments" lang="{language}"' in page.text and sha256 in page.text
    arabic_receipt = next(s for s in listed if s.pledge_language == "ar")
    page = await site.get(f"/receipts/{arabic_receipt.receipt_id}")
    assert "Text signed: العربية version" in seen(page) and 'dir="rtl"' in page.text
    assert ARABIC.title in page.text
    api = await site.get(
        f"/campaigns/{seeded.campaign.id}/signatures", headers={"Authorization": f"Bearer {seeded.token}"}
    )
    assert {s["pledge_language"] for s in api.json()} == {"fr", "ar", "en"}


async def test_a_language_the_version_lacks_is_refused_on_the_form(site, ts_env, settings, db, mailbox):
    seeded = factories.campaign_with_invitees(db, count=1, locales=["fr"])
    attach(db, seeded.campaign.id or 0)
    factories.launch(db, seeded.campaign.id)
    await workflow_client.start_campaign(ts_env.client, settings, seeded.campaign.id)
    [mail] = await mailbox.wait_for_async(1)
    token = sign_token(mail)
    page = await site.get(f"/s/{token}")
    refused = await site.post(
        f"/s/{token}/sign",
        data={
            "signer_name": "Signatory",
            "signer_title": "Director",
            "consent": "yes",
            "pledge_language": "pt",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert refused.status_code == 422
    assert "n'a pas de texte en « pt »" in unescape(seen(refused))
    with session_scope(db) as session:
        assert signatures.list_for_campaign(session, campaign_id=seeded.campaign.id or 0) == []


@pytest.mark.skipif(not chromium_available(), reason="needs Chromium")
async def test_the_arabic_text_on_a_signing_page_in_chromium(settings, db, tmp_path):
    seeded = factories.campaign_with_invitees(db, count=1, locales=["ar"])
    attach(db, seeded.campaign.id or 0)
    factories.launch(db, seeded.campaign.id)
    token = LinkSigner(TEST_SECRET).make(
        seeded.invitations[0].id or 0, LinkPurpose.sign, datetime.now(UTC) + timedelta(days=1)
    )
    app = app_without_temporal(settings, db, why="showing a page needs no workflow")
    async with serving(app) as base, chromium() as browser:
        page = await browser.new_page()
        checks = PageChecks(page, shots_folder(tmp_path))
        await checks.visit("sign-arabic-text", f"{base}/s/{token}", 200)
        direction = await page.eval_on_selector("ol.commitments li", "li => getComputedStyle(li).direction")
        assert direction == "rtl"
        await page.click(".pledge-texts >> text=English")
        await page.wait_for_url(f"{base}/s/{token}?text=en")
        assert await page.input_value('input[name="pledge_language"]') == "en"
    assert_clean(checks)


async def test_the_register_names_each_texts_hash_and_the_language_each_signatory_signed(settings, db):
    seeded = factories.campaign_with_invitees(db, count=3)
    campaign_id = seeded.campaign.id or 0
    with session_scope(db) as session:
        campaign = campaigns.get_or_raise(session, campaign_id)
        campaigns.update(
            session, campaign=campaign, data=CampaignUpdate(visibility=Visibility.public), actor="test"
        )
    attach(db, campaign_id)
    factories.launch(db, campaign_id)
    with session_scope(db) as session:
        # As the workflow's activity records them: a chosen text, none (histories from before
        # translations), and a language the version lacks, which can only be the original.
        for invitation, language in zip(seeded.invitations, ("fr", None, "pt"), strict=True):
            signatures.record(
                session,
                invitation_id=invitation.id or 0,
                receipt_id=f"PF-LANG{invitation.id}",
                signer=Signer(name="Signer", title="Director", publish_name=True, pledge_language=language),
                signed_at=utcnow(),
            )
        key = campaigns.get_or_raise(session, campaign_id).register_key
    async with asgi_client(app_without_temporal(settings, db, why="the register only reads")) as site:
        listed = (await site.get(f"/register/{key}.json")).json()
        page = await site.get(f"/register/{key}")
    assert listed["pledge_language"] == "en" and listed["pledge_sha256"] == todays_hash(factories.PLEDGE)
    assert listed["pledge_texts"] == {
        "ar": translation_hash(factories.PLEDGE, "ar", ARABIC),
        "fr": translation_hash(factories.PLEDGE, "fr", FRENCH),
    }
    assert [s["pledge_language"] for s in listed["signatories"]] == ["fr", "en", "en"]
    assert "العربية text:" in seen(page) and listed["pledge_texts"]["fr"] in page.text
