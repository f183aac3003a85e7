"""Signing latency: 50 concurrent signers through the HTTP API against bare update round trips.

    .venv/bin/python bench/sign.py [--signers 50] [--per-signer 10]

Baseline: the same concurrency of bare Temporal updates (validator + handler that answers at once)
on the same dev server, run by a worker process. Measured: POST /s/{token}/sign through a
`pledgeflow api` process, with a `pledgeflow worker` process running the pledge workflows. The
page (GET) that gives the CSRF field is fetched first and not timed. Worker and API peak memory
are reported.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from bench.bare import EchoUpdateWorkflow
from bench.common import (
    Latencies,
    MachineCpu,
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
from pledgeflow.dev.mail_sink import MailSink, free_port
from workflows.client import start_campaign

DIRECT = False
LINK = re.compile(r"http://127\.0\.0\.1:\d+/s/(\S+)")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def bare_updates(client: Client, queue: str, signers: int, per_signer: int) -> Latencies:
    """Each of `signers` clients runs `per_signer` updates on its own workflow, timed one by one."""
    prefix = uuid.uuid4().hex[:8]
    handles = [
        await client.start_workflow(EchoUpdateWorkflow.run, id=f"echo-{prefix}-{i}", task_queue=queue)
        for i in range(signers)
    ]
    for handle in handles:  # warm-up: every workflow has run its first task
        await handle.execute_update(EchoUpdateWorkflow.answer, "warm")
    samples: list[float] = []

    async def signer(index: int) -> None:
        for round_ in range(per_signer):
            began = time.perf_counter()
            await handles[index].execute_update(EchoUpdateWorkflow.answer, f"{index}-{round_}")
            samples.append(time.perf_counter() - began)

    await asyncio.gather(*(signer(i) for i in range(signers)))
    for handle in handles:
        await handle.signal(EchoUpdateWorkflow.finish)
    return Latencies(samples)


async def api_signatures(base: str, tokens: list[str], signers: int) -> Latencies:
    """Each signer signs its share of invitations through the page, one after the other."""
    samples: list[float] = []
    limits = httpx.Limits(max_connections=signers * 2, max_keepalive_connections=signers * 2)

    async def signer(mine: list[str]) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
            for token in mine:
                page = await http.get(f"/s/{token}")
                page.raise_for_status()
                csrf = CSRF.search(page.text)
                assert csrf is not None
                form = {
                    "signer_name": "Bench Signer",
                    "signer_title": "Director",
                    "consent": "yes",
                    "csrf_token": csrf.group(1),
                }
                began = time.perf_counter()
                answer = await http.post(f"/s/{token}/sign", data=form)
                samples.append(time.perf_counter() - began)
                if answer.status_code != 200:
                    raise RuntimeError(f"signing answered {answer.status_code}: {answer.text[:300]}")

    await asyncio.gather(*(signer(tokens[i::signers]) for i in range(signers)))
    return Latencies(samples)


async def direct_updates(
    client: Client, campaign_id: int, organisation_ids: list[int], invitation_ids: list[int], signers: int
) -> Latencies:
    """The same signatures as updates straight from a client, without the API (for diagnosis)."""
    from workflows import client as workflow_client
    from workflows.pledge_messages import SignRequest

    samples: list[float] = []
    pairs = list(zip(organisation_ids, invitation_ids, strict=True))

    async def signer(mine: list[tuple[int, int]]) -> None:
        for organisation_id, invitation_id in mine:
            began = time.perf_counter()
            await workflow_client.sign(
                client, campaign_id, organisation_id, SignRequest(invitation_id, "Bench", "Director", True)
            )
            samples.append(time.perf_counter() - began)

    await asyncio.gather(*(signer(pairs[i::signers]) for i in range(signers)))
    return Latencies(samples)


async def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError(url)


async def main(signers: int, per_signer: int) -> None:
    total = signers * per_signer
    with tempfile.TemporaryDirectory() as tmp:
        database_url, engine = database(Path(tmp))
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal_cli(), dev_server_log_level="error"
        )
        address = env.client.service_client.config.target_host
        sink = MailSink().start()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        try:
            bare_queue = f"bare-{uuid.uuid4().hex[:6]}"
            bare_worker = spawn(
                python_module("bench.bare", "worker", "--address", address, "--queue", bare_queue), {}
            )
            cpu = MachineCpu()
            baseline = await bare_updates(env.client, bare_queue, signers, per_signer)
            bare_busy = cpu.busy()
            bare_peak = peak_rss_mib(bare_worker.pid)
            stop(bare_worker)

            queue = f"pf-{uuid.uuid4().hex[:6]}"
            process_env = worker_env(
                database_url=database_url, temporal=address, smtp_port=sink.port, queue=queue, base_url=base
            )
            worker = spawn(pledgeflow("worker"), process_env)
            api = spawn(pledgeflow("api", "--port", str(port)), process_env)
            await wait_http(f"{base}/healthz")
            settings = Settings(
                env="test",
                secret_key="x" * 40,
                database_url=database_url,
                temporal_address=address,
                task_queue=queue,
                email_task_queue=f"{queue}-email",
                smtp_port=sink.port,
            )
            campaign_id, _ = seed_campaign(engine, total, tag="sign")
            await start_campaign(env.client, settings, campaign_id)
            while sum(1 for m in sink.messages if m.kind == "invitation") < total:
                await asyncio.sleep(0.1)
            tokens = [LINK.search(m.text).group(1) for m in sink.messages if m.kind == "invitation"]  # type: ignore[union-attr]
            cpu = MachineCpu()
            if DIRECT:
                from sqlmodel import Session, select

                from models.invitation import Invitation

                with Session(engine) as session:
                    rows = session.exec(select(Invitation).where(Invitation.campaign_id == campaign_id)).all()
                measured = await direct_updates(
                    env.client,
                    campaign_id,
                    [r.organisation_id for r in rows],
                    [r.id or 0 for r in rows],
                    signers,
                )
            else:
                measured = await api_signatures(base, tokens, signers)
            measured_busy = cpu.busy()
            worker_peak, api_peak = peak_rss_mib(worker.pid), peak_rss_mib(api.pid)
            stop(api)
            stop(worker)
        finally:
            sink.stop()
            await env.shutdown()
    ms = 1000
    print(f"signers: {signers} concurrent, {total} signatures")
    for label, sample in (
        ("baseline (bare update round trip)", baseline),
        ("pledgeflow (POST /s/.../sign)", measured),
    ):
        print(f"{label:<34} p50 {sample.p50 * ms:7.1f} ms   p99 {sample.p99 * ms:7.1f} ms")
    ratio_p50, ratio_p99 = measured.p50 / baseline.p50, measured.p99 / baseline.p99
    print(f"ratio p50 {ratio_p50:.2f}   ratio p99 {ratio_p99:.2f}  (target p99 <= 1.25)")
    print(
        f"peak memory: bare worker {bare_peak:.0f} MiB, pledgeflow worker {worker_peak:.0f} MiB, "
        f"API {api_peak:.0f} MiB"
    )
    print(
        f"machine CPU busy ({os.cpu_count()} cores, every process): baseline {bare_busy:.0%}, "
        f"pledgeflow {measured_busy:.0%}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--signers", type=int, default=50)
    parser.add_argument("--per-signer", type=int, default=10)
    parser.add_argument("--direct", action="store_true", help="updates from a client, not through the API")
    args = parser.parse_args()
    DIRECT = args.direct
    asyncio.run(main(args.signers, args.per_signer))
