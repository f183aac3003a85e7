"""How `pledgeflow api` serves the app with uvicorn."""

from __future__ import annotations

from typing import Any

import uvicorn


def uvicorn_config(app: Any, *, host: str, port: int) -> uvicorn.Config:
    """The uvicorn configuration of `pledgeflow api`.

    `log_config=None` leaves logging to pledgeflow.observability: uvicorn's access and error
    loggers then propagate to the root handler, which formats them as JSON or text like every
    other line and redacts link tokens and credentials from them (uvicorn's own handlers would
    write the raw request path).
    """
    return uvicorn.Config(app, host=host, port=port, proxy_headers=True, log_config=None)
