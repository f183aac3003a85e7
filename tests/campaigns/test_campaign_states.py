"""CampaignWorkflow's state machine on the time-skipping server, with activity doubles.

The pledges are played by the test: it sends the `member_changed` signals a pledge workflow
sends. The activities are stand-ins under the real names (tests/campaigns/campaign_doubles.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.campaigns.campaign_doubles import CampaignActivityDoubles, invitation_of
from tests.helpers import eventually
from workflows.campaign import CampaignWorkflow
from workflows.campaign_messages import (
    AddInvitees,
    CampaignInput,
    CampaignProgress,
    EndCampaign,
    ExtendDeadline,
    OpenReviewCycle,
    RemindNow,
)
from workflows.ids import campaign_workflow_id
from workflows.pledge_messages import MemberChange
from workflows.quorum import GroupRule

pytestmark = pytest.mark.workflow


ORGANISATIONS = [1, 2, 3]


@dataclass
class Campaign:
    """One campaign workflow under test and the doubles it called."""

    env: WorkflowEnvironment
    handle: WorkflowHandle[Any, Any]
    doubles: CampaignActivityDoubles

    async def progress(self) -> CampaignProgress:
        result: CampaignProgress = await self.handle.query(CampaignWorkflow.progress)
        return result

    async def progress_once(self, check: Any) -> CampaignProgress:
        return await eventually(self.progress, check)

    async def answer(self, organisation_id: int, event: str) -> None:
        """What a pledge workflow tells its campaign."""
        at = await self.env.get_current_time()
        change = MemberChange(organisation_id, invitation_of(organisation_id), event, at)
        await self.handle.signal(CampaignWorkflow.member_changed, change)

    async def called(self, name: str, count: int = 1) -> list[Any]:
        """The requests to one activity, once there are `count` of them."""
        return await eventually(lambda: _now(self.doubles.named(name)), lambda calls: len(calls) >= count)


async def _now(value: Any) -> Any:
    return value


@contextlib.asynccontextmanager
async def launched(module_ts_env: WorkflowEnvironment, rule: GroupRule) -> AsyncIterator[Campaign]:
    """A campaign workflow on a fresh task queue, its three organisations invited."""
    queue = f"campaign-states-{uuid.uuid4()}"
    campaign_id = uuid.uuid4().int % 10**9
    doubles = CampaignActivityDoubles(list(ORGANISATIONS), rule)
    async with Worker(
        module_ts_env.client, task_queue=queue, workflows=[CampaignWorkflow], activities=doubles.activities()
    ):
        handle = await module_ts_env.client.start_workflow(
            CampaignWorkflow.run,
            CampaignInput(campaign_id=campaign_id, task_queue=queue, email_task_queue=queue),
            id=campaign_workflow_id(campaign_id),
            task_queue=queue,
        )
        campaign = Campaign(module_ts_env, handle, doubles)
        await campaign.progress_once(lambda p: p.launch_complete)
        try:
            yield campaign
        finally:
            with contextlib.suppress(Exception):
                await handle.terminate("test over")


AT_LEAST_TWO = GroupRule(name="customs", rule="at_least", n=2)
EVERYONE = GroupRule(name="customs", rule="all")


async def test_the_launch_invites_everyone_and_the_tally_follows_the_answers(module_ts_env):
    async with launched(module_ts_env, AT_LEAST_TWO) as campaign:
        progress = await campaign.progress()
        assert (progress.status, progress.invitations_planned, progress.invited, progress.open) == (
            "launched",
            3,
            3,
            3,
        )
        [batch] = campaign.doubles.named("invite_batch")
        assert (batch.first_invitation_id, batch.last_invitation_id) == (invitation_of(1), invitation_of(3))
        await campaign.answer(1, "declined")
        await campaign.answer(2, "delegated")
        progress = await campaign.progress_once(lambda p: p.declined == 1 and p.delegated == 1)
        assert (progress.signed, progress.open, progress.status) == (0, 2, "launched")
        [group] = progress.groups
        assert (group.name, group.target, group.met, group.impossible) == ("customs", 2, False, False)
        assert campaign.doubles.named("mark_in_force") == []


async def test_the_pact_comes_in_force_when_the_quorum_is_reached(module_ts_env):
    async with launched(module_ts_env, AT_LEAST_TWO) as campaign:
        await campaign.answer(1, "signed")
        await campaign.progress_once(lambda p: p.signed == 1)
        assert campaign.doubles.named("mark_in_force") == []
        await campaign.answer(3, "signed")
        progress = await campaign.progress_once(lambda p: p.status == "in_force")
        assert progress.in_force_at is not None and progress.groups[0].met
        [marked] = await campaign.called("mark_in_force")
        assert [(g["name"], g["signed"], g["target"]) for g in marked.groups] == [("customs", 2, 2)]
        await campaign.called("broadcast_to_pledges")
        assert campaign.doubles.broadcasts() == [("pact_in_force", "all")]
        # One progress notice at a third of the target (1 of 2); the second signature meets the rule,
        # so the coordinator's announcement says it, not a notice for two thirds as well.
        assert campaign.doubles.emails() == ["progress_notice", "pact_in_force"]


async def test_one_signature_past_several_marks_sends_one_notice(module_ts_env):
    """With at least 1 of 3, one signature passes a third and two thirds and meets the rule at
    once: the coordinator hears it from the pact's announcement alone, not from two notices."""
    async with launched(module_ts_env, GroupRule(name="customs", rule="at_least", n=1)) as campaign:
        await campaign.answer(2, "signed")
        await campaign.progress_once(lambda p: p.status == "in_force")
        await campaign.called("broadcast_to_pledges")
        assert campaign.doubles.emails() == ["pact_in_force"]


async def test_a_withdrawal_breaks_the_quorum_and_a_new_signature_mends_it(module_ts_env):
    async with launched(module_ts_env, AT_LEAST_TWO) as campaign:
        await campaign.answer(1, "signed")
        await campaign.answer(2, "signed")
        await campaign.progress_once(lambda p: p.status == "in_force")
        await campaign.answer(2, "withdrawn")
        progress = await campaign.progress_once(lambda p: p.quorum_broken)
        assert (progress.status, progress.signed, progress.withdrawn) == ("in_force", 1, 1)
        await eventually(lambda: _now(campaign.doubles.emails()), lambda kinds: "quorum_broken" in kinds)
        [notice] = [r for r in campaign.doubles.named("send_email") if r.kind == "quorum_broken"]
        assert notice.params == {"groups": ["customs"]}
        await campaign.answer(3, "signed")
        progress = await campaign.progress_once(lambda p: not p.quorum_broken)
        assert progress.signed == 2
        assert len(campaign.doubles.named("mark_in_force")) == 1, "in force once"


async def test_a_quorum_that_can_no_longer_be_met_is_reported_once(module_ts_env):
    async with launched(module_ts_env, EVERYONE) as campaign:
        await campaign.answer(2, "declined")
        await campaign.progress_once(lambda p: p.groups[0].impossible)
        await eventually(lambda: _now(campaign.doubles.emails()), lambda kinds: "quorum_unreachable" in kinds)
        await campaign.answer(3, "expired")
        await campaign.progress_once(lambda p: p.expired == 1)
        assert campaign.doubles.emails().count("quorum_unreachable") == 1


async def test_a_deadline_extension_is_recorded_and_broadcast_to_open_pledges(module_ts_env):
    async with launched(module_ts_env, AT_LEAST_TWO) as campaign:
        with pytest.raises(WorkflowUpdateFailedError):
            await campaign.handle.execute_update(
                CampaignWorkflow.extend_deadline, ExtendDeadline("soon", "c@x")
            )
        assert (
            await campaign.handle.execute_update(
                CampaignWorkflow.extend_deadline, ExtendDeadline("2031-01-31", "coordinator@test.example")
            )
            == "2031-01-31"
        )
        [recorded] = campaign.doubles.named("extend_campaign_deadline")
        assert (recorded.deadline, recorded.actor) == ("2031-01-31", "coordinator@test.example")
        [broadcast] = campaign.doubles.named("broadcast_to_pledges")
        assert (broadcast.signal, broadcast.audience) == ("campaign_deadline_changed", "open")
        assert broadcast.payload["deadline"] == "2031-01-31"
        [event] = await campaign.handle.query(CampaignWorkflow.lifecycle)
        assert (event.action, event.actor) == ("extend_deadline", "coordinator@test.example")


async def test_an_extension_without_notice_says_so_to_the_pledges(module_ts_env):
    async with launched(module_ts_env, AT_LEAST_TWO) as campaign:
        quiet = ExtendDeadline("2031-01-31", "coordinator@test.example", notify=False)
        assert await campaign.handle.execute_update(CampaignWorkflow.extend_deadline, quiet) == "2031-01-31"
        [broadcast] = campaign.doubles.named("broadcast_to_pledges")
        assert (broadcast.payload["deadline"], broadcast.payload["notify"]) == ("2031-01-31", False)
        [event] = await campaign.handle.query(CampaignWorkflow.lifecycle)
        assert event.detail == "2031-01-31 (no notice)"


async def test_remind_now_asks_the_records_once_per_request_and_is_recorded(module_ts_env):
    async with launched(module_ts_env, AT_LEAST_TWO) as campaign:
        with pytest.raises(WorkflowUpdateFailedError):
            await campaign.handle.execute_update(CampaignWorkflow.remind_now, RemindNow("c@x", []))
        one = RemindNow("coordinator@test.example", [invitation_of(2)], request_id="r1")
        result = await campaign.handle.execute_update(CampaignWorkflow.remind_now, one, id="remind-now-r1")
        assert result.reminded == 1
        again = await campaign.handle.execute_update(CampaignWorkflow.remind_now, one, id="remind-now-r1")
        assert again.reminded == 1
        [asked] = campaign.doubles.named("remind_now")  # the same update id: not run twice
        assert (asked.request_id, asked.invitation_ids, asked.actor) == (
            "r1",
            [invitation_of(2)],
            "coordinator@test.example",
        )
        everyone = await campaign.handle.execute_update(CampaignWorkflow.remind_now, RemindNow("c@x"))
        assert everyone.reminded == 3
        second = campaign.doubles.named("remind_now")[1]
        assert second.invitation_ids is None and second.request_id  # named by its update id
        events = await campaign.handle.query(CampaignWorkflow.lifecycle)
        assert [(e.action, e.detail) for e in events] == [
            ("remind_now", "1 invitation(s)"),
            ("remind_now", "3 invitation(s)"),
        ]


async def test_the_next_review_cycle_opens_only_once_in_force(module_ts_env):
    async with launched(module_ts_env, AT_LEAST_TWO) as campaign:
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await campaign.handle.execute_update(
                CampaignWorkflow.open_next_review_cycle, OpenReviewCycle("coordinator@test.example")
            )
        assert "in force" in str(refused.value.cause)
        await campaign.answer(1, "signed")
        await campaign.answer(2, "signed")
        await campaign.progress_once(lambda p: p.status == "in_force")
        opened = await campaign.handle.execute_update(
            CampaignWorkflow.open_next_review_cycle, OpenReviewCycle("coordinator@test.example")
        )
        assert opened == 1
        assert (
            await campaign.handle.execute_update(
                CampaignWorkflow.open_next_review_cycle, OpenReviewCycle("coordinator@test.example")
            )
            == 2
        )
        assert [r.after for r in campaign.doubles.named("plan_review_cycle_now")] == [0, 1]
        broadcasts = [
            b for b in campaign.doubles.named("broadcast_to_pledges") if b.signal == "open_review_cycle"
        ]
        assert [(b.audience, b.payload["cycle"]) for b in broadcasts] == [("signed", 1), ("signed", 2)]


async def test_invitees_added_later_are_invited_and_counted(module_ts_env):
    async with launched(module_ts_env, AT_LEAST_TWO) as campaign:
        added = await campaign.handle.execute_update(
            CampaignWorkflow.add_invitees, AddInvitees(organisation_ids=[4], contact_ids=[None], actor="c@x")
        )
        assert added.invitations == 1
        progress = await campaign.progress_once(lambda p: p.invited == 4 and p.launch_complete)
        assert progress.invitations_planned == 4
        assert len(campaign.doubles.named("invite_batch")) == 2


async def test_a_cancelled_campaign_tells_every_pledge_and_ends(module_ts_env):
    async with launched(module_ts_env, AT_LEAST_TWO) as campaign:
        cancel = EndCampaign(actor="coordinator@test.example", reason="funding gone")
        assert await campaign.handle.execute_update(CampaignWorkflow.cancel, cancel) == "cancelled"
        progress: CampaignProgress = await asyncio.wait_for(campaign.handle.result(), timeout=20)
        assert progress.status == "cancelled"
        [ended] = campaign.doubles.named("mark_campaign_ended")
        assert (ended.status, ended.reason, ended.actor) == (
            "cancelled",
            "funding gone",
            "coordinator@test.example",
        )
        [broadcast] = campaign.doubles.named("broadcast_to_pledges")
        assert (broadcast.signal, broadcast.payload) == (
            "campaign_ended",
            {"reason": "cancelled", "note": "funding gone"},
        )


async def test_a_campaign_in_force_cannot_be_cancelled_but_can_be_closed(module_ts_env):
    async with launched(module_ts_env, AT_LEAST_TWO) as campaign:
        await campaign.answer(1, "signed")
        await campaign.answer(2, "signed")
        await campaign.progress_once(lambda p: p.status == "in_force")
        with pytest.raises(WorkflowUpdateFailedError):
            await campaign.handle.execute_update(CampaignWorkflow.cancel, EndCampaign(actor="c@x"))
        assert (
            await campaign.handle.execute_update(CampaignWorkflow.close, EndCampaign(actor="c@x")) == "closed"
        )
        progress: CampaignProgress = await asyncio.wait_for(campaign.handle.result(), timeout=20)
        assert progress.status == "closed"
        assert campaign.doubles.broadcasts()[-1] == ("campaign_ended", "all")


def test_every_broadcast_names_a_signal_that_pledge_workflows_declare():
    """A broadcast travels by name (inside an activity's input), so a renamed signal must fail here."""
    from temporalio import workflow as temporal_workflow

    from workflows.pledge import PledgeWorkflow
    from workflows.pledge_messages import PledgeBroadcast

    declared = set(temporal_workflow._Definition.must_from_class(PledgeWorkflow).signals)
    assert {b.value for b in PledgeBroadcast} <= declared, declared
