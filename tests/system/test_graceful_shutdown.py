"""Stopping a worker (SIGTERM on deploy or scale-in) with a grace period lets the activities in
progress finish, so none is run twice; without one they are cancelled and retried elsewhere.

These pin the SDK behaviour that `build_workers(..., graceful_shutdown_timeout=...)` relies on.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

SLOW_SECONDS = 1.0


class SlowStep:
    """An activity that takes a while and remembers every attempt that ran to its end."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.finished_attempts: list[int] = []

    @activity.defn(name="slow_step")
    async def slow_step(self, value: int) -> int:
        self.started.set()
        await asyncio.sleep(SLOW_SECONDS)
        self.finished_attempts.append(activity.info().attempt)
        return value * 2


@workflow.defn(name="SlowStepWorkflow")
class SlowStepWorkflow:
    @workflow.run
    async def run(self, value: int) -> int:
        return await workflow.execute_activity_method(
            SlowStep.slow_step,
            value,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=200)),
        )


def _worker(client: Client, queue: str, step: SlowStep, grace: timedelta) -> Worker:
    return Worker(
        client,
        task_queue=queue,
        workflows=[SlowStepWorkflow],
        activities=[step.slow_step],
        graceful_shutdown_timeout=grace,
        workflow_runner=UnsandboxedWorkflowRunner(),
    )


async def _stop_mid_activity_then_finish_elsewhere(client: Client, grace: timedelta) -> SlowStep:
    queue = f"tq-{uuid.uuid4().hex[:10]}"
    step = SlowStep()
    first = _worker(client, queue, step, grace)
    running = asyncio.create_task(first.run())
    handle = await client.start_workflow(SlowStepWorkflow.run, 21, id=f"wf-{queue}", task_queue=queue)
    await asyncio.wait_for(step.started.wait(), timeout=30)
    await first.shutdown()  # what the worker command does on SIGTERM
    await running
    async with _worker(client, queue, step, timedelta(seconds=10)):
        assert await asyncio.wait_for(handle.result(), timeout=30) == 42
    return step


async def test_a_grace_period_lets_the_activity_in_progress_finish_once(dev_env):
    step = await _stop_mid_activity_then_finish_elsewhere(dev_env.client, timedelta(seconds=10))

    assert step.finished_attempts == [1]


async def test_without_a_grace_period_the_activity_is_cancelled_and_run_again(dev_env):
    step = await _stop_mid_activity_then_finish_elsewhere(dev_env.client, timedelta())

    assert step.finished_attempts == [2]
