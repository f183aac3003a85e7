"""JSON logs carry the Temporal context; the worker health probe sees who polls."""

from __future__ import annotations

import json
import logging
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from temporalio import activity, workflow
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from pledgeflow.observability import (
    JsonFormatter,
    campaign_id_of,
    configure_logging,
    worker_health_problems,
)
from tests.helpers import eventually


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def captured() -> Iterator[_Capture]:
    handler = _Capture()
    loggers = [logging.getLogger(name) for name in ("temporalio.workflow", "temporalio.activity")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield handler
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


@activity.defn(name="observed_activity")
async def observed_activity(name: str) -> str:
    activity.logger.info("sending to %s", name)
    return name


@workflow.defn(name="ObservedWorkflow")
class ObservedWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        workflow.logger.info("inviting %s", name)
        return await workflow.execute_activity(
            observed_activity, name, start_to_close_timeout=timedelta(seconds=10)
        )


async def test_workflow_and_activity_logs_carry_their_ids_and_campaign(ts_env, captured):
    queue = f"tq-{uuid.uuid4().hex[:10]}"
    async with Worker(
        ts_env.client,
        task_queue=queue,
        workflows=[ObservedWorkflow],
        activities=[observed_activity],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        handle = await ts_env.client.start_workflow(
            ObservedWorkflow.run, "Efua", id=f"pledge-42-{uuid.uuid4().int % 1000}", task_queue=queue
        )
        await handle.result()

    by_logger = {line["logger"]: line for line in captured.lines}
    in_workflow = by_logger["temporalio.workflow"]
    assert in_workflow["message"].startswith("inviting Efua")
    assert in_workflow["workflow_id"] == handle.id
    assert in_workflow["run_id"] == handle.result_run_id
    assert in_workflow["workflow_type"] == "ObservedWorkflow"
    assert in_workflow["campaign_id"] == 42
    assert "activity_type" not in in_workflow
    in_activity = by_logger["temporalio.activity"]
    assert in_activity["message"].startswith("sending to Efua")
    assert in_activity["activity_type"] == "observed_activity"
    assert in_activity["workflow_id"] == handle.id
    assert in_activity["run_id"] == handle.result_run_id
    assert in_activity["campaign_id"] == 42
    assert {"time", "level"} <= set(in_activity)


def test_a_plain_log_line_is_one_json_object_with_extras_and_the_traceback():
    formatter = JsonFormatter()
    try:
        raise ValueError("smtp refused")
    except ValueError:
        record = logging.getLogger("pledgeflow.test").makeRecord(
            "pledgeflow.test", logging.ERROR, __file__, 1, "send %s failed", ("invitation",), None
        )
        record.exc_info = sys.exc_info()
    record.__dict__["message_id"] = "<a@b>"

    line = formatter.format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "pledgeflow.test"
    assert entry["message"] == "send invitation failed"
    assert entry["message_id"] == "<a@b>"
    assert "ValueError: smtp refused" in entry["exception"]
    assert entry["time"].endswith("+00:00")


@pytest.mark.parametrize(
    ("workflow_id", "campaign"),
    [("campaign-7", 7), ("pledge-7-123", 7), ("chasing-12-3-1", 12), ("tq-abc", None), ("campaign-", None)],
)
def test_the_campaign_is_read_from_the_workflow_id(workflow_id, campaign):
    assert campaign_id_of(workflow_id) == campaign


def test_configure_logging_switches_between_json_and_text(capsys):
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    try:
        configure_logging(json=True)
        logging.getLogger("pledgeflow.x").info("hello")
        assert json.loads(capsys.readouterr().err.strip().splitlines()[-1])["message"] == "hello"
        configure_logging(json=False)
        logging.getLogger("pledgeflow.x").info("hello")
        assert capsys.readouterr().err.strip().endswith("INFO pledgeflow.x hello")
    finally:
        root.handlers[:] = before[0]
        root.setLevel(before[1])
        workflow.logger.workflow_info_on_message = True
        activity.logger.activity_info_on_message = True


async def test_worker_health_sees_this_hosts_worker_polling_both_queues(dev_env, settings):
    async with (
        Worker(
            dev_env.client,
            task_queue=settings.task_queue,
            workflows=[ObservedWorkflow],
            identity="4242@worker-a",
            workflow_runner=UnsandboxedWorkflowRunner(),
        ),
        Worker(
            dev_env.client,
            task_queue=settings.email_task_queue,
            activities=[observed_activity],
            identity="4242@worker-a",
        ),
    ):
        # The first polls reach the server a moment after the workers start.
        healthy = await eventually(
            lambda: worker_health_problems(dev_env.client, settings, host="worker-a"),
            lambda problems: problems == [],
        )
        elsewhere = await worker_health_problems(dev_env.client, settings, host="worker-b")

    assert healthy == []
    assert len(elsewhere) == 2
    assert settings.task_queue in elsewhere[0] and settings.email_task_queue in elsewhere[1]
