"""What every command of the command line shares: failing clearly, reaching Temporal."""

from __future__ import annotations

import getpass
from collections.abc import Coroutine
from typing import Any, NoReturn

import typer
from temporalio.client import Client

from pledgeflow.config import Settings, get_settings
from pledgeflow.errors import PledgeflowError, Unavailable


def fail(message: str, code: int = 2) -> NoReturn:
    """Print the error in red and exit."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=code)


def fail_with(error: PledgeflowError) -> NoReturn:
    """Print a domain error with each field and reason, and exit."""
    lines = [error.detail] + [f"  {p.field}: {p.reason}" for p in error.errors]
    fail("\n".join(lines))


def client_and_settings() -> tuple[Settings, Coroutine[Any, Any, Client]]:
    """Settings, and a connection to their Temporal (the embedded server's port by default)."""
    settings = get_settings()
    if settings.embedded_temporal:
        settings = settings.model_copy(update={"temporal_address": f"127.0.0.1:{settings.dev_server_port}"})
    return settings, _connect(settings)


async def _connect(settings: Settings) -> Client:
    """A client, or Unavailable naming the address (the SDK raises a bare RuntimeError)."""
    from pledgeflow.temporal import connect

    try:
        return await connect(settings)
    except (RuntimeError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise Unavailable(f"Temporal at {settings.temporal_address} is unreachable: {reason}") from exc


def cli_actor() -> str:
    """How the audit log names someone acting from the command line."""
    return f"cli:{getpass.getuser()}"
