"""The `pledgeflow` command line."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from contextlib import AsyncExitStack
from typing import Annotated, NoReturn

import typer

from models.user import MAX_TOKEN_DAYS, Role
from pledgeflow.cli.audit import audit_app
from pledgeflow.cli.campaigns import campaign_app, escalation_app
from pledgeflow.cli.imports import import_app
from pledgeflow.cli.reviews import reports_app
from pledgeflow.cli.support import act_as, cli_actor, fail_with
from pledgeflow.config import Settings, get_settings
from pledgeflow.errors import PledgeflowError
from workflows import client as workflow_client

app = typer.Typer(
    help="pledgeflow: collective-action workflows for integrity in customs.",
    no_args_is_help=True,
    # Errors reach `main`, which prints one line; a pretty traceback could print local variables.
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
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


@app.callback()
def acting_person(
    as_email: Annotated[
        str | None,
        typer.Option(
            "--as",
            envvar="PLEDGEFLOW_ACTOR_EMAIL",
            help="Act as this member of staff: the audit log names them (default: cli:<login name>)",
        ),
    ] = None,
) -> None:
    """pledgeflow: collective-action workflows for integrity in customs."""
    act_as(as_email)


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def _exit_past_sdk_threads(code: int) -> NoReturn:
    """Exit with `code` now, skipping interpreter teardown, once the command is done.

    The Temporal client's Rust (Tokio) threads outlive the event loop and hold Python objects;
    when one of them drops such an object while the interpreter finalizes, the process aborts
    with "Fatal Python error: PyGILState_Release: thread state ... must be current" (SIGABRT,
    exit 134) although all its work is done: about 1 run in 5 of any command that connected
    (temporalio/sdk-python#300, open; the SDK has no way to close a client or its runtime).
    Every result is written and committed by now, so only the teardown is skipped: output and
    logs are flushed first.
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _exit_code(exc: SystemExit) -> int:
    """The process exit code a SystemExit asks for (None is success, text is a failure)."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    typer.secho(f"error: {exc.code}", fg=typer.colors.RED, err=True)
    return 1


def _logging(settings: Settings) -> None:
    from pledgeflow.observability import configure_logging

    configure_logging(json=settings.log_json)


@app.command()
def dev() -> None:
    """Run everything locally: Temporal dev server, SMTP + mailbox, worker, API, demo campaign."""
    from pledgeflow.dev.stack import run_dev_stack
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
        await workflow_client.ensure_checkpoint_schedule(client, settings)
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

    from pledgeflow.dev.mail_sink import MailSink
    from pledgeflow.dev.mailbox_web import create_mailbox_app

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


@token_app.command("create")
def token_create(
    email: Annotated[str, typer.Option(help="The user's email; the user is created if new")],
    name: Annotated[str, typer.Option(help="The user's name")] = "",
    role: Annotated[Role, typer.Option(help="admin, coordinator, reviewer or auditor")] = Role.coordinator,
    label: Annotated[str, typer.Option(help="What the token is for")] = "",
    expires_in_days: Annotated[
        int | None,
        typer.Option(
            min=1, max=MAX_TOKEN_DAYS, help="Lifetime in days (default: PLEDGEFLOW_API_TOKEN_DAYS, 90)"
        ),
    ] = None,
) -> None:
    """Create an API token; it is printed once and stored only as a hash."""
    from datetime import timedelta

    from email_validator import EmailNotValidError, validate_email

    from pledgeflow.db import create_tables, get_engine, session_scope
    from services import users

    try:
        address = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        _fail(f"--email: {exc}")
        return
    days = expires_in_days or get_settings().api_token_days
    engine = get_engine()
    create_tables(engine)
    with session_scope(engine) as session:
        user = users.get_or_create_user(session, email=address, name=name or address, role=role, actor="cli")
        if user.role is not role:
            _fail(f"{address} already exists with role {user.role.value}")
        plain, token = users.create_token(
            session, user=user, label=label, actor="cli", lifetime=timedelta(days=days)
        )
        expires = token.expires_at
    typer.echo(plain)
    typer.echo(f"token {token.id} of {address} expires {expires:%Y-%m-%d %H:%M} UTC", err=True)


@token_app.command("list")
def token_list(
    email: Annotated[str | None, typer.Option(help="Only this user's tokens")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Every API token (never its secret): id, owner, prefix, label, state, expiry."""
    from pledgeflow.db import get_engine, session_scope
    from services import users

    with session_scope(get_engine()) as session:
        owner = None
        if email is not None:
            owner = users.get_user_by_email(session, email)
            if owner is None:
                _fail(f"--email: no user {email.lower()}")
        rows = users.list_tokens(session, owner=owner)
    if as_json:
        typer.echo(json.dumps([row.model_dump(mode="json") for row in rows], indent=2))
        return
    for row in rows:
        expires = f"{row.expires_at:%Y-%m-%d}" if row.expires_at else "never"
        typer.echo(
            f"#{row.id:<5} {row.state.value:<8} {row.prefix}…  {row.user_email:<32} "
            f"expires {expires}  {row.label}".rstrip()
        )
    if not rows:
        typer.echo("no tokens")


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(min=1, help="The id `token list` shows")]) -> None:
    """Revoke a token: it gets 401 from now on."""
    from pledgeflow.db import get_engine, session_scope
    from services import users

    try:
        with session_scope(get_engine()) as session:
            token = users.get_token_or_raise(session, token_id, owner=None)
            users.revoke_token(session, token=token, actor=cli_actor())
            prefix = token.prefix
    except PledgeflowError as exc:
        fail_with(exc)
    typer.echo(f"token {token_id} ({prefix}…) revoked")


def main() -> NoReturn:
    """Entry point of the `pledgeflow` script: run the command, print any failure as one line, exit."""
    from pledgeflow.cli.errors import describe, format_traceback, traceback_wanted

    try:
        app(prog_name="pledgeflow")
        code = 0
    except SystemExit as exc:  # click ends every command, successful or not, with sys.exit
        code = _exit_code(exc)
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:
        code, line = describe(exc)
        if traceback_wanted():
            sys.stderr.write(format_traceback(exc))
        typer.secho(f"error: {line}", fg=typer.colors.RED, err=True)
    _exit_past_sdk_threads(code)


if __name__ == "__main__":
    main()
