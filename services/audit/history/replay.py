"""Replay a history against the current workflow code; say where the code first diverges.

Temporal's replayer answers "clean" or a failure whose message sometimes names the event
("HistoryEvent(id: 5, TimerStarted)") and sometimes does not ("Activity type of scheduled event
'record_signature' does not match ..."). To always name the event, a failed replay is repeated on
prefixes of the history cut at workflow-task starts (a prefix replays every task but its last,
which runs as new). The first prefix that fails names the first workflow task that departs: the
event is then the one the message quotes, else that task's first command event; when the code
raised instead (a bug rather than a different decision), it is the task's WorkflowTaskStarted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from temporalio import workflow as temporal_workflow
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.worker import Replayer

from pledgeflow.errors import InvalidInput
from services.audit.history.events import event_type_name

_NONDETERMINISM_PREFIX = re.compile(r"^\[TMPRL1100\] Nondeterminism error: ")
_CORE_MESSAGE = re.compile(r'Failure \{ message: "((?:[^"\\]|\\.)*)"')
_EXPLICIT_EVENT = (
    re.compile(r"HistoryEvent\(id: (\d+)"),
    re.compile(r"\bevent_id: (\d+)"),
    re.compile(r"\bevent id: (\d+)"),
)
_QUOTED = re.compile(r"'([^']+)'")

# Events a workflow task's commands write, in the order the commands were issued.
_COMMAND_EVENTS = {
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
    EventType.EVENT_TYPE_TIMER_STARTED,
    EventType.EVENT_TYPE_TIMER_CANCELED,
    EventType.EVENT_TYPE_MARKER_RECORDED,
    EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
    EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
    EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
    EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED,
}


@dataclass(frozen=True)
class Divergence:
    """Where and why replaying the code departs from the history."""

    event_id: int | None
    event_type: str  # e.g. "ActivityTaskScheduled"; "" when no event could be named
    nondeterminism: bool  # False: the code failed (raised) rather than did something else
    message: str


@dataclass(frozen=True)
class ReplayVerdict:
    """The answer for one run's history."""

    workflow_id: str
    run_id: str
    workflow_type: str
    events: int
    divergence: Divergence | None = None

    @property
    def clean(self) -> bool:
        """True when the code replayed the whole history and did what it records."""
        return self.divergence is None

    def describe(self) -> str:
        """One line for people: 'replayed cleanly' or the first point of divergence."""
        if self.divergence is None:
            return f"replayed cleanly ({self.events} events)"
        d = self.divergence
        what = "diverges" if d.nondeterminism else "fails"
        where = f" at event {d.event_id} ({d.event_type})" if d.event_id is not None else ""
        return f"{what}{where}: {d.message}"


def _names(workflows: Sequence[type]) -> list[str]:
    return [str(temporal_workflow._Definition.must_from_class(w).name) for w in workflows]


def workflow_type_of(history: WorkflowHistory) -> str:
    """The workflow type recorded in the history's first event."""
    return history.events[0].workflow_execution_started_event_attributes.workflow_type.name


def check_replayable(history: WorkflowHistory, workflows: Sequence[type], *, field: str) -> None:
    """InvalidInput(field) unless this code has the history's workflow type."""
    names = _names(workflows)
    kind = workflow_type_of(history)
    if kind not in names:
        raise InvalidInput.for_field(
            field, f"unknown workflow type '{kind}': this code has {', '.join(sorted(names))}"
        )


@cache
def _quiet_runtime() -> Runtime:
    # Divergence is the answer here, not an incident: keep the core's warnings out of the logs.
    return Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"))
        )
    )


def _core_message(failure: Exception) -> str:
    text = str(failure)
    found = _CORE_MESSAGE.search(text)
    if found:
        text = found.group(1).replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
    return _NONDETERMINISM_PREFIX.sub("", text).strip()


async def _failure(history: WorkflowHistory, workflows: Sequence[type], upto: int) -> Exception | None:
    replayer = Replayer(workflows=list(workflows), runtime=_quiet_runtime())
    result = await replayer.replay_workflow(
        WorkflowHistory(history.workflow_id, history.events[:upto]), raise_on_replay_failure=False
    )
    return result.replay_failure


def _explicit_event(message: str, events: Sequence[HistoryEvent]) -> HistoryEvent | None:
    for pattern in _EXPLICIT_EVENT:
        found = pattern.search(message)
        if found and 1 <= int(found.group(1)) <= len(events):
            return events[int(found.group(1)) - 1]
    return None


def _names_of(event: HistoryEvent) -> set[str]:
    attrs = getattr(event, event.WhichOneof("attributes") or "", None)
    names = set()
    for path in (
        "activity_type.name",
        "activity_id",
        "timer_id",
        "signal_name",
        "marker_name",
        "workflow_type.name",
    ):
        value = attrs
        for part in path.split("."):
            value = getattr(value, part, None)
        if isinstance(value, str) and value:
            names.add(value)
    return names


def _event_in_task(
    message: str, events: Sequence[HistoryEvent], start: int, end: int, nondeterminism: bool
) -> HistoryEvent:
    """The event the failure is about, in the workflow task started at event `start`.

    events[start:end] are what follows that task's WorkflowTaskStarted, up to the next one: its
    completion, the events its commands wrote, and what arrived before the next task.
    """
    if not nondeterminism:
        return events[start - 1] if start > 0 else events[0]  # the task whose code raised
    task = events[start:end]
    completed = [
        i for i, e in enumerate(task) if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    ]
    after = task[completed[0] + 1 :] if completed else task
    commands = [e for e in after if e.event_type in _COMMAND_EVENTS]
    quoted = _QUOTED.findall(message)
    if quoted:
        for event in commands:
            if quoted[0] in _names_of(event):
                return event
    if commands:
        return commands[0]
    return task[completed[0]] if completed else events[end - 1]


async def _locate(
    history: WorkflowHistory, workflows: Sequence[type], message: str, nondeterminism: bool
) -> HistoryEvent:
    events = history.events
    # Temporal's own messages may name the event; an exception raised by workflow code may
    # say anything, so its text is not searched.
    if nondeterminism or message.startswith("Fatal error in workflow machines"):
        explicit = _explicit_event(message, events)
        if explicit is not None:
            return explicit
    # Prefixes ending at each WorkflowTaskStarted, then the whole history (known to fail). A
    # prefix replays every task but its last, which runs as new: the first failing prefix
    # names the task started where the last clean prefix ends.
    cuts = [i + 1 for i, e in enumerate(events) if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED]
    if not cuts or cuts[-1] != len(events):
        cuts.append(len(events))
    low, high = 0, len(cuts) - 1
    while low < high:
        middle = (low + high) // 2
        if await _failure(history, workflows, cuts[middle]) is not None:
            high = middle
        else:
            low = middle + 1
    start = cuts[high - 1] if high > 0 else 0
    return _event_in_task(message, events, start, cuts[high], nondeterminism)


async def replay(history: WorkflowHistory, *, workflows: Sequence[type]) -> ReplayVerdict:
    """Replay one run's history with the given workflow classes (the workers': registered_workflows())."""
    chosen = list(workflows)
    check_replayable(history, chosen, field="history")
    verdict = ReplayVerdict(
        workflow_id=history.workflow_id,
        run_id=history.run_id,
        workflow_type=workflow_type_of(history),
        events=len(history.events),
    )
    failure = await _failure(history, chosen, len(history.events))
    if failure is None:
        return verdict
    nondeterminism = isinstance(failure, temporal_workflow.NondeterminismError)
    message = _core_message(failure)
    event = await _locate(history, chosen, message, nondeterminism)
    return ReplayVerdict(
        workflow_id=verdict.workflow_id,
        run_id=verdict.run_id,
        workflow_type=verdict.workflow_type,
        events=verdict.events,
        divergence=Divergence(
            event_id=event.event_id,
            event_type=event_type_name(event),
            nondeterminism=nondeterminism,
            message=message,
        ),
    )


async def replay_all(
    histories: Sequence[WorkflowHistory], *, workflows: Sequence[type]
) -> list[ReplayVerdict]:
    """Replay each run (e.g. a continue-as-new chain), in order."""
    return [await replay(h, workflows=workflows) for h in histories]


def summarise(verdicts: Sequence[ReplayVerdict]) -> str:
    """One line for several runs: clean, or the first run that is not and where."""
    first_bad = next((v for v in verdicts if not v.clean), None)
    if first_bad is None:
        runs = f"{len(verdicts)} run{'s' if len(verdicts) != 1 else ''}"
        return f"replayed cleanly ({runs}, {sum(v.events for v in verdicts)} events)"
    return f"{first_bad.workflow_id} run {first_bad.run_id} {first_bad.describe()}"
