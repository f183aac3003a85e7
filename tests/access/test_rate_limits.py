"""Rate limits on link pages, receipts, register keys and failed token authentication."""

from __future__ import annotations

import httpx
import pytest

from api.app import create_app
from api.rate_limits import family_of
from tests import factories


def _client(app, address: str = "10.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def _limited(settings, **limits):
    return settings.model_copy(update={f"rate_limit_{name}": value for name, value in limits.items()})


@pytest.mark.parametrize(
    ("path", "family"),
    [
        ("/s/abc", "links"),
        ("/s/abc/sign", "links"),
        ("/w/abc", "links"),
        ("/r/abc/evidence/3", "links"),
        ("/rv/abc", "links"),
        ("/receipts/PF-1.json", "receipts"),
        ("/register", "register"),
        ("/register/key.json", "register"),
        ("/s/", None),
        ("/campaigns/1", None),
        ("/livez", None),
        ("/static/pages.css", None),
    ],
)
def test_the_family_of_a_path(path, family):
    assert family_of(path) == family


def _retry_after(response: httpx.Response) -> int:
    seconds = int(response.headers["retry-after"])
    assert 1 <= seconds <= 60
    return seconds


async def test_link_pages_beyond_the_limit_get_a_clear_429_page(settings, db):
    app = create_app(_limited(settings, links="3/minute"), engine=db)
    async with _client(app) as client, _client(app, "10.0.0.2") as neighbour:
        allowed = [await client.get("/s/not-a-token") for _ in range(3)]
        refused = await client.get("/s/not-a-token")
        refused_post = await client.post("/s/not-a-token/sign", data={"csrf_token": "x"})
        french = await client.get("/w/other", headers={"accept-language": "fr-FR,fr;q=0.9"})
        other_address = await neighbour.get("/s/not-a-token")
        other_family = await client.get("/receipts/PF-unknown")
    assert [r.status_code for r in allowed] == [400, 400, 400]
    assert refused.status_code == 429 and refused.headers["content-type"] == "text/html; charset=utf-8"
    seconds = _retry_after(refused)
    assert "<h1>Too many requests</h1>" in refused.text
    assert f"Wait {seconds} seconds and try again." in refused.text
    assert refused.headers["content-security-policy"].startswith("default-src 'none'")
    assert refused_post.status_code == 429
    assert french.status_code == 429 and "<h1>Trop de requêtes</h1>" in french.text
    assert other_address.status_code == 400
    assert other_family.status_code == 404


@pytest.mark.parametrize(
    ("limits", "path", "family"),
    [
        ({"receipts": "2/minute"}, "/receipts/PF-unknown.json", "receipts"),
        ({"register": "2/minute"}, "/register/no-such-key.json", "register"),
    ],
)
async def test_json_beyond_the_limit_gets_a_429_problem_with_retry_after(settings, db, limits, path, family):
    async with _client(create_app(_limited(settings, **limits), engine=db)) as client:
        allowed = [await client.get(path) for _ in range(2)]
        refused = await client.get(path)
    assert [r.status_code for r in allowed] == [404, 404]
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    seconds = _retry_after(refused)
    assert refused.json() == {
        "type": "https://pledgeflow.org/problems/rate-limited",
        "title": "Too many requests",
        "status": 429,
        "detail": f"too many requests to {family} from this address; retry after {seconds} s",
        "instance": path,
        "errors": [{"field": "Retry-After", "reason": f"retry after {seconds} s"}],
    }


async def test_failed_token_authentication_is_limited_and_good_tokens_are_not(settings, db):
    _, token = factories.coordinator(db)
    app = create_app(_limited(settings, failed_auth="3/minute"), engine=db)
    async with _client(app) as client, _client(app, "10.0.0.9") as colleague:
        good = [
            await colleague.get("/campaigns", headers={"Authorization": f"Bearer {token}"}) for _ in range(5)
        ]
        wrong = [
            await client.get("/campaigns", headers={"Authorization": "Bearer pf_guess"}) for _ in range(3)
        ]
        refused = await client.get("/campaigns", headers={"Authorization": "Bearer pf_guess4"})
        # Once over the limit, no token from that address is tried, a right one included.
        right_after = await client.get("/campaigns", headers={"Authorization": f"Bearer {token}"})
        without_token = await client.get("/livez")
    assert [r.status_code for r in good] == [200] * 5
    assert [r.status_code for r in wrong] == [401] * 3
    for response in (refused, right_after):
        assert response.status_code == 429
        assert response.headers["content-type"] == "application/problem+json"
        seconds = _retry_after(response)
        assert response.json()["detail"] == (
            f"too many failed token authentications from this address; retry after {seconds} s"
        )
    assert without_token.status_code == 200


async def test_normal_use_is_not_limited_by_the_defaults(settings, db):
    async with _client(create_app(settings, engine=db)) as client:
        pages = [await client.get("/s/not-a-token") for _ in range(30)]
        receipts = [await client.get("/receipts/PF-unknown.json") for _ in range(30)]
        register = [await client.get("/register/no-such-key") for _ in range(30)]
    assert {r.status_code for r in pages} == {400}
    assert {r.status_code for r in receipts} == {404}
    assert {r.status_code for r in register} == {404}


async def test_limits_can_be_switched_off(settings, db):
    off = _limited(settings, links="1/minute", enabled=False)
    async with _client(create_app(off, engine=db)) as client:
        assert [(await client.get("/s/x")).status_code for _ in range(3)] == [400, 400, 400]


def test_a_malformed_limit_is_refused_naming_the_setting():
    from pydantic import ValidationError

    from pledgeflow.config import Settings

    with pytest.raises(ValidationError, match="PLEDGEFLOW_RATE_LIMIT_LINKS 'often' is not a rate like"):
        Settings(rate_limit_links="often")
