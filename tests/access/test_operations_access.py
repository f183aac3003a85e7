"""/metrics and the detail of /readyz are closed in production without the metrics token."""

from __future__ import annotations

import httpx
import pytest

from api.app import create_app
from pledgeflow.dev.mail_sink import free_port

METRICS_TOKEN = "metrics-token-7f3a9c2e41b8d605"


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


def _production(settings, **changes):
    return settings.model_copy(update={"env": "production", **changes})


async def _unreachable():
    raise ConnectionError("connection refused")


@pytest.mark.parametrize("token", ["", METRICS_TOKEN], ids=["no-token-set", "token-set"])
async def test_production_metrics_need_the_token(settings, db, token):
    app = create_app(_production(settings, metrics_token=token), engine=db)
    async with _client(app) as api:
        anonymous = await api.get("/metrics")
        wrong = await api.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
        right = await api.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        live = await api.get("/livez")
    for refused in (anonymous, wrong):
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["www-authenticate"] == "Bearer"
        assert refused.json()["errors"] == [
            {"field": "Authorization", "reason": "the metrics token is missing or wrong"}
        ]
    # Without a configured token nothing opens them in production.
    assert right.status_code == (200 if token else 401)
    if token:
        assert "pledgeflow_signatures_total" in right.text
    assert live.status_code == 200 and live.json() == {"status": "ok"}


async def test_production_readyz_without_the_token_says_only_the_status(ts_env, settings, db, mailbox):
    async def connect():
        return ts_env.client

    app = create_app(_production(settings, metrics_token=METRICS_TOKEN), engine=db, connect_temporal=connect)
    async with _client(app) as api:
        bare = await api.get("/readyz")
        detailed = await api.get("/readyz", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert bare.status_code == 200 and bare.json() == {"status": "ready"}
    assert detailed.status_code == 200
    assert {name: check["ok"] for name, check in detailed.json()["checks"].items()} == {
        "database": True,
        "temporal": True,
        "smtp": True,
    }


async def test_production_readyz_failure_without_the_token_names_nothing(settings, db):
    closed = _production(settings, metrics_token=METRICS_TOKEN, smtp_port=free_port())
    async with _client(create_app(closed, engine=db, connect_temporal=_unreachable)) as api:
        bare = await api.get("/readyz")
        detailed = await api.get("/readyz", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert bare.status_code == 503
    assert bare.headers["content-type"] == "application/problem+json"
    assert bare.json() == {
        "type": "https://pledgeflow.org/problems/not-ready",
        "title": "Not ready: a dependency is unreachable",
        "status": 503,
        "detail": "not ready",
        "instance": "/readyz",
        "errors": [],
    }
    assert detailed.status_code == 503
    assert sorted(e["field"] for e in detailed.json()["errors"]) == ["smtp", "temporal"]


async def test_outside_production_a_set_token_is_still_required(settings, db):
    async with _client(
        create_app(settings.model_copy(update={"metrics_token": METRICS_TOKEN}), engine=db)
    ) as api:
        assert (await api.get("/metrics")).status_code == 401
        assert (
            await api.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        ).status_code == 200
