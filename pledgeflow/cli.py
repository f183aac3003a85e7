"""The `pledgeflow` command line."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from collections.abc import Coroutine
from contextlib import AsyncExitStack
from typing import Annotated, Any

import typer
from temporalio.client import Client

from models.user import Role
from pledgeflow.config import Settings, get_settings

app = typer.Typer(
    help="pledgeflow: collective-action workflows for integrity in customs.", no_args_is_help=True
)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
campaign_app = typer.Typer(help="Campaigns.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(db_app, name="db")
app.add_typer(campaign_app, name="campaign")


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("temporalio").setLevel(logging.WARNING)


@app.command()
def dev() -> None:
    """Run everything locally: Temporal dev server, SMTP + mailbox, worker, API, demo campaign."""
    from pledgeflow.devstack import run_dev_stack

    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run_dev_stack(get_settings()))


@app.command()
def worker() -> None:
    """Run a worker against the configured Temporal (PLEDGEFLOW_TEMPORAL_ADDRESS)."""
    from pledgeflow.db import get_engine
    from pledgeflow.temporal import connect
    from pledgeflow.worker import build_workers

    settings = get_settings()
    if settings.embedded_temporal:
        _fail("set PLEDGEFLOW_TEMPORAL_ADDRESS (or use `pledgeflow dev` for the embedded stack)")
    _logging()

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        client = await connect(settings)
        workers = build_workers(client, settings, get_engine())
        async with AsyncExitStack() as stack:
            for w in workers.all():
                await stack.enter_async_context(w)
            logging.getLogger("pledgeflow.worker").info(
                "polling %s and %s on %s",
                settings.task_queue,
                settings.email_task_queue,
                settings.temporal_address,
            )
            await stop.wait()
            logging.getLogger("pledgeflow.worker").info("stopping: finishing activities in progress")

    asyncio.run(run())


@app.command()
def api(
    host: Annotated[str | None, typer.Option(help="Address to bind")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind")] = None,
) -> None:
    """Serve the API and the link pages with uvicorn."""
    import uvicorn

    from api.app import create_app

    settings = get_settings()
    if settings.embedded_temporal:
        _fail("set PLEDGEFLOW_TEMPORAL_ADDRESS (or use `pledgeflow dev` for the embedded stack)")
    _logging()
    uvicorn.run(
        create_app(settings),
        host=host or settings.api_host,
        port=port or settings.api_port,
        proxy_headers=True,
    )


@app.command()
def mailbox() -> None:
    """Run only the local SMTP server and its web mailbox."""
    import uvicorn

    from pledgeflow.devmail.sink import MailSink
    from pledgeflow.devmail.web import create_mailbox_app

    settings = get_settings()
    with MailSink(settings.smtp_host, settings.smtp_port, maildir=settings.data_dir / "mailbox") as sink:
        typer.echo(f"SMTP on {sink.host}:{sink.port}; mailbox at http://127.0.0.1:{settings.mailbox_port}")
        uvicorn.run(
            create_mailbox_app(sink), host="127.0.0.1", port=settings.mailbox_port, log_level="warning"
        )


@db_app.command("init")
def db_init() -> None:
    """Create the tables that do not exist yet."""
    from pledgeflow.db import create_tables, get_engine

    create_tables(get_engine())
    typer.echo("database ready")


@token_app.command("create")
def token_create(
    email: Annotated[str, typer.Option(help="The user's email; the user is created if new")],
    name: Annotated[str, typer.Option(help="The user's name")] = "",
    role: Annotated[Role, typer.Option(help="admin, coordinator, reviewer or auditor")] = Role.coordinator,
    label: Annotated[str, typer.Option(help="What the token is for")] = "",
) -> None:
    """Create an API token; it is printed once and stored only as a hash."""
    from email_validator import EmailNotValidError, validate_email

    from pledgeflow.db import create_tables, get_engine, session_scope
    from services import users

    try:
        address = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        _fail(f"--email: {exc}")
        return
    engine = get_engine()
    create_tables(engine)
    with session_scope(engine) as session:
        user = users.get_or_create_user(session, email=address, name=name or address, role=role, actor="cli")
        if user.role is not role:
            _fail(f"{address} already exists with role {user.role.value}")
        plain, _ = users.create_token(session, user=user, label=label, actor="cli")
    typer.echo(plain)


def _client_and_settings() -> tuple[Settings, Coroutine[Any, Any, Client]]:
    """Settings, and a connection to their Temporal (the embedded server's port by default)."""
    from pledgeflow.temporal import connect

    settings = get_settings()
    if settings.embedded_temporal:
        settings = settings.model_copy(update={"temporal_address": f"127.0.0.1:{settings.dev_server_port}"})
    return settings, connect(settings)


@campaign_app.command("progress")
def campaign_progress(campaign_id: int) -> None:
    """Print the campaign workflow's tally as JSON."""
    from pledgeflow import orchestration
    from pledgeflow.errors import PledgeflowError

    _settings, connecting = _client_and_settings()

    async def run() -> None:
        client = await connecting
        progress = await orchestration.campaign_progress(client, campaign_id)
        typer.echo(json.dumps(progress.__dict__, indent=2, default=str))

    try:
        asyncio.run(run())
    except PledgeflowError as exc:
        _fail(exc.detail)


def main() -> None:
    """Entry point for `python -m pledgeflow`."""
    app(prog_name="pledgeflow")


if __name__ == "__main__":
    main()
