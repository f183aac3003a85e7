"""How a running pledgeflow is observed: JSON logs, Prometheus metrics, the worker's health probe."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

import prometheus_client
import temporalio.activity
import temporalio.workflow
from prometheus_client import Counter
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from pledgeflow.config import Settings
from pledgeflow.log_redaction import RedactingFilter

# Workflow ids are "<kind>-<campaign id>[-…]": campaign-12, pledge-12-345.
_CAMPAIGN_IN_WORKFLOW_ID = re.compile(r"^[a-z_]+-(\d+)(?:-|$)")

# Attributes every LogRecord has; anything else on a record came in through `extra=`.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
# The dicts the Temporal SDK's workflow.logger and activity.logger add to their records.
_TEMPORAL_EXTRAS = ("temporal_workflow", "temporal_activity")


def campaign_id_of(workflow_id: str) -> int | None:
    """The campaign a workflow id belongs to, when the id follows the project's convention."""
    match = _CAMPAIGN_IN_WORKFLOW_ID.match(workflow_id)
    return int(match.group(1)) if match else None


def _temporal_fields(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    workflow: Mapping[str, Any] = getattr(record, "temporal_workflow", None) or {}
    activity: Mapping[str, Any] = getattr(record, "temporal_activity", None) or {}
    if workflow:
        fields["workflow_id"] = workflow.get("workflow_id")
        fields["run_id"] = workflow.get("run_id")
        fields["workflow_type"] = workflow.get("workflow_type")
        fields["task_queue"] = workflow.get("task_queue")
        fields["attempt"] = workflow.get("attempt")
        if "update_name" in workflow:
            fields["update_name"] = workflow.get("update_name")
            fields["update_id"] = workflow.get("update_id")
    if activity:
        fields["workflow_id"] = activity.get("workflow_id")
        fields["run_id"] = activity.get("workflow_run_id")
        fields["workflow_type"] = activity.get("workflow_type")
        fields["activity_type"] = activity.get("activity_type")
        fields["activity_id"] = activity.get("activity_id")
        fields["task_queue"] = activity.get("task_queue")
        fields["attempt"] = activity.get("attempt")
    workflow_id = fields.get("workflow_id")
    if isinstance(workflow_id, str) and (campaign := campaign_id_of(workflow_id)) is not None:
        fields["campaign_id"] = campaign
    return {k: v for k, v in fields.items() if v is not None}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the Temporal context."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_temporal_fields(record))
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and key not in _TEMPORAL_EXTRAS and key not in entry:
                entry[key] = value
        # exc_text first: the redacting filter leaves the traceback there, already redacted.
        if record.exc_text:
            entry["exception"] = record.exc_text
        elif record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(json: bool, level: int | str = logging.INFO, *, stream: TextIO | None = None) -> None:
    """Log to stderr, as JSON lines (production) or as text (a terminal); replaces earlier setup.

    Every line passes the redacting filter: link tokens, API tokens and credentials never reach
    the output, whichever logger wrote them (uvicorn's loggers propagate here, see api/server.py).
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactingFilter())
    if json:
        handler.setFormatter(JsonFormatter())
        # The Temporal context goes into fields; it need not be repeated inside the message.
        temporalio.workflow.logger.workflow_info_on_message = False
        temporalio.activity.logger.activity_info_on_message = False
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("temporalio").setLevel(logging.WARNING)


class Metrics:
    """The application's counters, in the process-wide Prometheus registry."""

    def __init__(self, registry: prometheus_client.CollectorRegistry = prometheus_client.REGISTRY) -> None:
        self.emails_sent = Counter(
            "pledgeflow_emails_sent", "Emails the SMTP server accepted.", ["kind"], registry=registry
        )
        self.emails_failed = Counter(
            "pledgeflow_emails_failed",
            "Email sends that failed; permanent=true when the recipient was refused.",
            ["kind", "permanent"],
            registry=registry,
        )
        self.signatures = Counter("pledgeflow_signatures", "Pledges signed.", registry=registry)
        self.escalations = Counter(
            "pledgeflow_escalations", "Escalations sent, by level.", ["level"], registry=registry
        )

    def email_sent(self, kind: str) -> None:
        """Count an email the SMTP server accepted (not one found already accepted)."""
        self.emails_sent.labels(kind=kind).inc()

    def email_failed(self, kind: str, *, permanent: bool) -> None:
        """Count a failed send; permanent failures are not retried."""
        self.emails_failed.labels(kind=kind, permanent="true" if permanent else "false").inc()

    def signature_recorded(self) -> None:
        """Count a recorded signature."""
        self.signatures.inc()

    def escalation_sent(self, level: int | str) -> None:
        """Count an escalation at a level of the escalation policy."""
        self.escalations.labels(level=str(level)).inc()


metrics = Metrics()


def metrics_app() -> Any:
    """An ASGI app serving the registry in Prometheus' text format (the API mounts it at /metrics)."""
    return prometheus_client.make_asgi_app()


def start_metrics_server(port: int, address: str = "0.0.0.0") -> None:
    """Serve the application's metrics on a port of their own (the worker process has no web app)."""
    prometheus_client.start_http_server(port, addr=address)


def sdk_runtime(bind_address: str) -> Runtime:
    """A Temporal runtime that exports the SDK's own metrics for Prometheus at bind_address.

    Install it with `Runtime.set_default(...)` before the first client connects: clients and
    workers use the default runtime.
    """
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind_address)))


async def _silent_queue(
    client: Client, task_queue: str, kind: TaskQueueType.ValueType, host: str, since: datetime
) -> bool:
    response = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace, task_queue=TaskQueue(name=task_queue), task_queue_type=kind
        ),
        timeout=timedelta(seconds=5),
    )
    for poller in response.pollers:
        if poller.identity.endswith(f"@{host}") and poller.last_access_time.ToDatetime(UTC) >= since:
            return False
    return True


async def worker_health_problems(
    client: Client, settings: Settings, *, host: str, within: timedelta = timedelta(minutes=2)
) -> list[str]:
    """What is wrong with the worker on this host: empty when it polled both task queues lately.

    A worker long-polls for about a minute at a time, so a live one shows up in each queue's
    poller list within that; the SDK's identity for a process is "<pid>@<hostname>".
    """
    since = datetime.now(UTC) - within
    queues = [
        (settings.task_queue, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
        (settings.email_task_queue, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
    ]
    silent = await asyncio.gather(*(_silent_queue(client, q, kind, host, since) for q, kind in queues))
    return [
        f"no worker on {host} polled task queue '{queue}' in the last {within.total_seconds():.0f}s"
        for (queue, _), quiet in zip(queues, silent, strict=True)
        if quiet
    ]
