"""Helpers for tests: run the real workers, read links out of received emails."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import httpx
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from temporalio.client import Client

from api.app import create_app
from pledgeflow.config import Settings
from pledgeflow.dev.mail_sink import ReceivedMail
from pledgeflow.worker import Workers, build_workers

T = TypeVar("T")
LINK = re.compile(r"https?://\S+/s/([A-Za-z0-9_.\-]+)")


def settings_without_temporal(database_url: str, secret_key: str) -> Settings:
    """Settings for an app whose routes under test never reach Temporal."""
    return Settings(
        env="test", database_url=database_url, secret_key=secret_key, temporal_address="unused:7233"
    )


def app_without_temporal(settings: Settings, engine: Engine, *, why: str) -> FastAPI:
    """The real app, with a Temporal connection that fails the test, saying `why` it must not be used."""

    async def no_temporal() -> Client:
        raise AssertionError(why)

    return create_app(settings, engine=engine, connect_temporal=no_temporal)


@asynccontextmanager
async def asgi_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client that calls the app in process, as http://testserver."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        yield client


@asynccontextmanager
async def running_workers(client: Client, settings: Settings, engine: Engine) -> AsyncIterator[Workers]:
    """Both workers of a worker process, polling the test's task queues."""
    workers = build_workers(client, settings, engine)
    async with workers.main, workers.email:
        yield workers


def sign_token(mail: ReceivedMail) -> str:
    """The signing-link token in an invitation email's plain-text body."""
    match = LINK.search(mail.text)
    assert match, f"no signing link in: {mail.text[:500]}"
    return match.group(1)


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF field of a form page."""
    match = CSRF_FIELD.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


async def eventually(probe: Callable[[], Awaitable[T]], check: Callable[[T], bool], timeout: float = 20) -> T:
    """Call probe until check(result) holds; return that result (or fail with the last one)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await probe()
        if check(result) or loop.time() > deadline:
            assert check(result), f"still {result!r} after {timeout}s"
            return result
        await asyncio.sleep(0.05)
