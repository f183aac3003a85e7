"""Links signed with the real secret but carrying numbers no link of ours holds: a 400 page, not a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from itsdangerous import URLSafeSerializer

from pledgeflow.links import LinkPurpose, LinkSigner, TamperedLink
from tests.conftest import TEST_SECRET
from tests.helpers import app_without_temporal, asgi_client, settings_without_temporal

pytestmark = pytest.mark.db

NEXT_YEAR = int((datetime.now(UTC) + timedelta(days=365)).timestamp())

# (what is forged, the claims besides the purpose)
FORGED: list[tuple[str, dict[str, Any]]] = [
    ("subject past PostgreSQL's integer", {"s": 2**31, "e": NEXT_YEAR}),
    ("subject past SQLite's integer", {"s": 2**63, "e": NEXT_YEAR}),
    ("the fuzzer's subject", {"s": 99999999999999999999999, "e": NEXT_YEAR}),
    ("subject zero", {"s": 0, "e": NEXT_YEAR}),
    ("negative subject", {"s": -(2**70), "e": NEXT_YEAR}),
    ("infinite subject", {"s": float("inf"), "e": NEXT_YEAR}),
    ("expiry past any datetime", {"s": 1, "e": 99999999999999999999999}),
    ("expiry in the year 33658", {"s": 1, "e": 10**12}),
    ("expiry before year 1", {"s": 1, "e": -(10**20)}),
    ("infinite expiry", {"s": 1, "e": float("inf")}),
]


def forge(purpose: LinkPurpose, claims: dict[str, Any] | list[Any]) -> str:
    """A token signed with the real secret, as someone who stole it (or the fuzzer with it) makes."""
    payload = {**claims, "p": purpose.value} if isinstance(claims, dict) else claims
    return str(URLSafeSerializer(TEST_SECRET, salt="pledgeflow-link-v1").dumps(payload))


@pytest_asyncio.fixture
async def site(database_url, db) -> AsyncIterator[httpx.AsyncClient]:
    app = app_without_temporal(
        settings_without_temporal(database_url, TEST_SECRET), db, why="a refused link never reaches Temporal"
    )
    async with asgi_client(app) as client:
        yield client


@pytest.mark.parametrize(("what", "claims"), FORGED, ids=[what for what, _ in FORGED])
def test_the_signer_refuses_claims_out_of_range(what, claims):
    for purpose in LinkPurpose:
        with pytest.raises(TamperedLink, match="not a pledgeflow link"):
            LinkSigner(TEST_SECRET).read(forge(purpose, claims), purpose)


def test_the_signer_refuses_a_payload_that_is_not_an_object():
    with pytest.raises(TamperedLink, match="not a pledgeflow link"):
        LinkSigner(TEST_SECRET).read(forge(LinkPurpose.sign, [1, "sign", NEXT_YEAR]), LinkPurpose.sign)


def test_the_largest_subject_and_a_far_expiry_still_read():
    """The bounds refuse only what no link holds: the edge values are honoured."""
    far = datetime(9999, 12, 31, tzinfo=UTC)
    claims = LinkSigner(TEST_SECRET).read(
        LinkSigner(TEST_SECRET).make(2**31 - 1, LinkPurpose.sign, far), LinkPurpose.sign
    )
    assert (claims.subject_id, claims.expires_at) == (2**31 - 1, far)


@pytest.mark.parametrize(("what", "claims"), FORGED, ids=[what for what, _ in FORGED])
async def test_every_link_page_answers_a_forged_claim_with_the_400_page(site, what, claims):
    pages = [
        (LinkPurpose.sign, "/s/{}"),
        (LinkPurpose.withdraw, "/w/{}"),
        (LinkPurpose.report, "/r/{}"),
        (LinkPurpose.report, "/r/{}/evidence/1"),
        (LinkPurpose.review, "/rv/{}"),
        (LinkPurpose.review, "/rv/{}/evidence/1"),
    ]
    for purpose, page in pages:
        response = await site.get(page.format(forge(purpose, claims)))
        assert response.status_code == 400, (what, page, response.text[:300])
        assert response.headers["content-type"].startswith("text/html")
        assert "This link is not valid" in response.text


async def test_the_largest_subject_is_an_unknown_invitation(site):
    token = LinkSigner(TEST_SECRET).make(2**31 - 1, LinkPurpose.sign, datetime(9999, 12, 31, tzinfo=UTC))
    response = await site.get(f"/s/{token}")
    assert response.status_code == 404, response.text[:300]
