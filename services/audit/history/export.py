"""Fetch a workflow's event histories from Temporal; write them as the Temporal CLI and Web UI do.

A run's history is exported exactly as `temporal workflow show --output json` prints it (the
proto JSON of `temporal.api.history.v1.History`), so the CLI, the Web UI and every SDK's replayer
read it (`WorkflowHistory.from_json`). A workflow that continued as new is a chain of runs, each
with its own history: the chain is exported run by run, oldest first, never merged into one file
(a merged file would be a history Temporal never wrote, and no replayer reads it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from pledgeflow.errors import FieldProblem, InvalidInput, NotFound, Unavailable

# The walk back along continue-as-new stops here; older runs are left out (and said so).
MAX_RUNS = 100

_CLOSING_EVENTS = {
    "workflow_execution_completed_event_attributes": "completed",
    "workflow_execution_failed_event_attributes": "failed",
    "workflow_execution_timed_out_event_attributes": "timed_out",
    "workflow_execution_canceled_event_attributes": "canceled",
    "workflow_execution_terminated_event_attributes": "terminated",
    "workflow_execution_continued_as_new_event_attributes": "continued_as_new",
}


@dataclass(frozen=True)
class RunInfo:
    """One run of a workflow, as its history tells it."""

    workflow_id: str
    run_id: str
    workflow_type: str
    events: int
    started_at: datetime
    continued_from: str | None
    closed_as: str | None  # completed, failed, continued_as_new ... or None while running
    closed_at: datetime | None
    next_run_id: str | None


def _started(history: WorkflowHistory) -> HistoryEvent:
    first = history.events[0] if history.events else None
    if first is None or not first.HasField("workflow_execution_started_event_attributes"):
        raise ValueError("a history begins with WorkflowExecutionStarted")
    return first


def run_info(history: WorkflowHistory) -> RunInfo:
    """Type, run id, size and how the run ended, from its events."""
    started = _started(history)
    attrs = started.workflow_execution_started_event_attributes
    last = history.events[-1]
    closed_as = _CLOSING_EVENTS.get(last.WhichOneof("attributes") or "")
    next_run = None
    if last.HasField("workflow_execution_continued_as_new_event_attributes"):
        next_run = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
    return RunInfo(
        workflow_id=history.workflow_id,
        run_id=history.run_id,
        workflow_type=attrs.workflow_type.name,
        events=len(history.events),
        started_at=started.event_time.ToDatetime(tzinfo=UTC),
        continued_from=attrs.continued_execution_run_id or None,
        closed_as=closed_as,
        closed_at=last.event_time.ToDatetime(tzinfo=UTC) if closed_as else None,
        next_run_id=next_run or None,
    )


def to_json(history: WorkflowHistory) -> str:
    """The history as `temporal workflow show --output json` writes it."""
    return history.to_json()


def file_name(history: WorkflowHistory) -> str:
    """A file name that says which workflow and which run."""
    return f"{history.workflow_id}.{history.run_id}.json"


def _translate(exc: RPCError, workflow_id: str, run_id: str | None) -> Exception:
    if exc.status == RPCStatusCode.NOT_FOUND:
        what = f"workflow {workflow_id}" + (f" run {run_id}" if run_id else "")
        field = "run_id" if run_id else "workflow_id"
        return NotFound(f"{what} has no history here", errors=[FieldProblem(field, "unknown workflow")])
    if exc.status == RPCStatusCode.INVALID_ARGUMENT:
        return InvalidInput.for_field("run_id" if run_id else "workflow_id", exc.message)
    if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
        return Unavailable(f"Temporal is unreachable: {exc.message}")
    return exc


async def fetch_run(client: Client, workflow_id: str, run_id: str | None = None) -> WorkflowHistory:
    """One run's full history (the newest run when run_id is None); NotFound for an unknown id."""
    try:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    except RPCError as exc:
        raise _translate(exc, workflow_id, run_id) from exc
    if not history.events:
        raise NotFound(
            f"workflow {workflow_id} has no history here",
            errors=[FieldProblem("workflow_id", "unknown workflow")],
        )
    return history


async def fetch_chain(
    client: Client, workflow_id: str, run_id: str | None = None, *, max_runs: int = MAX_RUNS
) -> list[WorkflowHistory]:
    """The run (newest by default) and the runs it continued from, oldest first.

    Runs removed by the namespace's retention end the walk; so does max_runs. The oldest run's
    `continued_from` then names the run that is left out.
    """
    chain = [await fetch_run(client, workflow_id, run_id)]
    while len(chain) < max_runs:
        previous = _started(chain[-1]).workflow_execution_started_event_attributes.continued_execution_run_id
        if not previous:
            break
        try:
            chain.append(await fetch_run(client, workflow_id, previous))
        except NotFound:
            break
    chain.reverse()
    return chain
