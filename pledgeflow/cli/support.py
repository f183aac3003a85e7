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


_acting: dict[str, str] = {}
"""The actor `--as` / PLEDGEFLOW_ACTOR_EMAIL named, once resolved (one command per process)."""


def act_as(email: str | None) -> None:
    """Act as the person with this address (the `--as` option): their actor is in every audit
    entry this command writes, as the console writes it. Without one, the login name (cli:...)."""
    _acting.clear()
    if not email:
        return
    from pledgeflow.db import get_engine, session_scope
    from services import users

    # Resolved before the command opens its own session: a second session inside it could
    # wait on the first's lock (SQLite).
    with session_scope(get_engine()) as session:
        user = users.get_user_by_email(session, email.strip())
        if user is None:
            fail(f"--as: no one in pledgeflow has the address {email.strip().lower()}")
        if not user.active:
            fail(f"--as: {user.email} was deactivated")
        _acting["actor"] = users.actor_of(user)


def cli_actor() -> str:
    """How the audit log names someone acting from the command line: the `--as` person's actor,
    else cli:<login name>."""
    return _acting.get("actor") or f"cli:{getpass.getuser()}"
