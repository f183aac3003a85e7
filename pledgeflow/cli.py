"""The `pledgeflow` command line."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Coroutine
from contextlib import AsyncExitStack
from typing import Annotated, Any

import typer
from temporalio.client import Client

from models.user import Role
from pledgeflow import orchestration
from pledgeflow.cli_audit import audit_app
from pledgeflow.cli_campaigns import campaign_app, escalation_app
from pledgeflow.cli_imports import import_app
from pledgeflow.cli_reports import reports_app
from pledgeflow.cli_support import client_and_settings
from pledgeflow.config import Settings, get_settings

app = typer.Typer(
    help="pledgeflow: collective-action workflows for integrity in customs.", no_args_is_help=True
)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
ops_app = typer.Typer(help="Operations: probes for containers and orchestrators.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(ops_app, name="ops")
app.add_typer(db_app, name="db")
app.add_typer(campaign_app, name="campaign")
app.add_typer(escalation_app, name="escalations")
app.add_typer(import_app, name="import")
app.add_typer(audit_app, name="audit")
app.add_typer(reports_app, name="reports")


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def _exit_past_sdk_threads() -> None:
    """Exit 0 now, skipping interpreter teardown, once a command that used Temporal is done.

    The SDK's Rust threads can outlive the event loop; when one calls into Python while the
    interpreter finalizes, the process aborts with "PyGILState_Release: thread state ... must be
    current" (SIGABRT, exit -6) although all work is done (temporalio/sdk-python#300).
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _logging(settings: Settings) -> None:
    from pledgeflow.observability import configure_logging

    configure_logging(json=settings.log_json)


@app.command()
def dev() -> None:
    """Run everything locally: Temporal dev server, SMTP + mailbox, worker, API, demo campaign."""
    from pledgeflow.devstack import run_dev_stack
    from pledgeflow.observability import configure_logging

    configure_logging(json=False, level=logging.WARNING)  # redacted like `pledgeflow api`
    asyncio.run(run_dev_stack(get_settings()))


@app.command()
def worker() -> None:
    """Run a worker against the configured Temporal (PLEDGEFLOW_TEMPORAL_ADDRESS)."""
    from temporalio.runtime import Runtime

    from pledgeflow.db import get_engine
    from pledgeflow.observability import sdk_runtime, start_metrics_server
    from pledgeflow.temporal import connect
    from pledgeflow.worker import build_workers

    settings = get_settings()
    if settings.embedded_temporal:
        _fail("set PLEDGEFLOW_TEMPORAL_ADDRESS (or use `pledgeflow dev` for the embedded stack)")
    _logging(settings)
    if settings.metrics_port:
        start_metrics_server(settings.metrics_port)
    if settings.sdk_metrics_port:
        # Before the first client: clients and workers use the default runtime.
        Runtime.set_default(sdk_runtime(f"0.0.0.0:{settings.sdk_metrics_port}"))
    log = logging.getLogger("pledgeflow.worker")

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        client = await connect(settings)
        await orchestration.ensure_checkpoint_schedule(client, settings)
        workers = build_workers(client, settings, get_engine())
        async with AsyncExitStack() as stack:
            for w in workers.all():
                await stack.enter_async_context(w)
            log.info(
                "polling %s and %s on %s",
                settings.task_queue,
                settings.email_task_queue,
                settings.temporal_address,
            )
            await stop.wait()
            log.info(
                "stopping: activities in progress have %ss to finish",
                settings.worker_shutdown_grace_seconds,
            )
            # Both workers drain at the same time: a stop takes one grace period, not two.
            await asyncio.gather(*(w.shutdown() for w in workers.all()))

    asyncio.run(run())
    _exit_past_sdk_threads()


@app.command()
def api(
    host: Annotated[str | None, typer.Option(help="Address to bind")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind")] = None,
) -> None:
    """Serve the API and the link pages with uvicorn."""
    import uvicorn

    from api.app import create_app
    from api.server import uvicorn_config

    settings = get_settings()
    if settings.embedded_temporal:
        _fail("set PLEDGEFLOW_TEMPORAL_ADDRESS (or use `pledgeflow dev` for the embedded stack)")
    _logging(settings)
    config = uvicorn_config(
        create_app(settings), host=host or settings.api_host, port=port or settings.api_port
    )
    uvicorn.Server(config).run()


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


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations: bring the database to the latest revision."""
    from pledgeflow.migrations import upgrade_to_head

    upgrade_to_head(get_settings().database_url)
    typer.echo("database at the latest revision")


@ops_app.command("worker-health")
def ops_worker_health(
    within: Annotated[int, typer.Option(help="Seconds since this host's worker last polled")] = 120,
) -> None:
    """Exit 0 when a worker on this host polls both task queues (a container healthcheck)."""
    import socket
    from datetime import timedelta

    from pledgeflow.observability import worker_health_problems
    from pledgeflow.temporal import connect

    settings = get_settings()

    async def run() -> list[str]:
        client = await connect(settings)
        return await worker_health_problems(
            client, settings, host=socket.gethostname(), within=timedelta(seconds=within)
        )

    try:
        problems = asyncio.run(asyncio.wait_for(run(), timeout=10))
    except Exception as exc:  # unreachable, refused, timed out: all mean "not healthy"
        _fail(f"Temporal at {settings.temporal_address} did not answer: {exc}")
        return
    if problems:
        _fail("; ".join(problems))
    typer.echo("ok")
    _exit_past_sdk_threads()


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
    """Kept for callers of the old name; see pledgeflow.cli_support."""
    return client_and_settings()


def main() -> None:
    """Entry point for `python -m pledgeflow`."""
    app(prog_name="pledgeflow")


if __name__ == "__main__":
    main()
