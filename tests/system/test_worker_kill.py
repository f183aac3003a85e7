"""Kill the worker in the middle of a launch: every organisation still gets exactly one invitation."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from tests import factories
from tests.helpers import eventually
from tests.workerproc import kill, start_worker, stop, worker_env
from workflows import client as workflow_client

pytestmark = pytest.mark.devserver
ORGANISATIONS = 1000  # five batches: at most four run at once, so one waits for the next worker


async def _wait_for_mail(mailbox, count: int, timeout: float = 120) -> None:
    async def received():
        return len(mailbox.messages)

    await eventually(received, lambda n: n >= count, timeout=timeout)


async def _quiet(mailbox, still_for: float = 1.0) -> None:
    """Wait until no message has arrived for a while."""
    count = -1
    while count != len(mailbox.messages):
        count = len(mailbox.messages)
        await asyncio.sleep(still_for)


def _assert_exactly_once(mailbox, seeded) -> None:
    invitations = [m for m in mailbox.messages if m.kind == "invitation"]
    per_recipient = Counter(m.recipients[0] for m in invitations)
    assert set(per_recipient) == {c.email for c in seeded.contacts}, "none lost"
    twice = {r: n for r, n in per_recipient.items() if n > 1}
    assert not twice, f"none twice: {twice}"
    assert len({m.message_id for m in invitations}) == ORGANISATIONS


# A SIGKILL drops the worker's database connection mid-transaction: that runs on PostgreSQL too. A
# SIGTERM lets the email in progress finish as any other: the database kind cannot change it.
@pytest.mark.parametrize("how", ["SIGKILL", pytest.param("SIGTERM", marks=pytest.mark.any_database)])
async def test_a_worker_killed_mid_launch_loses_nothing_and_sends_nothing_twice(
    dev_env, settings, db, mailbox, how
):
    seeded = factories.campaign_with_invitees(db, count=ORGANISATIONS)
    factories.launch(db, seeded.campaign.id)
    # On SIGTERM a worker finishes its current email and hands its batch back (1 s grace).
    env = worker_env(
        settings,
        dev_env.client.service_client.config.target_host,
        PLEDGEFLOW_WORKER_SHUTDOWN_GRACE_SECONDS="1",
    )
    first = start_worker(env)
    try:
        await workflow_client.start_campaign(dev_env.client, settings, seeded.campaign.id)
        await _wait_for_mail(mailbox, ORGANISATIONS // 4)
        if how == "SIGKILL":
            # Kill between two SMTP transactions: every client waits at MAIL FROM. (A process
            # that dies in the instant after the server's 250 and before the outbox commit would
            # send that one message again on retry, with the same Message-ID: SMTP has no way
            # to ask a server whether it already took a message.)
            mailbox.hold()
            await _quiet(mailbox)
            kill(first)
            mailbox.release()
        else:
            assert stop(first) == 0
        stopped_at = len(mailbox.messages)
        assert stopped_at < ORGANISATIONS, "the launch was still running when the worker died"
        await asyncio.sleep(1)
        assert len(mailbox.messages) == stopped_at, "nothing is sent while no worker runs"
    finally:
        if first.poll() is None:
            kill(first)
    second = start_worker(env)
    try:
        progress = await eventually(
            lambda: workflow_client.campaign_progress(dev_env.client, seeded.campaign.id),
            lambda p: p.launch_complete and p.invited == ORGANISATIONS,
            timeout=180,
        )
        assert progress.invitations_planned == ORGANISATIONS
        await asyncio.sleep(1)
        _assert_exactly_once(mailbox, seeded)
    finally:
        assert stop(second) == 0
