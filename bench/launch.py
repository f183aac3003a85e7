"""Launch throughput: invitations delivered per second against bare workflows on the same server.

    .venv/bin/python bench/launch.py --n 2000

Baseline: N bare workflows, each running one no-op activity, started by a client and run by a
worker process. Measured: a campaign of N organisations launched on the same dev server, run by
a `pledgeflow worker` process, until N invitations are in the local SMTP server. Both workers'
peak memory (VmHWM) is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from bench.bare import OneActivityWorkflow
from bench.common import (
    cpu_seconds,
    database,
    peak_rss_mib,
    pledgeflow,
    python_module,
    seed_campaign,
    spawn,
    stop,
    worker_env,
)
from pledgeflow.config import Settings
from pledgeflow.dev.binaries import temporal_cli
from pledgeflow.dev.mail_sink import MailSink
from workflows.client import start_campaign

START_CONCURRENCY = 100
# Waiting on a result is a long poll; the dev server refuses more than about a thousand at once.
# Workflows run whether or not anyone waits, so a bounded pool of waiters does not slow them.
RESULT_WAITERS = 400


async def run_bare(client: Client, queue: str, n: int) -> float:
    """Seconds to start and complete n one-activity workflows."""
    gate = asyncio.Semaphore(START_CONCURRENCY)
    waiters = asyncio.Semaphore(RESULT_WAITERS)
    prefix = uuid.uuid4().hex[:8]

    async def one(i: int) -> None:
        async with gate:
            handle = await client.start_workflow(
                OneActivityWorkflow.run, i, id=f"bare-{prefix}-{i}", task_queue=queue
            )
        async with waiters:
            await handle.result()

    began = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(n)))
    return time.monotonic() - began


async def run_launch(client: Client, settings: Settings, engine, sink: MailSink, n: int, tag: str) -> float:
    """Seconds from launch until n invitations are in the SMTP server."""
    campaign_id, _ = seed_campaign(engine, n, tag=tag)
    sink.clear()
    began = time.monotonic()
    await start_campaign(client, settings, campaign_id)
    while sum(1 for m in sink.messages if m.kind == "invitation") < n:
        await asyncio.sleep(0.02)
    return time.monotonic() - began


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        database_url, engine = database(Path(tmp))
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal_cli(), dev_server_log_level="error"
        )
        address = env.client.service_client.config.target_host
        sink = MailSink().start()
        try:
            bare_queue = f"bare-{uuid.uuid4().hex[:6]}"
            bare_worker = spawn(
                python_module("bench.bare", "worker", "--address", address, "--queue", bare_queue), {}
            )
            await run_bare(env.client, bare_queue, 50)  # warm-up
            bare_cpu = cpu_seconds(bare_worker.pid)
            bare_seconds = await run_bare(env.client, bare_queue, n)
            bare_cpu = cpu_seconds(bare_worker.pid) - bare_cpu
            bare_peak = peak_rss_mib(bare_worker.pid)
            stop(bare_worker)

            queue = f"pf-{uuid.uuid4().hex[:6]}"
            settings = Settings(
                env="test",
                secret_key="x" * 40,
                database_url=database_url,
                temporal_address=address,
                task_queue=queue,
                email_task_queue=f"{queue}-email",
                smtp_port=sink.port,
            )
            worker = spawn(
                pledgeflow("worker"),
                worker_env(
                    database_url=database_url,
                    temporal=address,
                    smtp_port=sink.port,
                    queue=queue,
                    base_url="http://127.0.0.1:8000",
                ),
            )
            await run_launch(env.client, settings, engine, sink, 50, "warmup")
            worker_cpu = cpu_seconds(worker.pid)
            launch_seconds = await run_launch(env.client, settings, engine, sink, n, "bench")
            worker_cpu = cpu_seconds(worker.pid) - worker_cpu
            worker_peak = peak_rss_mib(worker.pid)
            stop(worker)
        finally:
            sink.stop()
            await env.shutdown()
    bare_rate, launch_rate = n / bare_seconds, n / launch_seconds
    print(f"organisations:           {n}")
    print(f"baseline (bare wf + 1 no-op activity): {bare_rate:8.1f} workflows/s   ({bare_seconds:.2f} s)")
    print(
        f"pledgeflow launch (invitations in SMTP): {launch_rate:8.1f} invitations/s ({launch_seconds:.2f} s)"
    )
    print(f"ratio launch/baseline:   {launch_rate / bare_rate:.2f}  (target >= 1.0)")
    busy_bare, busy_launch = bare_cpu / bare_seconds, worker_cpu / launch_seconds
    print(f"worker CPU busy:          baseline {busy_bare:.0%}, pledgeflow {busy_launch:.0%}")
    print(f"worker peak memory:      baseline {bare_peak:.0f} MiB, pledgeflow {worker_peak:.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=2000, help="organisations (default 2000)")
    asyncio.run(main(parser.parse_args().n))
