"""Tell a workflow's history as a timeline people can read: what happened, when, to whom.

Built from the events alone, generically: any activity, update, signal or timer gets a line,
worded by `sentences` when its name is known and by its name and identifying fields otherwise.
An activity is one line at its outcome (completed, failed, timed out), carrying what it was asked
(its scheduled input) and what it answered; one still running at the end of the history is a line
at the moment it was scheduled. Workflow-task bookkeeping is left out, except a failed task, which
is how a non-deterministic change shows in production. Nothing here goes beyond the history.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.api.enums.v1 import (
    SignalExternalWorkflowExecutionFailedCause,
    TimeoutType,
    WorkflowTaskFailedCause,
)
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory

from services.audit.history import sentences
from services.audit.history.events import event_type_name
from services.audit.history.payloads import decode_all, first_fields


@dataclass
class TimelineEntry:
    """One line of the account: the event it comes from, when, what kind, the sentence, the data."""

    event_id: int
    time: datetime
    kind: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    run_id: str = ""


@dataclass
class _Activity:
    event: HistoryEvent
    activity_type: str
    activity_id: str
    fields: dict[str, Any]
    attempt: int = 1


def _time(event: HistoryEvent) -> datetime:
    return event.event_time.ToDatetime(tzinfo=UTC)


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    text = " ".join(p for p in parts if p)
    return text or f"{seconds} s"


def _enum_words(name: str, prefix: str) -> str:
    return sentences.humanize(name.removeprefix(prefix).lower())


def failure_text(failure: Failure) -> str:
    """'Conflict: invitation 3 was already signed' from a Temporal failure (and its cause)."""
    kind = failure.application_failure_info.type if failure.HasField("application_failure_info") else ""
    if failure.HasField("timeout_failure_info"):
        timeout = TimeoutType.Name(failure.timeout_failure_info.timeout_type)
        kind = f"timed out ({_enum_words(timeout, 'TIMEOUT_TYPE_')})"
    text = f"{kind}: {failure.message}" if kind and failure.message else (kind or failure.message)
    if failure.HasField("cause"):
        text = f"{text} (cause: {failure_text(failure.cause)})" if text else failure_text(failure.cause)
    return text or "no reason given"


class _RunReader:
    """Reads one run's events in order, remembering what later events refer back to."""

    def __init__(self, history: WorkflowHistory) -> None:
        self.history = history
        self.workflow_type = ""
        self.entries: list[TimelineEntry] = []
        self.activities: dict[int, _Activity] = {}
        self.updates: dict[str, TimelineEntry] = {}
        self.signals_sent: dict[int, TimelineEntry] = {}
        self.timers: dict[str, TimelineEntry] = {}
        self.handlers: dict[str, Callable[[HistoryEvent, Any], None]] = {
            "workflow_execution_started_event_attributes": self._started,
            "workflow_execution_completed_event_attributes": self._completed,
            "workflow_execution_failed_event_attributes": self._failed,
            "workflow_execution_timed_out_event_attributes": self._timed_out,
            "workflow_execution_terminated_event_attributes": self._terminated,
            "workflow_execution_cancel_requested_event_attributes": self._cancel_requested,
            "workflow_execution_canceled_event_attributes": self._canceled,
            "workflow_execution_continued_as_new_event_attributes": self._continued_as_new,
            "workflow_task_failed_event_attributes": self._task_failed,
            "activity_task_scheduled_event_attributes": self._activity_scheduled,
            "activity_task_started_event_attributes": self._activity_started,
            "activity_task_completed_event_attributes": self._activity_completed,
            "activity_task_failed_event_attributes": self._activity_failed,
            "activity_task_timed_out_event_attributes": self._activity_timed_out,
            "activity_task_canceled_event_attributes": self._activity_canceled,
            "workflow_execution_update_accepted_event_attributes": self._update_accepted,
            "workflow_execution_update_completed_event_attributes": self._update_completed,
            "workflow_execution_signaled_event_attributes": self._signaled,
            "signal_external_workflow_execution_initiated_event_attributes": self._signal_sent,
            "external_workflow_execution_signaled_event_attributes": self._signal_delivered,
            "signal_external_workflow_execution_failed_event_attributes": self._signal_failed,
            "timer_started_event_attributes": self._timer_started,
            "timer_fired_event_attributes": self._timer_fired,
            "timer_canceled_event_attributes": self._timer_canceled,
            "marker_recorded_event_attributes": self._marker,
            # Bookkeeping of workflow tasks and activity attempts: no line of their own.
            "workflow_task_scheduled_event_attributes": _ignore,
            "workflow_task_started_event_attributes": _ignore,
            "workflow_task_completed_event_attributes": _ignore,
            "workflow_task_timed_out_event_attributes": _ignore,
        }

    def read(self) -> list[TimelineEntry]:
        for event in self.history.events:
            name = event.WhichOneof("attributes") or ""
            handler = self.handlers.get(name, self._other)
            handler(event, getattr(event, name, None))
        for activity in self.activities.values():
            self._add(
                activity.event,
                "activity_pending",
                sentences.generic(
                    f"Started {sentences.humanize(activity.activity_type)}, unfinished when the history ends",
                    activity.fields,
                ),
                self._activity_details(activity),
            )
        return sorted(self.entries, key=lambda e: e.event_id)

    def _add(self, event: HistoryEvent, kind: str, summary: str, details: dict[str, Any]) -> TimelineEntry:
        entry = TimelineEntry(event.event_id, _time(event), kind, summary, details, self.history.run_id)
        self.entries.append(entry)
        return entry

    # ---- the workflow itself -------------------------------------------------------------

    def _started(self, event: HistoryEvent, attrs: Any) -> None:
        self.workflow_type = attrs.workflow_type.name
        arguments = decode_all(attrs.input)
        fields = first_fields(arguments)
        default = sentences.generic(f"{self.workflow_type} started", fields)
        summary = sentences.render(
            sentences.WORKFLOW_STARTED.get(self.workflow_type, default), fields, otherwise=default
        )
        details: dict[str, Any] = {
            "workflow_type": self.workflow_type,
            "task_queue": attrs.task_queue.name,
            "input": arguments,
        }
        if attrs.continued_execution_run_id:
            summary = f"Continued from run {attrs.continued_execution_run_id}: {summary}"
            details["continued_from"] = attrs.continued_execution_run_id
        if attrs.identity:
            details["started_by"] = attrs.identity
        self._add(event, "workflow_started", summary, details)

    def _completed(self, event: HistoryEvent, attrs: Any) -> None:
        result = decode_all(attrs.result)
        fields = first_fields(result)
        default = sentences.generic(f"{self.workflow_type or 'Workflow'} completed", fields)
        sentence = sentences.WORKFLOW_COMPLETED.get(self.workflow_type, default)
        summary = sentences.render(sentence, fields, otherwise=default)
        self._add(event, "workflow_completed", summary, {"result": result})

    def _failed(self, event: HistoryEvent, attrs: Any) -> None:
        reason = failure_text(attrs.failure)
        self._add(event, "workflow_failed", f"Workflow failed: {reason}", {"failure": reason})

    def _timed_out(self, event: HistoryEvent, attrs: Any) -> None:
        self._add(event, "workflow_timed_out", "Workflow timed out", {})

    def _terminated(self, event: HistoryEvent, attrs: Any) -> None:
        by = f" by {attrs.identity}" if attrs.identity else ""
        reason = f": {attrs.reason}" if attrs.reason else ""
        self._add(
            event,
            "workflow_terminated",
            f"Workflow terminated{by}{reason}",
            {"reason": attrs.reason, "identity": attrs.identity},
        )

    def _cancel_requested(self, event: HistoryEvent, attrs: Any) -> None:
        by = f" by {attrs.identity}" if attrs.identity else ""
        self._add(
            event,
            "workflow_cancel_requested",
            f"Cancellation requested{by}",
            {"cause": attrs.cause, "identity": attrs.identity},
        )

    def _canceled(self, event: HistoryEvent, attrs: Any) -> None:
        self._add(event, "workflow_canceled", "Workflow cancelled", {})

    def _continued_as_new(self, event: HistoryEvent, attrs: Any) -> None:
        self._add(
            event,
            "continued_as_new",
            f"Continued as new in run {attrs.new_execution_run_id}",
            {"new_run_id": attrs.new_execution_run_id, "input": decode_all(attrs.input)},
        )

    def _task_failed(self, event: HistoryEvent, attrs: Any) -> None:
        try:
            cause = _enum_words(WorkflowTaskFailedCause.Name(attrs.cause), "WORKFLOW_TASK_FAILED_CAUSE_")
        except ValueError:
            cause = str(attrs.cause)
        reason = failure_text(attrs.failure)
        self._add(
            event,
            "workflow_task_failed",
            f"Workflow task failed ({cause}): {reason}",
            {"cause": cause, "failure": reason, "identity": attrs.identity},
        )

    # ---- activities ----------------------------------------------------------------------

    def _activity_scheduled(self, event: HistoryEvent, attrs: Any) -> None:
        self.activities[event.event_id] = _Activity(
            event=event,
            activity_type=attrs.activity_type.name,
            activity_id=attrs.activity_id,
            fields=first_fields(decode_all(attrs.input)),
        )

    def _activity_started(self, event: HistoryEvent, attrs: Any) -> None:
        activity = self.activities.get(attrs.scheduled_event_id)
        if activity is not None:
            activity.attempt = attrs.attempt

    def _activity_details(self, activity: _Activity, **more: Any) -> dict[str, Any]:
        return {
            "activity_type": activity.activity_type,
            "activity_id": activity.activity_id,
            "scheduled_event_id": activity.event.event_id,
            "scheduled_at": _time(activity.event).isoformat(),
            "attempt": activity.attempt,
            "input": activity.fields,
            **more,
        }

    def _activity_completed(self, event: HistoryEvent, attrs: Any) -> None:
        activity = self.activities.pop(attrs.scheduled_event_id, None)
        if activity is None:
            self._other(event, attrs)
            return
        results = decode_all(attrs.result)
        result = results[0] if results else None
        fields = {**activity.fields, "result": result}
        default = sentences.generic(f"Activity “{activity.activity_type}” completed", activity.fields)
        sentence = sentences.ACTIVITIES.get(activity.activity_type, default)
        summary = sentences.render(sentence, fields, otherwise=default)
        self._add(event, "activity_completed", summary, self._activity_details(activity, result=result))

    def _activity_ended_badly(self, event: HistoryEvent, attrs: Any, kind: str, how: str) -> None:
        activity = self.activities.pop(attrs.scheduled_event_id, None)
        if activity is None:
            self._other(event, attrs)
            return
        has_failure = "failure" in attrs.DESCRIPTOR.fields_by_name and attrs.HasField("failure")
        reason = failure_text(attrs.failure) if has_failure else how
        label = f"Could not {sentences.humanize(activity.activity_type)}"
        after = f" after {activity.attempt} attempts" if activity.attempt > 1 else ""
        summary = f"{sentences.generic(label, activity.fields)}: {reason}{after}"
        self._add(event, kind, summary, self._activity_details(activity, failure=reason))

    def _activity_failed(self, event: HistoryEvent, attrs: Any) -> None:
        self._activity_ended_badly(event, attrs, "activity_failed", "")

    def _activity_timed_out(self, event: HistoryEvent, attrs: Any) -> None:
        self._activity_ended_badly(event, attrs, "activity_timed_out", "timed out")

    def _activity_canceled(self, event: HistoryEvent, attrs: Any) -> None:
        self._activity_ended_badly(event, attrs, "activity_canceled", "cancelled")

    # ---- updates and signals -------------------------------------------------------------

    def _update_accepted(self, event: HistoryEvent, attrs: Any) -> None:
        request = attrs.accepted_request
        name = request.input.name
        arguments = decode_all(request.input.args)
        fields = first_fields(arguments)
        default = sentences.generic(f"Update “{name}” accepted", fields)
        summary = sentences.render(sentences.UPDATES.get(name, default), fields, otherwise=default)
        details: dict[str, Any] = {"update": name, "update_id": request.meta.update_id, "input": arguments}
        if request.meta.identity:
            details["sent_by"] = request.meta.identity
        self.updates[request.meta.update_id or attrs.protocol_instance_id] = self._add(
            event, "update", summary, details
        )

    def _update_completed(self, event: HistoryEvent, attrs: Any) -> None:
        entry = self.updates.get(attrs.meta.update_id)
        name = entry.details["update"] if entry else "update"
        if attrs.outcome.HasField("failure"):
            reason = failure_text(attrs.outcome.failure)
            self._add(
                event,
                "update_failed",
                f"Update “{name}” failed: {reason}",
                {"update": name, "update_id": attrs.meta.update_id, "failure": reason},
            )
            return
        results = decode_all(attrs.outcome.success)
        result = results[0] if results else None
        if entry is None:
            self._add(event, "update", f"Update “{name}” completed", {"result": result})
            return
        # The answer belongs to the request's line: re-word it now that the result is known.
        entry.details.update(
            result=result, completed_event_id=event.event_id, completed_at=_time(event).isoformat()
        )
        fields = {**first_fields(entry.details["input"]), "result": result}
        sentence = sentences.UPDATES.get(name)
        if sentence is not None:
            entry.summary = sentences.render(sentence, fields, otherwise=entry.summary)

    def _signal_sentence(self, name: str, fields: dict[str, Any], default: str) -> str:
        return sentences.render(sentences.SIGNALS.get(name, default), fields, otherwise=default)

    def _signaled(self, event: HistoryEvent, attrs: Any) -> None:
        arguments = decode_all(attrs.input)
        fields = first_fields(arguments)
        default = sentences.generic(f"Signal “{attrs.signal_name}” received", fields)
        details: dict[str, Any] = {"signal": attrs.signal_name, "input": arguments}
        if attrs.identity:
            details["sent_by"] = attrs.identity
        summary = self._signal_sentence(attrs.signal_name, fields, default)
        self._add(event, "signal_received", summary, details)

    def _signal_sent(self, event: HistoryEvent, attrs: Any) -> None:
        target = attrs.workflow_execution.workflow_id
        arguments = decode_all(attrs.input)
        fields = first_fields(arguments)
        default = sentences.generic(f"Signal “{attrs.signal_name}” sent to {target}", fields)
        sentence = sentences.SIGNALS.get(attrs.signal_name)
        summary = (
            f"Told {target}: {sentences.render(sentence, fields, otherwise=default)}" if sentence else default
        )
        self.signals_sent[event.event_id] = self._add(
            event,
            "signal_sent",
            summary,
            {"signal": attrs.signal_name, "to": target, "input": arguments, "delivered": False},
        )

    def _signal_delivered(self, event: HistoryEvent, attrs: Any) -> None:
        entry = self.signals_sent.get(attrs.initiated_event_id)
        if entry is not None:
            entry.details["delivered"] = True

    def _signal_failed(self, event: HistoryEvent, attrs: Any) -> None:
        entry = self.signals_sent.get(attrs.initiated_event_id)
        try:
            cause = _enum_words(
                SignalExternalWorkflowExecutionFailedCause.Name(attrs.cause),
                "SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_",
            )
        except ValueError:
            cause = str(attrs.cause)
        target = attrs.workflow_execution.workflow_id
        name = entry.details["signal"] if entry else "signal"
        self._add(event, "signal_failed", f"Could not signal {target} ({name}): {cause}", {"cause": cause})

    # ---- timers and markers --------------------------------------------------------------

    def _timer_started(self, event: HistoryEvent, attrs: Any) -> None:
        span = attrs.start_to_fire_timeout.ToTimedelta()
        fire_at = _time(event) + span
        self.timers[attrs.timer_id] = self._add(
            event,
            "timer_started",
            f"Waiting until {fire_at:%Y-%m-%d %H:%M} UTC ({_duration(span)})",
            {"timer_id": attrs.timer_id, "fires_at": fire_at.isoformat(), "seconds": span.total_seconds()},
        )

    def _timer_fired(self, event: HistoryEvent, attrs: Any) -> None:
        started = self.timers.get(attrs.timer_id)
        since = f", set at event {started.event_id}" if started else ""
        self._add(
            event, "timer_fired", f"Wait over (timer {attrs.timer_id}{since})", {"timer_id": attrs.timer_id}
        )

    def _timer_canceled(self, event: HistoryEvent, attrs: Any) -> None:
        self._add(
            event, "timer_canceled", f"Wait cancelled (timer {attrs.timer_id})", {"timer_id": attrs.timer_id}
        )

    def _marker(self, event: HistoryEvent, attrs: Any) -> None:
        details = {key: decode_all(value) for key, value in attrs.details.items()}
        if attrs.marker_name == "core_patch":
            patch = first_fields(details.get("patch_data", []))
            summary = f"Code change “{patch.get('id', '?')}” in effect from here (patch marker)"
        else:
            summary = f"Marker “{attrs.marker_name}” recorded"
        self._add(event, "marker", summary, {"marker": attrs.marker_name, "details": details})

    def _other(self, event: HistoryEvent, attrs: Any) -> None:
        name = event_type_name(event)
        words = sentences.humanize(name)
        self._add(event, sentences.humanize(name).replace(" ", "_"), words[:1].upper() + words[1:], {})


def _ignore(event: HistoryEvent, attrs: Any) -> None:
    return None


def timeline(history: WorkflowHistory) -> list[TimelineEntry]:
    """The account of one run, in event order."""
    return _RunReader(history).read()


def chain_timeline(histories: Sequence[WorkflowHistory]) -> list[TimelineEntry]:
    """The account of several runs (a continue-as-new chain, oldest first), one after the other."""
    return [entry for history in histories for entry in timeline(history)]
