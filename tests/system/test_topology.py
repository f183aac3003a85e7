"""The production topology on this machine: a Temporal server, PostgreSQL migrated to head, an SMTP
server, and two separate `pledgeflow worker` processes sharing the work of one campaign."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from pledgeflow.config import Settings
from pledgeflow.db import make_engine
from pledgeflow.migrations import upgrade_to_head
from tests import factories
from tests.conftest import TEST_SECRET
from tests.helpers import eventually
from tests.system.test_migrations import temporary_postgres_database
from workflows import client as workflow_client
from workflows.ids import pledge_workflow_id

pytestmark = [pytest.mark.devserver, pytest.mark.postgres]

ORGANISATIONS = 450  # three batches of invitations, so both workers get some
PLEDGEFLOW = str(Path(sys.executable).parent / "pledgeflow")


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def identity(self) -> str:
        """The SDK's default identity for the process's client and workers."""
        return f"{self.process.pid}@{socket.gethostname()}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def postgres_at_head() -> Iterator[str]:
    with temporary_postgres_database("pf_topology") as url:
        upgrade_to_head(url)
        yield url


def _start_worker(name: str, tmp_path: Path, env: dict[str, str]) -> WorkerProcess:
    log = tmp_path / f"{name}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [PLEDGEFLOW, "worker"], env=env, cwd=tmp_path, stdout=sink, stderr=subprocess.STDOUT
        )
    return WorkerProcess(process=process, log=log)


async def _pollers(client: Client, queue: str, kind: TaskQueueType.ValueType) -> set[str]:
    response = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace, task_queue=TaskQueue(name=queue), task_queue_type=kind
        )
    )
    return {poller.identity for poller in response.pollers}


async def _identities_in_histories(client: Client, workflow_ids: list[str]) -> set[str]:
    seen: set[str] = set()
    for workflow_id in workflow_ids:
        async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
            which = event.WhichOneof("attributes")
            identity = getattr(getattr(event, which), "identity", "") if which else ""
            if identity and event.event_type in _WORKER_EVENTS:
                seen.add(identity)
    return seen


# Events whose `identity` names the worker that did the work.
_WORKER_EVENTS = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED,
    EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
}


async def test_two_worker_processes_share_a_campaign_on_postgresql(
    dev_env, postgres_at_head, mailbox, tmp_path
):
    client = dev_env.client
    queue = f"tq-{uuid.uuid4().hex[:10]}"
    settings = Settings(
        env="test",
        database_url=postgres_at_head,
        secret_key=TEST_SECRET,
        temporal_address=client.service_client.config.target_host,
        task_queue=queue,
        email_task_queue=f"{queue}-email",
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PLEDGEFLOW_")},
        "PLEDGEFLOW_ENV": "production",
        "PLEDGEFLOW_SECRET_KEY": TEST_SECRET,
        "PLEDGEFLOW_DATABASE_URL": postgres_at_head,
        "PLEDGEFLOW_TEMPORAL_ADDRESS": settings.temporal_address,
        "PLEDGEFLOW_TEMPORAL_NAMESPACE": client.namespace,
        "PLEDGEFLOW_TASK_QUEUE": settings.task_queue,
        "PLEDGEFLOW_EMAIL_TASK_QUEUE": settings.email_task_queue,
        "PLEDGEFLOW_SMTP_HOST": mailbox.host,
        "PLEDGEFLOW_SMTP_PORT": str(mailbox.port),
        "PLEDGEFLOW_PUBLIC_BASE_URL": "https://pledge.example",
        "PLEDGEFLOW_DATA_DIR": str(tmp_path / "data"),
    }
    engine = make_engine(postgres_at_head)
    seeded = factories.campaign_with_invitees(engine, count=ORGANISATIONS)
    campaign_id = seeded.campaign.id or 0
    factories.launch(engine, campaign_id)
    engine.dispose()

    workers = [_start_worker(name, tmp_path, env) for name in ("worker-1", "worker-2")]
    try:
        # Both processes poll both task queues before the launch, so both can be given work.
        identities = {w.identity for w in workers}
        for queue_name, kind in (
            (settings.task_queue, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
            (settings.email_task_queue, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
        ):
            await eventually(
                lambda q=queue_name, k=kind: _pollers(client, q, k),
                lambda polling: identities <= polling,
                timeout=60,
            )

        await workflow_client.start_campaign(client, settings, campaign_id)

        recipients = sorted(c.email for c in seeded.contacts)
        received = await mailbox.wait_for_async(ORGANISATIONS, timeout=90)
        assert len(received) >= ORGANISATIONS, "\n\n".join(w.output() for w in workers)
        progress = await eventually(
            lambda: workflow_client.campaign_progress(client, campaign_id),
            lambda p: p.launch_complete and p.invited == ORGANISATIONS,
            timeout=60,
        )
        assert (progress.invitations_planned, progress.open) == (ORGANISATIONS, ORGANISATIONS)
        # Nothing arrives twice, even a little later.
        await asyncio.sleep(1.5)
        invitations = [m for m in mailbox.messages if "Invitation" in m.subject]
        assert sorted(r for m in invitations for r in m.recipients) == recipients
        assert len({m.message_id for m in invitations}) == ORGANISATIONS

        workflow_ids = [
            workflow_client.campaign_handle(client, campaign_id).id,
            *(pledge_workflow_id(campaign_id, o.id or 0) for o in seeded.organisations),
        ]
        worked = await _identities_in_histories(client, workflow_ids)
        assert identities <= worked, f"work done by {worked}, workers are {identities}"
    finally:
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
        codes = []
        for worker in workers:
            try:
                codes.append(worker.process.wait(timeout=60))
            except subprocess.TimeoutExpired:
                worker.process.kill()
                codes.append(worker.process.wait())
    assert codes == [0, 0], "\n\n".join(w.output() for w in workers)
