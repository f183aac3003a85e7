"""Call workflow updates and queries from the JSON API; their failures become problems."""

from __future__ import annotations

from typing import Any

from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from pledgeflow.errors import Conflict, FieldProblem, InvalidInput, NotFound, PledgeflowError, Unavailable
from workflows.pledge import Rejection

_INVALID = {"InvalidInput", Rejection.invalid}
_NOT_FOUND = {"NotFound"}


def _application_error(error: BaseException | None) -> ApplicationError | None:
    """The ApplicationError at the root of an update failure (through an activity failure)."""
    while error is not None:
        if isinstance(error, ApplicationError):
            return error
        error = error.__cause__ if not isinstance(error, ActivityError) else error.cause
    return None


def as_problem(error: WorkflowUpdateFailedError) -> PledgeflowError:
    """The domain error a failed update stands for, with field problems when it carried some."""
    cause = _application_error(error.cause)
    if cause is None:
        return Conflict(str(error.cause or error))
    problems = [
        FieldProblem(str(d.get("field", "")), str(d.get("reason", "")))
        for d in (cause.details[0] if cause.details and isinstance(cause.details[0], list) else [])
        if isinstance(d, dict)
    ]
    if cause.type in _INVALID:
        return InvalidInput(cause.message, errors=problems or [FieldProblem("body", cause.message)])
    if cause.type in _NOT_FOUND:
        return NotFound(cause.message, errors=problems)
    return Conflict(cause.message, errors=problems)


async def run_update(handle: WorkflowHandle[Any, Any], update: Any, argument: Any) -> Any:
    """Execute an update; rejections and Temporal trouble raise domain errors."""
    try:
        return await handle.execute_update(update, argument)
    except WorkflowUpdateFailedError as exc:
        raise as_problem(exc) from exc
    except RPCError as exc:
        raise _rpc_problem(exc, handle.id) from exc


async def run_query(handle: WorkflowHandle[Any, Any], query: Any) -> Any:
    """Run a query; an unknown workflow is NotFound, other trouble Unavailable."""
    try:
        return await handle.query(query)
    except RPCError as exc:
        raise _rpc_problem(exc, handle.id) from exc


async def send_signal(handle: WorkflowHandle[Any, Any], signal: Any, argument: Any) -> None:
    """Signal a workflow; an unknown or finished one is NotFound."""
    try:
        await handle.signal(signal, argument)
    except RPCError as exc:
        raise _rpc_problem(exc, handle.id) from exc


def _rpc_problem(exc: RPCError, workflow_id: str) -> PledgeflowError:
    if exc.status == RPCStatusCode.NOT_FOUND:
        return NotFound(
            f"workflow {workflow_id} is not running", errors=[FieldProblem("id", "no running workflow")]
        )
    return Unavailable(f"Temporal did not answer: {exc.message}")
