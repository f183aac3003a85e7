"""The fault suite: a launch or a signing day under faults, with separate processes (the Temporal
dev server on a file database, `pledgeflow worker`, `pledgeflow api`), an SMTP server that counts
Message-IDs and misbehaves on demand, real SIGKILLs at random moments and, on PostgreSQL, every
connection terminated in a loop.

Each scenario asserts exact counts and prints one row of the table (`FAULT-TABLE | scenario | n |
sent | unique | duplicates | lost`); run with `-s` to see them: `pytest -m faults -s tests/system/faults`.
"""

from __future__ import annotations

import asyncio
import random
import re
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from sqlmodel import Session, col, select
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.testing import WorkflowEnvironment

from models.email_message import EmailMessage, EmailStatus
from models.invitation import Invitation, InvitationStatus
from models.signature import Signature
from pledgeflow.dev.binaries import temporal_cli
from pledgeflow.dev.mail_sink import MailSink, SmtpFaults
from pledgeflow.mail.message import sender_domain, stable_message_id
from tests import factories
from tests.helpers import csrf_from, eventually, sign_token
from tests.system.faults import processes
from tests.system.faults.faultlib import dropping_connections, report
from workflows import client as workflow_client
from workflows.ids import pledge_workflow_id

pytestmark = [pytest.mark.faults, pytest.mark.devserver]

# Four batches run at once, each over four SMTP connections: at most 16 messages are between
# "the server took it" and "the worker noted it" when a worker dies.
MESSAGES_IN_FLIGHT = 4 * 4


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def temporal(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[WorkflowEnvironment]:
    """The Temporal CLI dev server keeping its state in a file, as in the outside run."""
    folder = tmp_path_factory.mktemp("temporal")
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        dev_server_database_filename=str(folder / "temporal.db"),
    )
    yield env
    await env.shutdown()


async def _all_polling(temporal: WorkflowEnvironment, settings, workers: list[processes.Process]) -> None:
    """Wait until every worker process polls the email queue, where the batches run (the SDK names a
    poller pid@host)."""
    expected = {f"{worker.popen.pid}@{socket.gethostname()}" for worker in workers}
    client = temporal.client

    async def polling() -> set[str]:
        response = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=settings.email_task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
            )
        )
        return {poller.identity for poller in response.pollers}

    await eventually(polling, lambda seen: expected <= seen, timeout=60)


def _address(temporal: WorkflowEnvironment) -> str:
    return temporal.client.service_client.config.target_host


def _invitation_ids(settings, seeded) -> set[str]:
    domain = sender_domain(settings.mail_from)
    return {
        stable_message_id(
            pledge_workflow_id(inv.campaign_id, inv.organisation_id), f"invitation-{inv.id}", domain
        )
        for inv in seeded.invitations
    }


async def _launch(temporal, settings, db, n: int) -> factories.Seeded:
    seeded = factories.campaign_with_invitees(db, count=n, prefix=f"f{random.randrange(10**6)}-")
    campaign_id = seeded.campaign.id or 0
    factories.launch(db, campaign_id)
    await workflow_client.start_campaign(temporal.client, settings, campaign_id)
    return seeded


async def _complete(temporal, seeded, n: int, timeout: float = 150):
    return await eventually(
        lambda: workflow_client.campaign_progress(temporal.client, seeded.campaign.id),
        lambda p: p.launch_complete and p.invited + p.undeliverable == n,
        timeout=timeout,
    )


async def _settled(mailbox: MailSink, still_for: float = 1.5) -> None:
    """Nothing more arrives (a late duplicate would)."""
    count = -1
    while count != len(mailbox.messages):
        count = len(mailbox.messages)
        await asyncio.sleep(still_for)


def _database_agrees(db, seeded, n: int) -> None:
    ids = [i.id for i in seeded.invitations]
    with Session(db) as session:
        statuses = Counter(session.exec(select(Invitation.status).where(col(Invitation.id).in_(ids))).all())
        outbox = Counter(
            session.exec(select(EmailMessage.status).where(col(EmailMessage.invitation_id).in_(ids))).all()
        )
    assert statuses == {InvitationStatus.sent: n}
    assert outbox == {EmailStatus.accepted: n}


def _unique(mailbox: MailSink) -> int:
    """Messages the server took, a duplicate counted once."""
    return len({mail.message_id for mail in mailbox.messages})


async def _wait_for(mailbox: MailSink, count: int, timeout: float = 60) -> None:
    await mailbox.wait_for_async(count, timeout=timeout)


# ---- the worker killed ---------------------------------------------------------------


async def test_worker_killed_at_random_moments_mid_launch(temporal, settings, db, mailbox, tmp_path):
    """Two SIGKILLs at random moments of a 200-invitation launch, the mailbox never held."""
    n, kills = 200, 2
    env = processes.environment(settings, _address(temporal), tmp_path / "data")
    worker = processes.start_worker(env, tmp_path)
    rng = random.Random()
    try:
        seeded = await _launch(temporal, settings, db, n)
        # Random moments while mail is flowing: a number of messages drawn up front, far enough
        # from the end that a restarted worker cannot finish the launch before the next kill,
        # plus a random fraction of a second, wherever the lanes happen to be.
        for moment in sorted(rng.sample(range(5, n - 80), kills)):
            await _wait_for(mailbox, moment, timeout=120)
            await asyncio.sleep(rng.uniform(0, 0.4))
            worker.kill()
            assert _unique(mailbox) < n, "the launch was still running when the worker died"
            worker = processes.start_worker(env, tmp_path)
        await _complete(temporal, seeded, n)
        await _settled(mailbox)
    finally:
        worker.stop()
    tally = mailbox.tally(expected=_invitation_ids(settings, seeded), kind="invitation")
    report(f"worker SIGKILL x{kills} at random moments", n, tally)
    assert (tally.unique, tally.lost) == (n, 0)
    # What remains (see README, durability): a message the server took in the instant before
    # the worker read the 250 and noted it. At most one per SMTP connection per kill.
    assert tally.duplicates <= kills * MESSAGES_IN_FLIGHT
    _database_agrees(db, seeded, n)


async def test_one_of_two_workers_killed_at_a_random_moment(temporal, settings, db, mailbox, tmp_path):
    """Two workers on two "machines" (their own data folders, so no shared journal): one is
    killed at a random moment; the other finishes from the heartbeat details alone."""
    n = 200
    address = _address(temporal)
    workers = [
        processes.start_worker(processes.environment(settings, address, tmp_path / f"data-{k}"), tmp_path)
        for k in (1, 2)
    ]
    rng = random.Random()
    try:
        await _all_polling(temporal, settings, workers)  # so both take batches
        seeded = await _launch(temporal, settings, db, n)
        await _wait_for(mailbox, rng.randrange(10, 80), timeout=120)
        await asyncio.sleep(rng.uniform(0, 0.4))
        workers[0].kill()
        assert _unique(mailbox) < n, "the launch was still running when the worker died"
        await _complete(temporal, seeded, n)
        await _settled(mailbox)
    finally:
        for worker in workers:
            worker.stop()
    tally = mailbox.tally(expected=_invitation_ids(settings, seeded), kind="invitation")
    report("1 of 2 workers SIGKILL (no shared journal)", n, tally)
    assert (tally.unique, tally.lost) == (n, 0)
    assert tally.duplicates <= MESSAGES_IN_FLIGHT
    _database_agrees(db, seeded, n)


# ---- the SMTP server refusing ----------------------------------------------------------


@pytest.mark.any_database  # the SMTP server refuses; the worker's records are those of any launch
@pytest.mark.parametrize(
    ("scenario", "faults"),
    [
        ("451 at RCPT for 6 s", SmtpFaults(rcpt="451 4.3.0 mailbox busy, try again later")),
        ("451 at DATA for 6 s", SmtpFaults(data="451 4.3.0 queue full")),
        ("421 at MAIL for 6 s", SmtpFaults(mail="421 4.3.2 service shutting down")),
        ("connections refused for 6 s", None),
    ],
    ids=["451-rcpt", "451-data", "421-mail", "refused"],
)
async def test_smtp_outage_mid_launch(temporal, settings, db, mailbox, tmp_path, scenario, faults):
    n, outage = 100, 6.0
    env = processes.environment(settings, _address(temporal), tmp_path / "data")
    worker = processes.start_worker(env, tmp_path)
    try:
        seeded = await _launch(temporal, settings, db, n)
        await _wait_for(mailbox, random.randrange(5, 40))
        if faults is None:
            mailbox.stop()
        else:
            mailbox.fail(faults)
        await asyncio.sleep(outage / 2)
        during = await workflow_client.campaign_progress(temporal.client, seeded.campaign.id)
        assert not during.launch_complete and during.undeliverable == 0, during
        await asyncio.sleep(outage / 2)
        if faults is None:
            mailbox.start()
        else:
            mailbox.heal()
        progress = await _complete(temporal, seeded, n)
        await _settled(mailbox)
    finally:
        if mailbox._controller is None:
            mailbox.start()
        mailbox.heal()
        worker.stop()
    tally = mailbox.tally(expected=_invitation_ids(settings, seeded), kind="invitation")
    report(scenario, n, tally)
    assert (progress.invited, progress.undeliverable) == (n, 0)
    assert (tally.sent, tally.unique, tally.duplicates, tally.lost) == (n, n, 0, 0)
    _database_agrees(db, seeded, n)


# ---- the database dropping connections -----------------------------------------------


async def test_database_connections_dropped_mid_launch(temporal, settings, db, mailbox, tmp_path):
    """pg_terminate_backend on every connection every 0.3 s while a 200-invitation launch sends."""
    if db.dialect.name != "postgresql":
        pytest.skip("connections are dropped with pg_terminate_backend (PostgreSQL only)")
    n = 200
    env = processes.environment(settings, _address(temporal), tmp_path / "data")
    worker = processes.start_worker(env, tmp_path)
    try:
        seeded = await _launch(temporal, settings, db, n)
        with dropping_connections(
            db,
            every=0.3,
            start_when=lambda: len(mailbox.messages) > 0,
            stop_when=lambda: len(mailbox.messages) >= n,
            at_most=30,
        ) as terminated:
            await _wait_for(mailbox, n, timeout=120)
        await _complete(temporal, seeded, n)
        await _settled(mailbox)
    finally:
        worker.stop()
    tally = mailbox.tally(expected=_invitation_ids(settings, seeded), kind="invitation")
    report(f"pg drops every 0.3 s ({terminated[0]} terminated)", n, tally)
    assert (tally.sent, tally.unique, tally.duplicates, tally.lost) == (n, n, 0, 0)
    _database_agrees(db, seeded, n)


# ---- the API killed during concurrent signings ---------------------------------------


RECEIPT = re.compile(r"PF-[0-9A-F]{16}")


async def _sign(base: str, token: str, name: str, seen: Counter[str] | None = None) -> str:
    """One signatory: open the page, sign; on a dropped connection or a 5xx, try again (as a
    person would reload) until the page says signed or already signed. Returns which; `seen`
    counts what came back on the way ("dropped", "503 page", "500", ...)."""
    seen = Counter() if seen is None else seen
    for _ in range(200):
        try:
            # A browser waits minutes; the server bounds each of its waits (a database connection,
            # a workflow's answer) at 10 s, so 45 s without an answer is a request it lost.
            async with httpx.AsyncClient(base_url=base, timeout=45) as browser:
                page = await browser.get(f"/s/{token}")
                _note(seen, page)
                if page.status_code == 409 and "already signed" in page.text:
                    return "already signed"
                if page.status_code != 200:
                    raise httpx.HTTPStatusError("not yet", request=page.request, response=page)
                done = await browser.post(
                    f"/s/{token}/sign",
                    data={
                        "signer_name": name,
                        "signer_title": "Director",
                        "consent": "yes",
                        "csrf_token": csrf_from(page.text),
                    },
                )
                _note(seen, done)
                if done.status_code == 200 and RECEIPT.search(done.text):
                    return "receipt"
                if done.status_code == 409 and "already signed" in done.text:
                    return "already signed"
                raise httpx.HTTPStatusError("retry", request=done.request, response=done)
        except httpx.HTTPStatusError:
            await asyncio.sleep(0.3)
        except httpx.TransportError as exc:
            seen["dropped"] += 1
            # Which request, how: a timeout (the server held it) is not a reset (the server lost it).
            seen[f"dropped: {exc.request.method} {type(exc).__name__}"] += 1
            await asyncio.sleep(0.3)
    raise AssertionError(f"{name} could never sign")


def _note(seen: Counter[str], answer: httpx.Response) -> None:
    if answer.status_code == 503 and answer.headers.get("retry-after") and "<html" in answer.text:
        seen["503 page"] += 1
    elif answer.status_code >= 500:
        seen[str(answer.status_code)] += 1


async def _confirmations_settled(mailbox: MailSink, n: int) -> None:
    """Every signatory's confirmation has arrived, and nothing more does."""
    await eventually(
        lambda: asyncio.sleep(0, mailbox.tally(kind="signature_confirmation").unique),
        lambda unique: unique >= n,
        timeout=90,
    )
    await _settled(mailbox)


def _signatures_per_invitation(db, seeded) -> Counter[int]:
    """How many signatures are recorded for each invitation of the campaign."""
    with Session(db) as session:
        return Counter(
            session.exec(
                select(Signature.invitation_id).where(
                    col(Signature.invitation_id).in_([i.id for i in seeded.invitations])
                )
            ).all()
        )


async def test_api_killed_during_concurrent_signings(temporal, settings, db, mailbox, tmp_path):
    n = 40
    env = processes.environment(settings, _address(temporal), tmp_path / "data")
    worker = processes.start_worker(env, tmp_path)
    api, base = await asyncio.to_thread(processes.start_api, env, tmp_path)
    port = int(base.rsplit(":", 1)[1])
    try:
        seeded = await _launch(temporal, settings, db, n)
        await _wait_for(mailbox, n, timeout=120)
        tokens = [sign_token(m) for m in mailbox.messages if m.kind == "invitation"]
        assert len(tokens) == n
        signing = [asyncio.ensure_future(_sign(base, token, f"Signer {i}")) for i, token in enumerate(tokens)]
        await asyncio.sleep(random.uniform(0.05, 0.6))
        api.kill()
        killed_at = time.monotonic()
        api, _ = await asyncio.to_thread(processes.start_api, env, tmp_path, port)
        answers = Counter(await asyncio.gather(*signing))
        restarted_in = time.monotonic() - killed_at
        await _confirmations_settled(mailbox, n)
    finally:
        api.stop()
        worker.stop()
    signed = _signatures_per_invitation(db, seeded)
    confirmations = mailbox.tally(kind="signature_confirmation")
    report(f"API SIGKILL during {n} signings (back in {restarted_in:.1f} s)", n, confirmations)
    assert sorted(signed.values()) == [1] * n, "every signature recorded exactly once"
    assert answers["receipt"] + answers["already signed"] == n, answers
    assert (confirmations.sent, confirmations.unique, confirmations.duplicates) == (n, n, 0)


async def test_signings_while_database_connections_drop(temporal, settings, db, mailbox, tmp_path):
    """40 signatories at once while PostgreSQL terminates every connection every 0.3 s: each
    request gets a whole answer (the receipt, "already signed" or a 503 page), never a dropped
    connection, and each signature is recorded once."""
    if db.dialect.name != "postgresql":
        pytest.skip("connections are dropped with pg_terminate_backend (PostgreSQL only)")
    n = 40
    env = processes.environment(settings, _address(temporal), tmp_path / "data")
    worker = processes.start_worker(env, tmp_path)
    api, base = await asyncio.to_thread(processes.start_api, env, tmp_path)
    seen: Counter[str] = Counter()
    try:
        seeded = await _launch(temporal, settings, db, n)
        await _complete(temporal, seeded, n)
        tokens = [sign_token(m) for m in mailbox.messages if m.kind == "invitation"]
        with dropping_connections(db, every=0.3, at_most=15) as terminated:
            answers = Counter(
                await asyncio.gather(*(_sign(base, t, f"Signer {i}", seen) for i, t in enumerate(tokens)))
            )
        await _confirmations_settled(mailbox, n)
    finally:
        api.stop()
        worker.stop()
    signed = _signatures_per_invitation(db, seeded)
    confirmations = mailbox.tally(kind="signature_confirmation")
    report(f"signings, pg drops ({terminated[0]} terminated, {seen['503 page']} x 503)", n, confirmations)
    assert sorted(signed.values()) == [1] * n
    assert answers["receipt"] + answers["already signed"] == n
    assert seen["dropped"] == 0 and seen["500"] == 0, (seen, api.output()[-3000:], worker.output()[-3000:])
    assert (confirmations.sent, confirmations.unique, confirmations.duplicates) == (n, n, 0)
