"""Operations endpoints: /livez, /readyz naming what is down, /metrics."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from api import health
from api.app import create_app
from pledgeflow.dev.mail_sink import free_port
from pledgeflow.observability import metrics


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_ready_when_database_temporal_and_smtp_answer(ts_env, settings, db, mailbox):
    async def connect():
        return ts_env.client

    async with _client(create_app(settings, engine=db, connect_temporal=connect)) as api:
        response = await api.get("/readyz")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "temporal": True,
        "smtp": True,
    }


async def test_not_ready_names_each_unreachable_dependency(settings, db):
    async def unreachable():
        raise ConnectionError("connection refused")

    closed = settings.model_copy(update={"smtp_port": free_port()})
    async with _client(create_app(closed, engine=db, connect_temporal=unreachable)) as api:
        response = await api.get("/readyz")

    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"].endswith("/not-ready")
    assert sorted(e["field"] for e in body["errors"]) == ["smtp", "temporal"]
    assert "Temporal is unreachable" in body["detail"]


async def test_a_hanging_dependency_fails_the_probe_in_time(settings, db, mailbox, monkeypatch):
    monkeypatch.setattr(health, "CHECK_TIMEOUT_SECONDS", 0.3)

    async def hangs():
        await asyncio.sleep(3600)

    async with _client(create_app(settings, engine=db, connect_temporal=hangs)) as api:
        started = time.monotonic()
        response = await api.get("/readyz")

    assert time.monotonic() - started < 2
    assert response.status_code == 503
    assert [e["field"] for e in response.json()["errors"]] == ["temporal"]
    assert "no answer within 0.3s" in response.json()["errors"][0]["reason"]


async def test_live_whatever_the_dependencies(settings, db):
    async def unreachable():
        raise ConnectionError("down")

    async with _client(create_app(settings, engine=db, connect_temporal=unreachable)) as api:
        response = await api.get("/livez")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [("", "text/plain"), ("application/openmetrics-text; version=1.0.0", "application/openmetrics-text")],
)
async def test_metrics_expose_the_application_counters(settings, db, accept, content_type):
    metrics.email_sent("invitation")
    metrics.email_failed("invitation", permanent=True)
    metrics.signature_recorded()
    metrics.escalation_sent(2)

    async with _client(create_app(settings, engine=db)) as api:
        response = await api.get("/metrics", headers={"accept": accept} if accept else {})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)
    text = response.text
    assert 'pledgeflow_emails_sent_total{kind="invitation"}' in text
    assert 'pledgeflow_emails_failed_total{kind="invitation",permanent="true"}' in text
    assert "pledgeflow_signatures_total " in text
    assert 'pledgeflow_escalations_total{level="2"}' in text
