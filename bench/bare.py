"""The baselines: bare workflows on the same server, run by a worker in its own process.

`python -m bench.bare worker --address A --queue Q` runs the worker.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker


@activity.defn
async def noop(value: int) -> int:
    """Does nothing: the cost of an activity round trip and nothing else."""
    return value


@workflow.defn
class OneActivityWorkflow:
    """N of these are the launch baseline: start, one no-op activity, done."""

    @workflow.run
    async def run(self, value: int) -> int:
        return await workflow.execute_activity(noop, value, start_to_close_timeout=timedelta(seconds=30))


@workflow.defn
class EchoUpdateWorkflow:
    """The signing baseline: an update that answers at once, with a validator."""

    def __init__(self) -> None:
        self._done = False

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self._done)

    @workflow.update
    def answer(self, value: str) -> str:
        return value

    @answer.validator
    def _check(self, value: str) -> None:
        if not value:
            raise ValueError("empty")

    @workflow.signal
    def finish(self) -> None:
        self._done = True


async def run_worker(address: str, queue: str) -> None:
    client = await Client.connect(address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with Worker(
        client,
        task_queue=queue,
        workflows=[OneActivityWorkflow, EchoUpdateWorkflow],
        activities=[noop],
        max_concurrent_activities=100,
        max_concurrent_workflow_tasks=100,
    ):
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["worker"])
    parser.add_argument("--address", required=True)
    parser.add_argument("--queue", required=True)
    args = parser.parse_args()
    asyncio.run(run_worker(args.address, args.queue))


if __name__ == "__main__":
    main()
