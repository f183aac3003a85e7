"""What the API needs at hand: settings, database, Temporal, link signer, page templates."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from temporalio.client import Client

from pledgeflow.config import Settings
from pledgeflow.errors import Unavailable
from pledgeflow.links import LinkSigner


@dataclass
class ApiContext:
    settings: Settings
    engine: Engine
    links: LinkSigner
    connect_temporal: Callable[[], Awaitable[Client]]
    _client: Client | None = None

    async def temporal(self) -> Client:
        """The Temporal client, connected on first use; Unavailable when unreachable."""
        if self._client is None:
            try:
                self._client = await self.connect_temporal()
            except Exception as exc:  # connection errors come in several types
                raise Unavailable(f"Temporal is unreachable: {exc}") from exc
        return self._client
