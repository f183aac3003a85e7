"""Security headers, no inline script or style, forms checked for their origin, /docs served locally."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from api.app import create_app
from api.csrf import origin_of
from pledgeflow.config import PROJECT_ROOT
from tests import factories
from tests.helpers import csrf_from, running_workers, sign_token
from tests.i18n.page_text import seen
from workflows import client as workflow_client

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SIGN_FORM = {"signer_name": "Kwame Mensah", "signer_title": "Director General", "consent": "yes"}


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest_asyncio.fixture
async def site(ts_env, settings, db, mailbox) -> AsyncIterator[httpx.AsyncClient]:
    """The app over HTTP, with workers running on the time-skipping server."""

    async def connect():
        return ts_env.client

    app = create_app(settings, engine=db, connect_temporal=connect)
    async with running_workers(ts_env.client, settings, db), _client(app) as client:
        yield client


async def _signing_link(ts_env, settings, db, mailbox) -> str:
    seeded = factories.campaign_with_invitees(db, count=1)
    campaign_id = seeded.campaign.id
    assert campaign_id is not None
    factories.launch(db, campaign_id)
    await workflow_client.start_campaign(ts_env.client, settings, campaign_id)
    [mail] = await mailbox.wait_for_async(1)
    return sign_token(mail)


async def test_every_kind_of_response_carries_the_security_headers(site, ts_env, settings, db, mailbox):
    token = await _signing_link(ts_env, settings, db, mailbox)
    responses = {
        "page": await site.get(f"/s/{token}"),
        "bad link page": await site.get("/s/not-a-token"),
        "json": await site.get("/livez"),
        "problem": await site.get("/campaigns"),
        "not found": await site.get("/no/such/route"),
        "static": await site.get("/static/pages.css"),
        "openapi": await site.get("/openapi.json"),
    }
    assert {name: r.status_code for name, r in responses.items()} == {
        "page": 200,
        "bad link page": 400,
        "json": 200,
        "problem": 401,
        "not found": 404,
        "static": 200,
        "openapi": 200,
    }
    for name, response in responses.items():
        headers = response.headers
        assert headers["content-security-policy"] == PAGE_POLICY, name
        assert headers["referrer-policy"] == "no-referrer", name
        assert headers["x-content-type-options"] == "nosniff", name
        assert headers["x-frame-options"] == "DENY", name
        assert "strict-transport-security" not in headers, name  # the public URL is http


async def test_hsts_when_the_public_url_is_https(settings, db):
    https = settings.model_copy(update={"public_base_url": "https://pledges.example"})
    async with _client(create_app(https, engine=db)) as api:
        response = await api.get("/livez")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def test_no_template_has_inline_script_style_or_event_handler():
    offending = re.compile(r"<script(?![^>]*\ssrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", re.I)
    found = {
        str(path.relative_to(PROJECT_ROOT)): offending.findall(path.read_text())
        for path in sorted((PROJECT_ROOT / "templates" / "pages").rglob("*.html"))
    }
    assert {name: hits for name, hits in found.items() if hits} == {}


async def test_pages_link_their_stylesheets_from_the_app(site, ts_env, settings, db, mailbox):
    token = await _signing_link(ts_env, settings, db, mailbox)
    page = await site.get(f"/s/{token}")
    assert '<link rel="stylesheet" href="/static/pages.css">' in page.text
    for path in ("/static/pages.css", "/static/reviews.css"):
        css = await site.get(path)
        assert css.status_code == 200 and css.headers["content-type"] == "text/css; charset=utf-8"
        assert "{" in css.text


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://testserver/s/x", "http://testserver"),
        ("HTTP://TestServer:80/x?y", "http://testserver"),
        ("https://pledges.example:443", "https://pledges.example"),
        ("https://pledges.example:8443/", "https://pledges.example:8443"),
        ("null", ""),
        ("not a url", ""),
    ],
)
def test_the_origin_of_a_url(url, origin):
    assert origin_of(url) == origin


async def test_a_form_post_from_another_origin_is_refused_like_a_bad_csrf_field(
    site, ts_env, settings, db, mailbox
):
    token = await _signing_link(ts_env, settings, db, mailbox)
    page = await site.get(f"/s/{token}")
    form = SIGN_FORM | {"csrf_token": csrf_from(page.text)}
    bad_field = await site.post(f"/s/{token}/sign", data=form | {"csrf_token": "forged"})
    assert bad_field.status_code == 403
    cross_site = [
        {"Origin": "https://attacker.example"},
        {"Origin": "http://testserver:8080"},
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Referer": "https://attacker.example/page"},
        {"Origin": "null", "Referer": "http://evil.testserver/"},
    ]
    for headers in cross_site:
        refused = await site.post(f"/s/{token}/sign", data=form, headers=headers)
        assert (refused.status_code, refused.text) == (403, bad_field.text), headers
    # Still unsigned: the same link opens the signing page.
    assert (await site.get(f"/s/{token}")).status_code == 200
    same_origin = {"Origin": "null", "Sec-Fetch-Site": "same-origin", "Referer": "http://testserver/s/x"}
    signed = await site.post(f"/s/{token}/sign", data=form, headers=same_origin)
    assert signed.status_code == 200 and "Receipt PF-" in seen(signed)


async def test_a_form_post_from_the_public_origin_is_accepted(site, ts_env, settings, db, mailbox):
    token = await _signing_link(ts_env, settings, db, mailbox)
    page = await site.get(f"/s/{token}")
    form = SIGN_FORM | {"csrf_token": csrf_from(page.text)}
    signed = await site.post(f"/s/{token}/sign", data=form, headers={"Origin": "http://testserver"})
    assert signed.status_code == 200 and "Receipt PF-" in seen(signed)


_LOCAL_ASSETS = {
    "/static/swagger-ui/swagger-ui.css": "text/css; charset=utf-8",
    "/static/docs.css": "text/css; charset=utf-8",
    "/static/swagger-ui/favicon-32x32.png": "image/png",
    "/static/swagger-ui/swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "/static/swagger-init.js": "text/javascript; charset=utf-8",
}


async def test_docs_reference_only_the_apps_own_files(settings, db):
    async with _client(create_app(settings, engine=db)) as api:
        docs = await api.get("/docs")
        assets = {url: await api.get(url) for url in _LOCAL_ASSETS}
        redoc = await api.get("/redoc")
    assert docs.status_code == 200 and docs.headers["content-type"] == "text/html; charset=utf-8"
    referenced = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert sorted(referenced) == sorted(_LOCAL_ASSETS)
    assert "<script>" not in docs.text  # no inline script: every <script> has a src
    assert {url: (r.status_code, r.headers["content-type"]) for url, r in assets.items()} == {
        url: (200, kind) for url, kind in _LOCAL_ASSETS.items()
    }
    assert docs.headers["content-security-policy"] == PAGE_POLICY  # no 'unsafe-inline' for /docs either
    assert redoc.status_code == 404


def test_the_swagger_init_script_is_a_static_file():
    script = Path(PROJECT_ROOT / "templates" / "static" / "swagger-init.js").read_text()
    assert 'url: "/openapi.json"' in script and 'dom_id: "#swagger-ui"' in script
