"""Read a history file (Temporal CLI or Web UI JSON) that someone uploads, and check it is one.

Whatever the bytes are, the answer is a WorkflowHistory or an InvalidInput naming the field and
the reason: never an exception from deeper down.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

from pledgeflow.errors import InvalidInput

MAX_BYTES = 64 * 1024 * 1024  # well above Temporal's own limit on a history's size
UNNAMED = "uploaded-history"
SHAPE = 'an object with an "events" list, as `temporal workflow show --output json` writes'


def _parse_json(data: bytes, field: str) -> Any:
    if not data.strip():
        raise InvalidInput.for_field(field, "the file is empty")
    if len(data) > MAX_BYTES:
        raise InvalidInput.for_field(field, f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput.for_field(field, "not JSON: the file is not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput.for_field(
            field, f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:
        raise InvalidInput.for_field(field, "not JSON this can read: nested too deeply") from None


def _check_events(history: WorkflowHistory, field: str) -> None:
    first = history.events[0]
    if not first.HasField("workflow_execution_started_event_attributes"):
        raise InvalidInput.for_field(
            field, "not a whole history: the first event must be WorkflowExecutionStarted"
        )
    for expected, event in enumerate(history.events, start=1):
        if event.event_id != expected:
            raise InvalidInput.for_field(
                field,
                f"not a whole history: event {expected} is missing or out of order "
                f"(event {event.event_id} is in its place)",
            )
        if event.event_type == EventType.EVENT_TYPE_UNSPECIFIED or event.WhichOneof("attributes") is None:
            raise InvalidInput.for_field(field, f"event {expected} has no event type or no attributes")


def read_history(data: bytes, *, field: str = "file", workflow_id: str | None = None) -> WorkflowHistory:
    """The history in a Temporal CLI / Web UI JSON file; InvalidInput(field) saying what is wrong."""
    parsed = _parse_json(data, field)
    if not isinstance(parsed, dict) or not isinstance(parsed.get("events"), list):
        raise InvalidInput.for_field(field, f"not a Temporal history: expected {SHAPE}")
    if not parsed["events"]:
        raise InvalidInput.for_field(field, "the history has no events")
    try:
        history = WorkflowHistory.from_json(workflow_id or UNNAMED, parsed)
    except Exception as exc:  # the protobuf parser raises several types for malformed input
        raise InvalidInput.for_field(field, f"not a Temporal history: {exc}") from None
    _check_events(history, field)
    named = history.events[0].workflow_execution_started_event_attributes.workflow_id
    if named and not workflow_id:
        history = WorkflowHistory(named, history.events)
    return history


def read_history_file(path: Path, *, workflow_id: str | None = None) -> WorkflowHistory:
    """A history file on disk (the workflow id from the history, else from the file name)."""
    history = read_history(path.read_bytes(), field=str(path), workflow_id=workflow_id)
    if history.workflow_id == UNNAMED:
        history = WorkflowHistory(path.stem, history.events)
    return history
