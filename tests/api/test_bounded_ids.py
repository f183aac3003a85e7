"""Ids and offsets beyond what the database holds: 422 or 404 on every route, never a 500."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from api.app import create_app
from pledgeflow.config import Settings
from pledgeflow.links import LinkPurpose, LinkSigner
from tests import factories
from tests.conftest import TEST_SECRET

pytestmark = pytest.mark.db

# One past PostgreSQL's integer, one past SQLite's (and bigint), and the fuzzer's number.
TOO_BIG = [2**31, 2**63, 99999999999999999999999]
LARGEST = 2**31 - 1
LARGEST_OFFSET = 2**63 - 1


def _app(database_url: str, db: Any) -> FastAPI:
    async def no_temporal() -> Any:
        raise AssertionError("an id check comes before any Temporal call")

    settings = Settings(
        env="test", database_url=database_url, secret_key=TEST_SECRET, temporal_address="unused:7233"
    )
    return create_app(settings, engine=db, connect_temporal=no_temporal)


def _integer_parameters(app: FastAPI) -> list[tuple[str, str, str, str]]:
    """(method, path, parameter, where) of every integer parameter of every documented operation."""
    found = []
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if "integer" in str(parameter["schema"]):
                    found.append((method.upper(), path, parameter["name"], parameter["in"]))
    return found


@pytest_asyncio.fixture
async def client(database_url, db) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI, str]]:
    _, token = factories.coordinator(db)
    app = _app(database_url, db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http, app, token


def _url(path: str, parameter: str, where: str, value: int) -> str:
    """The path with `value` for `parameter` and 1 for every other path parameter."""
    url = re.sub(r"\{(\w+)\}", lambda m: str(value) if m.group(1) == parameter else "1", path)
    if where == "query":
        url += f"?{parameter}={value}"
    return url


def _assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.request.url, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def test_every_integer_parameter_documents_its_bounds(database_url, db):
    """The OpenAPI schema says what the database can hold, so Schemathesis stays within it."""
    app = _app(database_url, db)
    parameters = _integer_parameters(app)
    assert (
        len(parameters) == 54
    )  # DELETE /tokens/{token_id}, remind, review-cycles/next, shares, imports, plans included
    for method, path, name, _ in parameters:
        [schema] = [
            p["schema"]
            for p in app.openapi()["paths"][path][method.lower()]["parameters"]
            if p["name"] == name
        ]
        integer = next(s for s in schema.get("anyOf", [schema]) if s.get("type") == "integer")
        expected = {"limit": integer["maximum"], "offset": LARGEST_OFFSET}.get(name, LARGEST)
        assert integer["maximum"] == expected, (method, path, name)
        assert expected <= LARGEST_OFFSET
        assert integer["minimum"] in (0, 1), (method, path, name)


@pytest.mark.parametrize("value", TOO_BIG)
async def test_a_number_beyond_the_database_is_a_422_naming_the_parameter(client, value):
    http, app, token = client
    for method, path, name, where in _integer_parameters(app):
        if name == "limit" or (name == "offset" and value <= LARGEST_OFFSET):
            continue  # a page size has its own bound; an offset may go up to a bigint
        response = await http.request(
            method, _url(path, name, where, value), headers={"Authorization": f"Bearer {token}"}
        )
        body = _assert_problem(response, 422)
        assert name in [e["field"] for e in body["errors"]], (method, path, body)
        assert body["type"] == "https://pledgeflow.org/problems/invalid-input"


async def test_the_largest_id_is_an_ordinary_404(client):
    http, app, token = client
    reads = [(p, n) for m, p, n, w in _integer_parameters(app) if m == "GET" and w == "path"]
    assert len(reads) == 15
    for path, name in reads:
        response = await http.get(
            _url(path, name, "path", LARGEST), headers={"Authorization": f"Bearer {token}"}
        )
        _assert_problem(response, 404)


@pytest.mark.parametrize("path", ["/campaigns", "/contacts", "/organisations", "/campaigns/{id}/invitations"])
async def test_the_largest_offset_is_an_empty_page(client, db, path):
    http, _, token = client
    seeded = factories.campaign_with_invitees(db, count=1)
    url = path.replace("{id}", str(seeded.campaign.id)) + f"?offset={LARGEST_OFFSET}"
    response = await http.get(url, headers={"Authorization": f"Bearer {seeded.token}"})
    assert response.status_code == 200, response.text
    assert response.json() == []
    assert token


async def test_the_largest_filters_find_nothing(client):
    http, _, token = client
    auth = {"Authorization": f"Bearer {token}"}
    assert (await http.get(f"/contacts?organisation_id={LARGEST}", headers=auth)).json() == []
    assert (await http.get(f"/escalations?level={LARGEST}", headers=auth)).json() == []
    _assert_problem(await http.get(f"/escalations?campaign_id={LARGEST}", headers=auth), 404)
    _assert_problem(await http.get(f"/campaigns/1/reports?cycle={LARGEST}", headers=auth), 404)


@pytest.mark.parametrize("value", TOO_BIG[1:])  # beyond what SQLite and PostgreSQL bind as ids
async def test_a_huge_id_in_a_body_is_a_422_not_a_500(client, db, value):
    """The safety net: body ids are not bounded by a path type, the database's range still holds."""
    http, _, _ = client
    seeded = factories.campaign_with_invitees(db, count=1)
    auth = {"Authorization": f"Bearer {seeded.token}"}
    contact = await http.post(
        "/contacts", json={"organisation_id": value, "name": "N", "email": "n@x.example"}, headers=auth
    )
    invitees = await http.post(
        f"/campaigns/{seeded.campaign.id}/invitees",
        json={"invitees": [{"organisation_id": value}]},
        headers=auth,
    )
    for response in (contact, invitees):
        body = _assert_problem(response, 422)
        assert (
            body["errors"] == [{"field": "request", "reason": body["detail"]}]
            and "out of range" in body["detail"]
        )


@pytest.mark.parametrize("value", TOO_BIG)
@pytest.mark.parametrize("prefix", ["/r", "/rv"])
async def test_a_huge_evidence_id_is_a_422(client, value, prefix):
    http, _, _ = client
    purpose = LinkPurpose.report if prefix == "/r" else LinkPurpose.review
    token = LinkSigner(TEST_SECRET).make(1, purpose, datetime.now(UTC) + timedelta(days=1))
    body = _assert_problem(await http.get(f"{prefix}/{token}/evidence/{value}"), 422)
    assert [e["field"] for e in body["errors"]] == ["evidence_id"]
    # the largest id passes the bound and the page answers as for any unknown report
    assert (await http.get(f"{prefix}/{token}/evidence/{LARGEST}")).status_code == 404


@pytest.mark.parametrize("value", TOO_BIG)
async def test_a_huge_campaign_in_a_workflow_id_is_an_unknown_workflow(client, value):
    """The history routes read the campaign out of the workflow id: past the table's range, none."""
    http, _, token = client
    for view in ("history", "runs", "timeline"):
        response = await http.get(
            f"/audit/workflows/campaign-{value}/{view}", headers={"Authorization": f"Bearer {token}"}
        )
        body = _assert_problem(response, 404)
        assert body["detail"] == f"workflow campaign-{value} does not exist"
