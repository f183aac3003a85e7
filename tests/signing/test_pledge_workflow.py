"""Launch, invitation, signing, decline and delegation on the time-skipping server."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from models.invitation import InvitationStatus
from pledgeflow.db import session_scope
from pledgeflow.links import LinkPurpose, LinkSigner
from services import invitations, signatures
from tests import factories
from tests.conftest import TEST_SECRET
from tests.helpers import eventually, running_workers, sign_token
from workflows import client as workflow_client
from workflows.pledge import PledgeWorkflow
from workflows.pledge_messages import DeclineRequest, DelegateRequest, Rejection, SignRequest


async def _launch(ts_env, settings, db, count=3):
    seeded = factories.campaign_with_invitees(db, count=count)
    factories.launch(db, seeded.campaign.id)
    await workflow_client.start_campaign(ts_env.client, settings, seeded.campaign.id)
    return seeded


async def test_launch_sends_one_invitation_per_organisation(
    ts_env: WorkflowEnvironment, settings, db, mailbox
):
    async with running_workers(ts_env.client, settings, db):
        seeded = await _launch(ts_env, settings, db)
        received = await mailbox.wait_for_async(3)
        assert sorted(m.recipients[0] for m in received) == sorted(c.email for c in seeded.contacts)
        # Launching again neither restarts the campaign nor invites twice.
        await workflow_client.start_campaign(ts_env.client, settings, seeded.campaign.id)
        await eventually(
            lambda: workflow_client.campaign_progress(ts_env.client, seeded.campaign.id),
            lambda p: p.invited == 3 and p.launch_complete,
        )
        assert len(mailbox.messages) == 3
        for mail in received:
            assert mail.text and mail.html and "Ghana Customs Integrity Pact" in mail.subject
            claims = LinkSigner(TEST_SECRET).read(sign_token(mail), LinkPurpose.sign)
            with session_scope(db) as session:
                assert invitations.get_or_raise(session, claims.subject_id).status is InvitationStatus.sent


async def test_signing_records_signature_sends_receipt_and_counts(ts_env, settings, db, mailbox):
    async with running_workers(ts_env.client, settings, db):
        seeded = await _launch(ts_env, settings, db)
        await mailbox.wait_for_async(3)
        organisation = seeded.organisations[0]
        handle = workflow_client.pledge_handle(ts_env.client, seeded.campaign.id, organisation.id)
        first = seeded.invitations[0].id
        assert seeded.invitations[0].organisation_id == organisation.id
        result = await handle.execute_update(
            PledgeWorkflow.sign,
            SignRequest(
                invitation_id=first,
                signer_name="Kwame Mensah",
                signer_title="Director",
                consent=True,
                ip="203.0.113.7",
                user_agent="pytest",
            ),
        )
        assert result.receipt_id.startswith("PF-")
        confirmation = await mailbox.wait_for_async(
            1, to=seeded.contacts[0].email, subject_contains="Receipt"
        )
        assert confirmation and result.receipt_id in confirmation[0].text
        with session_scope(db) as session:
            signature = signatures.get_by_receipt(session, result.receipt_id)
            assert signature is not None
            assert (signature.signer_name, signature.ip, signature.user_agent) == (
                "Kwame Mensah",
                "203.0.113.7",
                "pytest",
            )
            assert signature.pledge_sha256 in confirmation[0].text
        await eventually(
            lambda: workflow_client.campaign_progress(ts_env.client, seeded.campaign.id),
            lambda p: (p.signed, p.open) == (1, 2),
        )

        # A second signature is rejected by the validator, before it reaches history.
        with pytest.raises(WorkflowUpdateFailedError) as rejected:
            await handle.execute_update(
                PledgeWorkflow.sign,
                SignRequest(
                    invitation_id=first, signer_name="Someone Else", signer_title="Deputy", consent=True
                ),
            )
        assert rejected.value.cause.type == Rejection.already_signed
        history = await handle.fetch_history()
        accepted = [
            e for e in history.events if e.HasField("workflow_execution_update_accepted_event_attributes")
        ]
        assert len(accepted) == 1


async def test_invalid_signature_is_rejected_before_history(ts_env, settings, db, mailbox):
    async with running_workers(ts_env.client, settings, db):
        seeded = await _launch(ts_env, settings, db, count=1)
        await mailbox.wait_for_async(1)
        handle = workflow_client.pledge_handle(ts_env.client, seeded.campaign.id, seeded.organisations[0].id)
        own = seeded.invitations[0].id
        for bad in (
            SignRequest(invitation_id=own, signer_name=" ", signer_title="Director", consent=True),
            SignRequest(invitation_id=own, signer_name="Kwame", signer_title="Director", consent=False),
            SignRequest(invitation_id=own + 1000, signer_name="Kwame", signer_title="Director", consent=True),
        ):
            with pytest.raises(WorkflowUpdateFailedError):
                await handle.execute_update(PledgeWorkflow.sign, bad)
        history = await handle.fetch_history()
        assert not [
            e for e in history.events if e.HasField("workflow_execution_update_accepted_event_attributes")
        ]
        assert (await handle.query(PledgeWorkflow.view)).status == "open"


async def test_decline_tells_the_coordinator(ts_env, settings, db, mailbox):
    async with running_workers(ts_env.client, settings, db):
        seeded = await _launch(ts_env, settings, db, count=2)
        await mailbox.wait_for_async(2)
        handle = workflow_client.pledge_handle(ts_env.client, seeded.campaign.id, seeded.organisations[1].id)
        second = seeded.invitations[1].id
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(
                PledgeWorkflow.decline, DeclineRequest(invitation_id=second, reason="  ")
            )
        await handle.execute_update(
            PledgeWorkflow.decline, DeclineRequest(invitation_id=second, reason="Not our remit")
        )
        notice = await mailbox.wait_for_async(1, to=seeded.coordinator.email, subject_contains="declined")
        assert notice and "Not our remit" in notice[0].text and "Organisation 2" in notice[0].subject
        with session_scope(db) as session:
            invitation = invitations.get_or_raise(session, second)
            assert (
                invitation.status is InvitationStatus.declined
                and invitation.decline_reason == "Not our remit"
            )
        await eventually(
            lambda: workflow_client.campaign_progress(ts_env.client, seeded.campaign.id),
            lambda p: p.declined == 1,
        )


async def test_delegation_invites_the_colleague_and_closes_the_old_link(ts_env, settings, db, mailbox):
    async with running_workers(ts_env.client, settings, db):
        seeded = await _launch(ts_env, settings, db, count=1)
        await mailbox.wait_for_async(1)
        handle = workflow_client.pledge_handle(ts_env.client, seeded.campaign.id, seeded.organisations[0].id)
        old = seeded.invitations[0].id
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(
                PledgeWorkflow.delegate, DelegateRequest(invitation_id=old, name="Ama", email="not-an-email")
            )
        await handle.execute_update(
            PledgeWorkflow.delegate,
            DelegateRequest(invitation_id=old, name="Ama Owusu", email="ama@org1.example"),
        )
        fresh = await mailbox.wait_for_async(1, to="ama@org1.example")
        assert fresh, "the colleague gets an invitation of their own"
        claims = LinkSigner(TEST_SECRET).read(sign_token(fresh[0]), LinkPurpose.sign)
        assert claims.subject_id != old
        # The old link no longer signs.
        with pytest.raises(WorkflowUpdateFailedError) as stale:
            await handle.execute_update(
                PledgeWorkflow.sign,
                SignRequest(invitation_id=old, signer_name="Kofi", signer_title="CEO", consent=True),
            )
        assert stale.value.cause.type == Rejection.stale_link
        result = await handle.execute_update(
            PledgeWorkflow.sign,
            SignRequest(
                invitation_id=claims.subject_id,
                signer_name="Ama Owusu",
                signer_title="Compliance",
                consent=True,
            ),
        )
        await mailbox.wait_for_async(1, subject_contains="Receipt")
        with session_scope(db) as session:
            signature = signatures.get_by_receipt(session, result.receipt_id)
            public = signatures.public_view(session, signature)
            assert public.signer_name == "Ama Owusu"
            assert public.on_behalf_of == "Organisation 1"
            assert public.delegated_by and "Contact 1" in public.delegated_by
            assert invitations.get_or_raise(session, old).status is InvitationStatus.delegated
        await eventually(
            lambda: workflow_client.campaign_progress(ts_env.client, seeded.campaign.id),
            lambda p: (p.delegated, p.signed) == (1, 1),
        )
