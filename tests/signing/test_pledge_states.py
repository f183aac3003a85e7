"""PledgeWorkflow's state machine on the time-skipping server, with activity doubles.

No database, no SMTP server: the activities are stand-ins registered under the real names
(tests/signing/pledge_doubles.py), so each answer, the chase and its end run in milliseconds.
The real activities have their own tests against the real components.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.helpers import eventually
from tests.signing.pledge_doubles import SUCCESSOR_ID, CampaignListener, PledgeActivityDoubles
from workflows.chasing import ChasePlan, LadderStep, deadline_moment
from workflows.ids import campaign_workflow_id, pledge_workflow_id
from workflows.pledge import PledgeWorkflow
from workflows.pledge_messages import (
    CampaignEnded,
    DeadlineChange,
    DeclineRequest,
    DelegateRequest,
    PledgeInput,
    PledgeView,
    Rejection,
    ReminderNow,
    SignRequest,
    WithdrawRequest,
)
from workflows.quiet_hours import QuietWindow

pytestmark = pytest.mark.workflow


DAY = timedelta(days=1)
ORGANISATION = 7
INVITATION = 70


@dataclass
class Pledge:
    """One pledge workflow under test, the campaign it reports to, and the doubles it called."""

    campaign_id: int
    handle: WorkflowHandle[Any, Any]
    campaign: WorkflowHandle[Any, Any]
    doubles: PledgeActivityDoubles

    async def view(self) -> PledgeView:
        result: PledgeView = await self.handle.query(PledgeWorkflow.view)
        return result

    async def campaign_heard(self) -> list[tuple[str, int]]:
        """What the campaign was told: (event, invitation id), in order."""
        changes = await self.campaign.query(CampaignListener.changes)
        return [(c.event, c.invitation_id) for c in changes]

    async def emails_once(self, count: int) -> list[str]:
        """The kinds of email sent, once there are `count` of them."""
        return await eventually(lambda: _now(self.doubles.emails()), lambda kinds: len(kinds) >= count)

    async def called(self, name: str, count: int = 1) -> list[Any]:
        """The requests to one activity, once there are `count` of them."""
        return await eventually(lambda: _now(self.doubles.named(name)), lambda calls: len(calls) >= count)


async def _now(value: Any) -> Any:
    return value


@contextlib.asynccontextmanager
async def running_pledge(
    module_ts_env: WorkflowEnvironment, plan: ChasePlan | None = None
) -> AsyncIterator[Pledge]:
    """A pledge workflow on a fresh task queue, with its doubles and a listening campaign."""
    queue = f"pledge-states-{uuid.uuid4()}"
    campaign_id = uuid.uuid4().int % 10**9
    now = await module_ts_env.get_current_time()
    doubles = PledgeActivityDoubles()
    async with Worker(
        module_ts_env.client,
        task_queue=queue,
        workflows=[PledgeWorkflow, CampaignListener],
        activities=doubles.activities(),
    ):
        campaign = await module_ts_env.client.start_workflow(
            CampaignListener.run, id=campaign_workflow_id(campaign_id), task_queue=queue
        )
        handle = await module_ts_env.client.start_workflow(
            PledgeWorkflow.run,
            PledgeInput(
                campaign_id=campaign_id,
                organisation_id=ORGANISATION,
                invitation_id=INVITATION,
                email_task_queue=queue,
                plan=plan or ChasePlan(started_at=now, quiet=QuietWindow(enabled=False)),
            ),
            id=pledge_workflow_id(campaign_id, ORGANISATION),
            task_queue=queue,
        )
        pledge = Pledge(campaign_id, handle, campaign, doubles)
        # An update that came before the run started would meet an empty state: start first.
        await eventually(pledge.view, lambda v: v.invitation_id == INVITATION)
        try:
            yield pledge
        finally:
            for running in (handle, campaign):
                with contextlib.suppress(Exception):
                    await running.terminate("test over")


async def rejection(update: Callable[[], Awaitable[Any]]) -> str:
    """The error type an update was rejected with."""
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await update()
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    return str(cause.type)


def _sign(invitation_id: int = INVITATION, name: str = "Ama Owusu") -> SignRequest:
    return SignRequest(
        invitation_id, f"  {name} ", " Director ", consent=True, publish_name=True, ip="192.0.2.1"
    )


async def test_a_signature_is_recorded_with_the_signers_facts_and_is_final(module_ts_env):
    async with running_pledge(module_ts_env) as pledge:
        result = await pledge.handle.execute_update(PledgeWorkflow.sign, _sign())
        [done] = await pledge.called("complete_signature")
        signature = done.signature
        assert (signature.signer_name, signature.signer_title) == ("Ama Owusu", "Director")
        assert signature.publish_name and signature.ip == "192.0.2.1"
        assert (signature.invitation_id, signature.receipt_id) == (INVITATION, result.receipt_id)
        assert (done.campaign_id, done.organisation_id) == (pledge.campaign_id, ORGANISATION)
        view = await pledge.view()
        assert (view.status, view.receipt_id, view.signer_name) == ("signed", result.receipt_id, "Ama Owusu")
        assert view.next_step_at is None and view.problems == []
        assert await rejection(lambda: pledge.handle.execute_update(PledgeWorkflow.sign, _sign())) == (
            Rejection.already_signed
        )
        assert len(pledge.doubles.named("complete_signature")) == 1


async def test_an_invalid_signature_never_reaches_the_records(module_ts_env):
    async with running_pledge(module_ts_env) as pledge:
        blank = SignRequest(INVITATION, " ", "Director", consent=True)
        no_consent = SignRequest(INVITATION, "Ama", "Director", consent=False)
        other_link = _sign(invitation_id=INVITATION + 1)
        for request, expected in [
            (blank, Rejection.invalid),
            (no_consent, Rejection.invalid),
            (other_link, Rejection.stale_link),
        ]:
            assert await rejection(
                lambda r=request: pledge.handle.execute_update(PledgeWorkflow.sign, r)
            ) == (expected)
        assert (await pledge.view()).status == "open"
        assert pledge.doubles.calls == []


async def test_a_decline_is_recorded_and_the_campaign_and_coordinator_are_told(module_ts_env):
    async with running_pledge(module_ts_env) as pledge:
        await pledge.handle.execute_update(PledgeWorkflow.decline, DeclineRequest(INVITATION, "  no budget "))
        assert await pledge.emails_once(1) == ["decline_notice"]
        [recorded] = pledge.doubles.named("record_decline")
        assert (recorded.invitation_id, recorded.reason) == (INVITATION, "no budget")
        assert await pledge.campaign_heard() == [("declined", INVITATION)]
        assert (await pledge.view()).status == "declined"
        assert await rejection(lambda: pledge.handle.execute_update(PledgeWorkflow.sign, _sign())) == (
            Rejection.already_declined
        )


async def test_a_delegation_hands_the_invitation_to_the_colleague(module_ts_env):
    async with running_pledge(module_ts_env) as pledge:
        result = await pledge.handle.execute_update(
            PledgeWorkflow.delegate,
            DelegateRequest(INVITATION, name=" Kofi Mensah ", email=" Kofi@X.example "),
        )
        assert result.delegate_email == "kofi@x.example"
        assert await pledge.emails_once(2) == ["invitation", "delegation_notice"]
        [handed] = pledge.doubles.named("delegate_invitation")
        assert (handed.invitation_id, handed.name, handed.email) == (
            INVITATION,
            "Kofi Mensah",
            "kofi@x.example",
        )
        assert {e.invitation_id for e in pledge.doubles.named("send_email")} == {SUCCESSOR_ID}
        assert await pledge.campaign_heard() == [("delegated", SUCCESSOR_ID)]
        view = await pledge.view()
        assert (view.status, view.invitation_id, view.delegations) == ("open", SUCCESSOR_ID, 1)
        assert await rejection(lambda: pledge.handle.execute_update(PledgeWorkflow.sign, _sign())) == (
            Rejection.stale_link
        )
        await pledge.handle.execute_update(PledgeWorkflow.sign, _sign(SUCCESSOR_ID, "Kofi Mensah"))
        [done] = await pledge.called("complete_signature")
        assert done.signature.invitation_id == SUCCESSOR_ID


async def test_a_withdrawal_after_signing_is_recorded_and_told(module_ts_env):
    async with running_pledge(module_ts_env) as pledge:
        assert (
            await rejection(
                lambda: pledge.handle.execute_update(
                    PledgeWorkflow.withdraw, WithdrawRequest(INVITATION, "why")
                )
            )
            == Rejection.not_signed
        )
        await pledge.handle.execute_update(PledgeWorkflow.sign, _sign())
        await pledge.called("complete_signature")
        result = await pledge.handle.execute_update(
            PledgeWorkflow.withdraw, WithdrawRequest(INVITATION, " changed our mind ")
        )
        assert result.after_in_force is False
        [withdrawn] = await pledge.called("record_withdrawal")
        assert (withdrawn.reason, withdrawn.after_in_force) == ("changed our mind", False)
        assert await pledge.emails_once(1) == ["withdrawal_notice"]
        assert pledge.doubles.named("send_email")[0].params == {"after_in_force": False}
        assert await pledge.campaign_heard() == [("withdrawn", INVITATION)]
        assert (await pledge.view()).status == "withdrawn"


async def test_the_ladder_runs_in_order_then_the_invitation_expires(module_ts_env):
    now = await module_ts_env.get_current_time()
    plan = ChasePlan(
        started_at=now,
        deadline_at=now + 10 * DAY,
        reminder_days=[2],
        ladder=[LadderStep(4, "escalation_contact"), LadderStep(6, "coordinator")],
        quiet=QuietWindow(enabled=False),
    )
    async with running_pledge(module_ts_env, plan) as pledge:
        await module_ts_env.sleep(11 * DAY)
        view = await eventually(pledge.view, lambda v: v.status == "expired")
        assert await pledge.emails_once(4) == ["reminder", "escalation", "escalation", "expiry_notice"]
        escalations = pledge.doubles.named("record_escalation")
        assert [(e.level, e.role, e.last_level) for e in escalations] == [
            (1, "escalation_contact", False),
            (2, "coordinator", True),
        ]
        assert [e.invitation_id for e in pledge.doubles.named("expire_invitation")] == [INVITATION]
        reminder = pledge.doubles.named("send_email")[0]
        assert reminder.params == {"number": 1, "total": 1}
        assert reminder.planned_at == now + 2 * DAY
        assert await pledge.campaign_heard() == [("unresponsive", INVITATION), ("expired", INVITATION)]
        assert (view.reminders_sent, view.escalation_level, view.next_step_at) == (1, 2, None)
        assert await rejection(lambda: pledge.handle.execute_update(PledgeWorkflow.sign, _sign())) == (
            Rejection.expired
        )


async def test_an_extended_deadline_replans_the_chase_and_tells_the_contact(module_ts_env):
    now = await module_ts_env.get_current_time()
    plan = ChasePlan(started_at=now, deadline_at=now + 3 * DAY, quiet=QuietWindow(enabled=False))
    async with running_pledge(module_ts_env, plan) as pledge:
        earlier = (now + DAY).date().isoformat()
        assert (
            await rejection(
                lambda: pledge.handle.execute_update(PledgeWorkflow.extend_deadline, DeadlineChange(earlier))
            )
            == Rejection.invalid
        )
        later = (now + 10 * DAY).date().isoformat()
        change = DeadlineChange(deadline=later, timezone="UTC", actor="coordinator@test.example")
        assert await pledge.handle.execute_update(PledgeWorkflow.extend_deadline, change) == later
        [recorded] = await pledge.called("set_invitation_deadline")
        assert (recorded.deadline, recorded.actor) == (later, "coordinator@test.example")
        assert await pledge.emails_once(1) == ["deadline_extended"]
        assert (await pledge.view()).deadline_at == deadline_moment(later, "UTC")
        await module_ts_env.sleep(5 * DAY)  # past the old deadline
        assert (await pledge.view()).status == "open"
        assert pledge.doubles.named("expire_invitation") == []
        await module_ts_env.sleep(7 * DAY)  # past the new one
        await eventually(pledge.view, lambda v: v.status == "expired")
        assert await pledge.campaign_heard() == [("expired", INVITATION)]


async def test_a_campaign_extension_without_notice_moves_the_deadline_and_emails_no_one(module_ts_env):
    now = await module_ts_env.get_current_time()
    plan = ChasePlan(started_at=now, deadline_at=now + 3 * DAY, quiet=QuietWindow(enabled=False))
    async with running_pledge(module_ts_env, plan) as pledge:
        later = (now + 10 * DAY).date().isoformat()
        change = DeadlineChange(deadline=later, timezone="UTC", actor="c@x", notify=False)
        await pledge.handle.signal(PledgeWorkflow.campaign_deadline_changed, change)
        await eventually(pledge.view, lambda v: v.deadline_at == deadline_moment(later, "UTC"))
        await module_ts_env.sleep(5 * DAY)  # past the old deadline: still open, nobody told
        assert (await pledge.view()).status == "open"
        assert pledge.doubles.emails() == []


async def test_a_reminder_now_is_sent_once_per_request_and_only_while_open(module_ts_env):
    async with running_pledge(module_ts_env) as pledge:
        first = ReminderNow(invitation_id=INVITATION, request_id="req1", actor="c@x")
        await pledge.handle.signal(PledgeWorkflow.remind_now, first)
        await pledge.handle.signal(PledgeWorkflow.remind_now, first)  # a retried broadcast
        await pledge.handle.signal(
            PledgeWorkflow.remind_now, ReminderNow(INVITATION + 1, "req2")
        )  # not its link
        assert await pledge.emails_once(1) == ["reminder"]
        [sent] = pledge.doubles.named("send_email")
        assert sent.step == f"remind-now-req1-{INVITATION}" and sent.params["number"] == 1
        await pledge.handle.signal(PledgeWorkflow.remind_now, ReminderNow(INVITATION, "req3"))
        assert await pledge.emails_once(2) == ["reminder", "reminder"]
        assert pledge.doubles.named("send_email")[1].step == f"remind-now-req3-{INVITATION}"
        assert (await pledge.view()).reminders_sent == 0, "the planned chase is unchanged"
        await pledge.handle.execute_update(PledgeWorkflow.sign, _sign())
        await pledge.called("complete_signature")
        await pledge.handle.signal(PledgeWorkflow.remind_now, ReminderNow(INVITATION, "req4"))
        await pledge.handle.query(PledgeWorkflow.view)  # the signal was handled
        assert pledge.doubles.emails() == ["reminder", "reminder"], "a signed pledge is not reminded"


async def test_a_cancelled_campaign_closes_the_invitation_and_ends_the_pledge(module_ts_env):
    async with running_pledge(module_ts_env) as pledge:
        await pledge.handle.signal(PledgeWorkflow.campaign_ended, CampaignEnded("cancelled", "funding gone"))
        view: PledgeView = await asyncio.wait_for(pledge.handle.result(), timeout=20)
        assert view.status == "open" and view.problems == []
        assert [c.invitation_id for c in pledge.doubles.named("close_invitation")] == [INVITATION]
        assert pledge.doubles.emails() == ["campaign_cancelled"]
        assert pledge.doubles.named("send_email")[0].params == {"reason": "funding gone"}


async def test_a_closed_campaign_ends_a_signed_pledge_without_touching_the_records(module_ts_env):
    async with running_pledge(module_ts_env) as pledge:
        await pledge.handle.execute_update(PledgeWorkflow.sign, _sign())
        await pledge.called("complete_signature")
        await pledge.handle.signal(PledgeWorkflow.campaign_ended, CampaignEnded("closed"))
        view: PledgeView = await asyncio.wait_for(pledge.handle.result(), timeout=20)
        assert view.status == "signed"
        assert pledge.doubles.named("close_invitation") == [] and pledge.doubles.emails() == []
