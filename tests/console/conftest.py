"""The console under test: the real app on the test database, with the real workers polling the
time-skipping server's task queues, so a console action that starts or signals a workflow runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest_asyncio
from fastapi import FastAPI
from playwright.async_api import Browser
from temporalio.client import Client

from api.app import create_app
from pledgeflow.config import Settings
from tests.browser import chromium
from tests.helpers import running_workers
from tests.serving import bound_socket, serving


@dataclass
class Console:
    """The app, its settings and the Temporal client its workers use."""

    app: FastAPI
    settings: Settings
    temporal: Client
    engine: object

    @asynccontextmanager
    async def served(self) -> AsyncIterator[tuple[str, Browser]]:
        """The same app behind uvicorn at a public URL of its own, and a Chromium to open it in
        (links in emails then point at it)."""
        sock = bound_socket()
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        settings = self.settings.model_copy(update={"public_base_url": base})
        app = create_app(settings, engine=self.engine, connect_temporal=self._connect)  # type: ignore[arg-type]
        async with serving(app, sock), chromium() as browser:
            yield base, browser

    async def _connect(self) -> Client:
        return self.temporal


@pytest_asyncio.fixture
async def console(ts_env, settings, db, tmp_path) -> AsyncIterator[Console]:
    """The console with running workers; `console.app` for in-process requests."""
    settings = settings.model_copy(update={"data_dir": tmp_path})

    async def connect() -> Client:
        return ts_env.client

    async with running_workers(ts_env.client, settings, db):
        yield Console(
            app=create_app(settings, engine=db, connect_temporal=connect),
            settings=settings,
            temporal=ts_env.client,
            engine=db,
        )
