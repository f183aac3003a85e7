"""The console and pledge languages: translations on the pledge step (saved in the draft, errors
beside their field), and a launch page that will not launch while an invitee language has no
text, unless the coordinator ticks the fallback for it (recorded with them as the actor)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlmodel import col, select
from temporalio.client import Client

from api.app import create_app
from models.audit import AuditEntry
from models.campaign import Campaign, CampaignStatus
from models.pledge import Pledge
from models.user import Role
from pledgeflow.db import session_scope
from tests import factories
from tests.browser import chromium_available
from tests.console.conftest import Console
from tests.console.staff import Person, console_client, person, post_form, signed_in_page
from tests.console.test_campaign_form import beside, value_of
from tests.pagechecks import PageChecks, assert_clean, shots_folder
from tests.pledge_texts import FRENCH, attach, translation_hash, with_languages

COORDINATOR = "coordinator@wco.example"


@pytest_asyncio.fixture
async def app(ts_env, settings, db, tmp_path) -> FastAPI:
    """The console with catalogs for fr, ar, pt and sw; a launch starts its workflow (no workers:
    what follows the start is not what these tests are about)."""

    async def connect() -> Client:
        return ts_env.client

    return create_app(with_languages(settings, tmp_path), engine=db, connect_temporal=connect)


@pytest_asyncio.fixture
async def owner(db) -> Person:
    return person(db, Role.coordinator, email=COORDINATOR)


@pytest_asyncio.fixture
async def client(app, owner) -> AsyncIterator[httpx.AsyncClient]:
    async with console_client(app, owner) as signed_in:
        yield signed_in


def _original() -> dict[str, Any]:
    """The pledge step's fields for factories.PLEDGE, as the page posts them."""
    data: dict[str, Any] = {
        "title": factories.PLEDGE.title,
        "introduction": factories.PLEDGE.introduction,
        "language": "en",
    }
    for i, c in enumerate(factories.PLEDGE.commitments):
        data[f"commitments.{i}.key"] = c.key
        data[f"commitments.{i}.text"] = c.text
        data[f"commitments.{i}.factors"] = [f.value for f in c.factors]
    return data


def _french(**changes: str) -> dict[str, Any]:
    fields = {
        "texts": "fr",
        "texts[fr].title": FRENCH.title,
        "texts[fr].introduction": FRENCH.introduction,
        **{f"texts[fr].commitments[{c.key}].text": c.text for c in FRENCH.commitments},
    }
    return {**fields, **changes}


def _versions(db, campaign_id: int) -> list[Pledge]:
    with session_scope(db) as session:
        found = session.exec(
            select(Pledge).where(Pledge.campaign_id == campaign_id).order_by(col(Pledge.version))
        ).all()
        for pledge in found:
            session.expunge(pledge)
        return list(found)


async def test_the_pledge_step_adds_a_translation_and_saves_it_with_its_own_hash(client, db):
    seeded = factories.campaign_with_invitees(db, count=0)
    edit = f"/console/campaigns/{seeded.campaign.id}/edit/pledge"
    page = await client.get(edit)
    assert "Translations" in page.text and '<option value="fr">' in page.text  # suggested languages

    unknown = await post_form(
        client, edit, edit, {**_original(), "new_text_language": "xx", "action": "add-text"}
    )
    assert unknown.status_code == 200
    assert beside(unknown.text, "new_text_language") == "'xx' is not a known language tag"
    added = await post_form(
        client, edit, edit, {**_original(), "new_text_language": "FR", "action": "add-text"}
    )
    assert added.status_code == 200
    assert value_of(added.text, "texts[fr].title") == ""
    for key in ("c1", "c2", "c3"):
        assert f'name="texts[fr].commitments[{key}].text"' in added.text
    assert '<div lang="fr" dir="ltr">' in added.text

    blank = await post_form(
        client,
        edit,
        edit,
        {**_original(), **_french(**{"texts[fr].commitments[c2].text": ""}), "action": "save"},
    )
    assert blank.status_code == 422
    assert (
        beside(blank.text, "texts[fr].commitments[c2].text-error")
        == "the translated commitment must not be blank"
    )
    assert FRENCH.commitments[0].text.replace("'", "&#39;") in blank.text  # what was typed is kept
    assert [p.version for p in _versions(db, seeded.campaign.id or 0)] == [1]

    saved = await post_form(client, edit, edit, {**_original(), **_french(), "action": "save"})
    assert saved.status_code == 303
    unchanged = await post_form(client, edit, edit, {**_original(), **_french(), "action": "save"})
    assert unchanged.status_code == 303
    versions = _versions(db, seeded.campaign.id or 0)
    assert [p.version for p in versions] == [1, 2]  # saving it unchanged made no third version
    latest = versions[-1]
    assert latest.languages() == ["en", "fr"]
    assert latest.sha256 == versions[0].sha256  # the original's text, and so its hash, is the same
    french = latest.exact_text("fr")
    assert french is not None and french.sha256 == translation_hash(factories.PLEDGE, "fr", FRENCH)
    reloaded = await client.get(edit)
    assert value_of(reloaded.text, "texts[fr].title") == FRENCH.title.replace("'", "&#39;")

    removed = await post_form(client, edit, edit, {**_original(), **_french(), "action": "remove-text-fr"})
    assert removed.status_code == 200 and 'name="texts[fr].title"' not in removed.text


def _launched(db, campaign_id: int) -> bool:
    with session_scope(db) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        return campaign.status is CampaignStatus.launched


async def test_the_launch_waits_for_a_portuguese_text_or_the_ticked_fallback(client, db, owner):
    seeded = factories.campaign_with_invitees(db, count=3, locales=["fr", "pt-MZ", "pt"])
    attach(db, seeded.campaign.id or 0)  # English original, French and Arabic texts
    url = f"/console/campaigns/{seeded.campaign.id}/launch"
    page = await client.get(url)
    assert "2 invitees read Portuguese, and the pledge has no Portuguese text" in page.text
    confirm = await client.get(f"{url}/confirm")
    assert 'name="accept_fallback" value="pt"' in confirm.text
    assert "Send the English text to Portuguese readers" in confirm.text
    assert 'value="fr"' not in confirm.text  # French has its text

    refused = await post_form(client, f"{url}/confirm", url)
    assert refused.status_code == 409
    assert "texts[pt]: 2 invitees read Portuguese" in refused.text
    assert not _launched(db, seeded.campaign.id or 0)

    launched = await post_form(client, f"{url}/confirm", url, {"accept_fallback": "pt"})
    assert launched.status_code == 303, launched.text
    assert _launched(db, seeded.campaign.id or 0)
    with session_scope(db) as session:
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.kind == "campaign.pledge_fallback_accepted")
        ).one()
    assert entry.actor == f"user:{owner.id}:{COORDINATOR}"
    assert entry.data["languages"] == {"pt": 2} and entry.data["fallback_language"] == "en"


async def test_the_launch_needs_no_tick_when_every_language_has_its_text(client, db):
    seeded = factories.campaign_with_invitees(db, count=2, locales=["fr", "ar"])
    attach(db, seeded.campaign.id or 0)
    url = f"/console/campaigns/{seeded.campaign.id}/launch"
    confirm = await client.get(f"{url}/confirm")
    assert "accept_fallback" not in confirm.text
    launched = await post_form(client, f"{url}/confirm", url)
    assert launched.status_code == 303
    assert _launched(db, seeded.campaign.id or 0)


@pytest.mark.skipif(not chromium_available(), reason="needs Chromium")
async def test_the_translations_and_the_fallback_in_chromium(ts_env, settings, db, owner, tmp_path):
    translated = with_languages(settings, tmp_path)
    console = Console(
        app=create_app(translated, engine=db), settings=translated, temporal=ts_env.client, engine=db
    )
    seeded = factories.campaign_with_invitees(db, count=2, locales=["ar", "pt"])
    attach(db, seeded.campaign.id or 0)
    campaign_url = f"/console/campaigns/{seeded.campaign.id}"
    async with console.served() as (base, browser):
        page = await signed_in_page(browser, base, owner)
        checks = PageChecks(page, shots_folder(tmp_path))
        await checks.visit("pledge-translations", f"{base}{campaign_url}/edit/pledge", 200)
        # The Arabic fields are written right to left.
        direction = await page.get_attribute(
            'textarea[name="texts[ar].commitments[c1].text"] >> xpath=ancestor::div[@dir][1]', "dir"
        )
        assert direction == "rtl"
        await checks.visit("launch-fallback", f"{base}{campaign_url}/launch/confirm", 200)
        await page.check('input[name="accept_fallback"][value="pt"]')
    assert_clean(checks)
