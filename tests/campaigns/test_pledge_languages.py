"""A pledge in several languages through the API: each text with its own hash, field-named
refusals, and a launch that waits until every invitee language has a text (or its fallback
is accepted, on the record)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from sqlmodel import select

from api.app import create_app
from models.audit import AuditEntry
from models.campaign import Campaign, CampaignStatus
from pledgeflow.db import session_scope
from tests import factories
from tests.campaigns.test_api import assert_problem, bearer
from tests.pledge_texts import (
    ARABIC,
    FRENCH,
    TRANSLATED,
    attach,
    todays_hash,
    translation_hash,
    with_languages,
)


@pytest_asyncio.fixture
async def api(ts_env, settings, db, tmp_path) -> AsyncIterator[httpx.AsyncClient]:
    """The API over the test's Temporal server, with catalogs for fr, ar, pt and sw."""

    async def connect():
        return ts_env.client

    app = create_app(with_languages(settings, tmp_path), engine=db, connect_temporal=connect)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        yield client


def _body(**texts: object) -> dict[str, object]:
    body = factories.PLEDGE.model_dump(mode="json", exclude={"texts"})
    body["texts"] = texts
    return body


def _status(db, campaign_id: int) -> CampaignStatus:
    with session_scope(db) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        return campaign.status


async def test_every_language_has_its_own_hash_and_the_original_keeps_todays(api, db):
    seeded = factories.campaign_with_invitees(db, count=0, with_pledge=False)
    auth = bearer(seeded.token)
    body = _body(fr=FRENCH.model_dump(), AR=ARABIC.model_dump())  # a tag in any case is canonical
    put = await api.put(f"/campaigns/{seeded.campaign.id}/pledge", json=body, headers=auth)
    assert put.status_code == 201, put.text
    read = (await api.get(f"/campaigns/{seeded.campaign.id}/pledge", headers=auth)).json()
    assert read == put.json()
    assert read["language"] == "en"
    assert read["sha256"] == todays_hash(factories.PLEDGE)
    assert sorted(read["texts"]) == ["ar", "fr"]
    assert read["texts"]["fr"]["title"] == FRENCH.title
    assert read["texts"]["ar"]["commitments"][1] == {"key": "c2", "text": ARABIC.commitments[1].text}
    assert read["texts"]["fr"]["sha256"] == translation_hash(factories.PLEDGE, "fr", FRENCH)
    assert read["texts"]["ar"]["sha256"] == translation_hash(factories.PLEDGE, "ar", ARABIC)
    assert len({read["sha256"], read["texts"]["fr"]["sha256"], read["texts"]["ar"]["sha256"]}) == 3
    with session_scope(db) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.kind == "pledge.attached")).one()
    assert entry.data["texts"] == {"fr": read["texts"]["fr"]["sha256"], "ar": read["texts"]["ar"]["sha256"]}


async def test_an_english_only_pledge_hashes_and_reads_as_before(api, db):
    seeded = factories.campaign_with_invitees(db, count=0)
    read = (await api.get(f"/campaigns/{seeded.campaign.id}/pledge", headers=bearer(seeded.token))).json()
    assert read["sha256"] == todays_hash(factories.PLEDGE)
    assert read["language"] == "en" and read["texts"] == {}


async def test_a_bad_translation_is_refused_naming_each_field(api, db):
    seeded = factories.campaign_with_invitees(db, count=0, with_pledge=False)
    french = FRENCH.model_dump()
    french["commitments"] = [french["commitments"][0], {"key": "c9", "text": "Inconnu."}]
    arabic = ARABIC.model_dump()
    arabic["title"] = "ميثاق\u202e النزاهة"
    arabic["commitments"][2]["text"] = "   "
    response = await api.put(
        f"/campaigns/{seeded.campaign.id}/pledge",
        json=_body(fr=french, ar=arabic, xx=FRENCH.model_dump(), en=FRENCH.model_dump()),
        headers=bearer(seeded.token),
    )
    body = assert_problem(response, 422)
    fields = {e["field"] for e in body["errors"]}
    assert fields == {
        "texts[fr].commitments[c9]",  # no such commitment in the original
        "texts[fr].commitments[c2].text",  # left untranslated
        "texts[fr].commitments[c3].text",
        "texts[ar].title",  # a bidirectional control
        "texts[ar].commitments[c3].text",  # blank
        "texts[xx]",  # not a language
        "texts[en]",  # the original's own language
    }
    reasons = {e["field"]: e["reason"] for e in body["errors"]}
    assert "U+202E" in reasons["texts[ar].title"]
    assert "not a known language tag" in reasons["texts[xx]"]


async def test_launch_waits_for_a_text_in_every_invitee_language_or_an_accepted_fallback(api, db):
    # fr-CI reads French pages; Nepali has no catalog, so that reader gets English, which the
    # English original covers; Portuguese has a catalog but the pledge no Portuguese text.
    seeded = factories.campaign_with_invitees(db, count=4, locales=["fr-CI", "ar", "ne", "pt"])
    attach(db, seeded.campaign.id or 0)
    auth = bearer(seeded.token)
    url = f"/campaigns/{seeded.campaign.id}/launch"
    refused = await api.post(url, headers=auth)
    body = assert_problem(refused, 409, field="texts[pt]")
    assert "Portuguese (pt)" in body["detail"]
    assert [e["field"] for e in body["errors"]] == ["texts[pt]"]  # fr and ar have their texts
    wrong = await api.post(url, json={"accept_fallback_languages": ["sw"]}, headers=auth)
    assert_problem(wrong, 409, field="texts[pt]")
    assert _status(db, seeded.campaign.id or 0) is CampaignStatus.draft
    with session_scope(db) as session:
        assert not session.exec(
            select(AuditEntry).where(AuditEntry.kind == "campaign.pledge_fallback_accepted")
        ).all()

    launched = await api.post(url, json={"accept_fallback_languages": ["pt"]}, headers=auth)
    assert launched.status_code == 202, launched.text
    assert _status(db, seeded.campaign.id or 0) is CampaignStatus.launched
    with session_scope(db) as session:
        accepted = session.exec(
            select(AuditEntry).where(AuditEntry.kind == "campaign.pledge_fallback_accepted")
        ).one()
    assert accepted.actor == f"user:{seeded.coordinator.id}:{seeded.coordinator.email}"
    assert accepted.data == {"pledge_version": 2, "fallback_language": "en", "languages": {"pt": 1}}
    # Frozen: no new text once launched.
    again = await api.put(f"/campaigns/{seeded.campaign.id}/pledge", json=_body(), headers=auth)
    assert_problem(again, 409, field="status")


async def test_launch_needs_no_acceptance_when_every_language_has_its_text(api, db):
    seeded = factories.campaign_with_invitees(db, count=3, locales=["fr", "ar", "en"])
    attach(db, seeded.campaign.id or 0, TRANSLATED)
    launched = await api.post(f"/campaigns/{seeded.campaign.id}/launch", headers=bearer(seeded.token))
    assert launched.status_code == 202, launched.text
    with session_scope(db) as session:
        kinds = session.exec(select(AuditEntry.kind)).all()
    assert "campaign.launched" in kinds and "campaign.pledge_fallback_accepted" not in kinds
