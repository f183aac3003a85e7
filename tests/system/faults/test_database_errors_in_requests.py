"""A database that is down or drops connections: a clear 503 with Retry-After (HTML for pages,
problem+json for the API), and a page already computed still reaches the reader."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlmodel import create_engine

from api.app import create_app
from pledgeflow.links import LinkPurpose, LinkSigner
from tests import factories
from tests.conftest import TEST_SECRET


def _unreachable_database(tmp_path):
    """An engine on a database file that cannot be opened (its folder does not exist)."""
    return create_engine(f"sqlite:///{tmp_path / 'missing-folder' / 'pledgeflow.db'}")


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.mark.parametrize(("language", "heading"), [("en", "briefly unavailable"), ("fr", "momentanément")])
async def test_a_link_page_answers_503_html_when_the_database_is_down(settings, tmp_path, language, heading):
    token = LinkSigner(TEST_SECRET).make(7, LinkPurpose.sign, datetime.now(UTC) + timedelta(days=1))
    async with _client(create_app(settings, engine=_unreachable_database(tmp_path))) as site:
        page = await site.get(f"/s/{token}", headers={"Accept-Language": language})
    assert page.status_code == 503
    assert page.headers["retry-after"] == "5"
    assert page.headers["content-type"].startswith("text/html")
    assert heading in page.text and f'lang="{language}"' in page.text
    assert token not in page.text


async def test_the_api_answers_503_problem_json_when_the_database_is_down(settings, tmp_path):
    async with _client(create_app(settings, engine=_unreachable_database(tmp_path))) as api:
        answer = await api.get("/campaigns/1", headers={"Authorization": "Bearer pf_whatever"})
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["type"].endswith("/database-unavailable") and body["status"] == 503
    assert body["errors"] == [{"field": "database", "reason": "unreachable or dropped the connection"}]


async def test_a_connection_dropped_before_cleanup_does_not_destroy_the_page(settings, db):
    """PostgreSQL terminates the page's connection after it was read, before the session closes."""
    if db.dialect.name != "postgresql":
        pytest.skip("the connection is dropped with pg_terminate_backend (PostgreSQL only)")
    seeded = factories.campaign_with_invitees(db, count=1)
    factories.launch(db, seeded.campaign.id)
    token = LinkSigner(TEST_SECRET).make(
        seeded.invitations[0].id, LinkPurpose.sign, datetime.now(UTC) + timedelta(days=1)
    )
    engine = create_engine(db.url)
    dsn = make_url(db.url).set(drivername="postgresql").render_as_string(hide_password=False)
    terminated: list[int] = []

    def _drop_first(connection) -> None:
        # The database drops the connection in the instant before the cleanup's rollback.
        if terminated:
            return
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        terminated.append(pid)

    event.listen(engine, "rollback", _drop_first)
    try:
        async with _client(create_app(settings, engine=engine)) as site:
            page = await site.get(f"/s/{token}")
    finally:
        engine.dispose()
    assert terminated, "the fault was injected"
    assert page.status_code == 200 and "Ghana Customs Integrity Pact" in page.text
