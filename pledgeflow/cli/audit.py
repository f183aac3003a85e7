"""`pledgeflow audit`: export, replay and tell workflow histories; verify the audit log's chain."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from temporalio.client import Client, WorkflowHistory

from pledgeflow.errors import PledgeflowError

audit_app = typer.Typer(
    help="Workflow histories (export, replay, timeline) and the audit log's hash chain.", no_args_is_help=True
)

T = TypeVar("T")


def _fail(message: str) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def _run(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine; expected errors (unknown workflow, bad file, Temporal down) exit 2 with why."""
    try:
        return asyncio.run(work)
    except PledgeflowError as exc:
        reasons = "; ".join(f"{e.field}: {e.reason}" for e in exc.errors) if exc.errors else exc.detail
        _fail(reasons)


async def _client() -> Client:
    from pledgeflow.cli.support import client_and_settings

    _settings, connecting = client_and_settings()
    try:
        return await connecting
    except (RuntimeError, ValueError, OSError) as exc:
        _fail(f"cannot reach Temporal: {exc}")


async def _chain(workflow_id: str, run_id: str | None, all_runs: bool) -> list[WorkflowHistory]:
    from services.audit.history import export

    client = await _client()
    if all_runs and not run_id:
        return await export.fetch_chain(client, workflow_id)
    return [await export.fetch_run(client, workflow_id, run_id)]


RunIdOption = Annotated[str | None, typer.Option("--run-id", help="One run; the newest by default")]


@audit_app.command("export")
def export_history(
    workflow_id: Annotated[str, typer.Argument(help="e.g. campaign-3 or pledge-3-12")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="File to write (a folder with --all-runs); standard output by default"),
    ] = None,
    run_id: RunIdOption = None,
    all_runs: Annotated[
        bool, typer.Option("--all-runs", help="Every run of a workflow that continued as new, one file each")
    ] = False,
) -> None:
    """Write a run's history as `temporal workflow show --output json` does (replayable anywhere)."""
    from services.audit.history import export

    chain = _run(_chain(workflow_id, run_id, all_runs))
    if all_runs:
        folder = out or Path.cwd()
        folder.mkdir(parents=True, exist_ok=True)
        for number, history in enumerate(chain, start=1):
            path = folder / f"{workflow_id}.run{number}.{history.run_id}.json"
            path.write_text(export.to_json(history) + "\n", encoding="utf-8")
            typer.echo(str(path))
        return
    [history] = chain
    if out is None:
        typer.echo(export.to_json(history))
        return
    out.write_text(export.to_json(history) + "\n", encoding="utf-8")
    typer.echo(f"{out} ({len(history.events)} events, run {history.run_id})", err=True)


@audit_app.command("replay")
def replay_history(
    file: Annotated[Path | None, typer.Argument(help="A history file (CLI, Web UI or export)")] = None,
    workflow_id: Annotated[
        str | None, typer.Option("--workflow-id", help="Fetch this workflow's runs from Temporal instead")
    ] = None,
    run_id: RunIdOption = None,
) -> None:
    """Replay a history against this code: exit 0 when clean, 1 with the first diverging event."""
    from services.audit.history import replay, upload
    from workflows import client as workflow_client

    if (file is None) == (workflow_id is None):
        _fail("give a history FILE or --workflow-id, one of the two")
    # A divergence is the answer here, not a warning to print.
    logging.getLogger("temporalio").setLevel(logging.CRITICAL)

    async def work() -> list[replay.ReplayVerdict]:
        if file is not None:
            if not file.is_file():
                _fail(f"{file}: no such file")
            histories = [upload.read_history_file(file)]
            field = str(file)
        else:
            assert workflow_id is not None
            histories = await _chain(workflow_id, run_id, all_runs=True)
            field = "--workflow-id"
        workflows = workflow_client.registered_workflows()
        for history in histories:
            replay.check_replayable(history, workflows, field=field)
        return await replay.replay_all(histories, workflows=workflows)

    verdicts = _run(work())
    for verdict in verdicts:
        typer.echo(f"{verdict.workflow_id} run {verdict.run_id}: {verdict.describe()}")
    if not all(v.clean for v in verdicts):
        raise typer.Exit(code=1)


@audit_app.command("timeline")
def timeline(
    workflow_id: Annotated[str, typer.Argument(help="e.g. campaign-3 or pledge-3-12")],
    as_json: Annotated[bool, typer.Option("--json", help="The entries as JSON, details included")] = False,
    run_id: Annotated[str | None, typer.Option("--run-id", help="One run; every run by default")] = None,
) -> None:
    """Tell what happened to a workflow, from its history, one line per step."""
    from services.audit.history.timeline import chain_timeline

    entries = chain_timeline(_run(_chain(workflow_id, run_id, all_runs=True)))
    if as_json:
        rows = [
            {
                "event_id": e.event_id,
                "time": e.time.isoformat(),
                "kind": e.kind,
                "summary": e.summary,
                "details": e.details,
                "run_id": e.run_id,
            }
            for e in entries
        ]
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False, default=str))
        return
    run = None
    for e in entries:
        if e.run_id != run:
            run = e.run_id
            typer.echo(f"run {run}")
        typer.echo(f"  {e.time:%Y-%m-%d %H:%M:%S}Z  #{e.event_id:<4} {e.summary}")


@audit_app.command("verify")
def verify() -> None:
    """Recheck the audit log's hash chain: exit 0 when intact, 1 naming the first bad entry."""
    from sqlmodel import Session

    from pledgeflow.db import get_engine
    from services import audit

    with Session(get_engine()) as session:
        verdict = audit.verify(session)
    typer.echo(f"audit log {verdict.describe()}")
    if not verdict.ok:
        raise typer.Exit(code=1)


@audit_app.command("schedule")
def schedule() -> None:
    """Create or update the Temporal Schedule that emails the chain's head to the auditors."""
    from pledgeflow.config import get_settings
    from workflows import client as workflow_client

    async def run() -> None:
        await workflow_client.ensure_checkpoint_schedule(await _client(), get_settings())

    _run(run())
    typer.echo(f"schedule '{CHECKPOINT}' emails the head hash every {_hours()} h")


@audit_app.command("checkpoint")
def checkpoint() -> None:
    """Take a checkpoint now (a run of its own, never skipped): verify the chain and email its head."""
    from pledgeflow.config import get_settings
    from workflows import client as workflow_client

    async def run() -> str:
        client = await _client()
        settings = get_settings()
        await workflow_client.ensure_checkpoint_schedule(client, settings)
        return await workflow_client.checkpoint_now(client, settings)

    workflow_id = _run(run())
    typer.echo(f"checkpoint {workflow_id} started: the auditors will receive the head hash")


def _hours() -> float:
    from pledgeflow.config import get_settings

    return get_settings().audit_checkpoint_hours


CHECKPOINT = "audit-checkpoint"
