"""A launch through an SMTP outage: not "complete" before its invitations went out; a refused
invitation is undeliverable in the workflow and in the database alike."""

from __future__ import annotations

from sqlmodel import Session
from temporalio.client import Client

from models.contact import ContactUpdate
from models.invitation import InvitationStatus
from pledgeflow.db import session_scope
from pledgeflow.dev.mail_sink import REFUSED_DOMAIN, SmtpFaults
from services import contacts, invitations
from tests import factories
from tests.helpers import eventually, running_workers
from workflows import client as workflow_client
from workflows.pledge import PledgeWorkflow


async def _batch_waiting_to_retry(client: Client, campaign_id: int) -> None:
    """Wait until the launch's batch has failed at least once and waits for its next attempt."""
    handle = workflow_client.campaign_handle(client, campaign_id)

    async def failed_attempts() -> list[bool]:
        described = await handle.describe()
        return [pending.HasField("last_failure") for pending in described.raw_description.pending_activities]

    await eventually(failed_attempts, any, timeout=30)


async def test_launch_is_not_complete_while_its_batch_is_still_retrying(dev_env, settings, db, mailbox):
    seeded = factories.campaign_with_invitees(db, count=3)
    factories.launch(db, seeded.campaign.id)
    mailbox.stop()  # the SMTP server refuses connections
    try:
        async with running_workers(dev_env.client, settings, db):
            await workflow_client.start_campaign(dev_env.client, settings, seeded.campaign.id)
            await _batch_waiting_to_retry(dev_env.client, seeded.campaign.id)
            during = await workflow_client.campaign_progress(dev_env.client, seeded.campaign.id)
            assert (during.launch_complete, during.invited, during.undeliverable) == (False, 0, 0)
            mailbox.start()
            after = await eventually(
                lambda: workflow_client.campaign_progress(dev_env.client, seeded.campaign.id),
                lambda p: p.launch_complete,
                timeout=60,
            )
    finally:
        if mailbox._controller is None:
            mailbox.start()
    assert (after.invited, after.undeliverable) == (3, 0)
    tally = mailbox.tally(kind="invitation")
    assert (tally.sent, tally.unique, tally.duplicates) == (3, 3, 0)


async def test_a_launch_through_a_451_at_rcpt_invites_everyone(dev_env, settings, db, mailbox):
    seeded = factories.campaign_with_invitees(db, count=3)
    factories.launch(db, seeded.campaign.id)
    mailbox.fail(SmtpFaults(rcpt="451 4.3.0 try again later"))
    async with running_workers(dev_env.client, settings, db):
        await workflow_client.start_campaign(dev_env.client, settings, seeded.campaign.id)
        await _batch_waiting_to_retry(dev_env.client, seeded.campaign.id)
        during = await workflow_client.campaign_progress(dev_env.client, seeded.campaign.id)
        assert (during.launch_complete, during.invited, during.undeliverable) == (False, 0, 0)
        assert mailbox.messages == []
        mailbox.heal()
        after = await eventually(
            lambda: workflow_client.campaign_progress(dev_env.client, seeded.campaign.id),
            lambda p: p.launch_complete,
            timeout=60,
        )
    assert (after.invited, after.undeliverable) == (3, 0)
    tally = mailbox.tally(kind="invitation")
    assert (tally.sent, tally.unique, tally.duplicates) == (3, 3, 0)


async def test_a_refused_invitation_stops_its_chase_and_is_undeliverable_in_the_database(
    dev_env, settings, db, mailbox
):
    seeded = factories.campaign_with_invitees(db, count=2)
    with session_scope(db) as session:
        contact = contacts.get_or_raise(session, seeded.contacts[1].id)
        contacts.update(
            session, contact=contact, data=ContactUpdate(email=f"gone@{REFUSED_DOMAIN}"), actor="t"
        )
    factories.launch(db, seeded.campaign.id)
    refused = seeded.invitations[1]
    async with running_workers(dev_env.client, settings, db):
        await workflow_client.start_campaign(dev_env.client, settings, seeded.campaign.id)
        progress = await eventually(
            lambda: workflow_client.campaign_progress(dev_env.client, seeded.campaign.id),
            lambda p: p.launch_complete,
            timeout=60,
        )
        handle = workflow_client.pledge_handle(dev_env.client, seeded.campaign.id, refused.organisation_id)
        view = await eventually(
            lambda: handle.query(PledgeWorkflow.view), lambda v: v.status != "open", timeout=20
        )
        delivered = await workflow_client.pledge_handle(
            dev_env.client, seeded.campaign.id, seeded.invitations[0].organisation_id
        ).query(PledgeWorkflow.view)
    assert (progress.invited, progress.undeliverable) == (1, 1)
    assert (view.status, view.next_step_at) == ("undeliverable", None)
    assert any("550" in p for p in view.problems)
    assert delivered.status == "open" and delivered.next_step_at is not None
    with Session(db) as session:
        assert invitations.get_or_raise(session, refused.id).status is InvitationStatus.undeliverable
        assert invitations.get_or_raise(session, seeded.invitations[0].id).status is InvitationStatus.sent
