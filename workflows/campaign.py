"""CampaignWorkflow: fans out the invitations and keeps the campaign's tally.

The fan-out runs a sliding window of `invite_batch` activities, each covering a range of
invitations, so a launch of thousands stays far below Temporal's limits on pending
activities and history size. Pledge workflows are not children: they are started by the
activity with deterministic ids and report back by signal.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.launch import (
        InvitationRange,
        InviteBatchInput,
        InviteBatchResult,
        LaunchActivities,
        LaunchPlanInput,
        Member,
    )
    from workflows.pledge import MemberChange

BATCH_SIZE = 200
PARALLEL_BATCHES = 4
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=5),
    non_retryable_error_types=["Conflict", "NotFound", "InvalidInput"],
)


@dataclass
class CampaignState:
    """What survives continue-as-new; every field has a default so old payloads decode."""

    planned: bool = False
    ranges: list[InvitationRange] = field(default_factory=list)
    next_range: int = 0
    members: list[Member] = field(default_factory=list)
    delegated: int = 0
    status: str = "launched"


@dataclass
class CampaignInput:
    campaign_id: int
    task_queue: str = "pledgeflow"
    email_task_queue: str = "pledgeflow-email"
    state: CampaignState | None = None


@dataclass
class CampaignProgress:
    campaign_id: int
    status: str
    launch_complete: bool
    invitations_planned: int
    invited: int
    signed: int
    declined: int
    delegated: int
    undeliverable: int
    open: int


# Statuses a member can reach, in order; a late batch result never moves one backwards.
_PROGRESSION = ["invited", "undeliverable", "delegated", "declined", "signed"]


@workflow.defn
class CampaignWorkflow:
    def __init__(self) -> None:
        self._input = CampaignInput(campaign_id=0)
        self._state = CampaignState()
        self._members: dict[int, Member] = {}

    @workflow.run
    async def run(self, request: CampaignInput) -> CampaignProgress:
        self._input = request
        self._state = request.state or CampaignState()
        self._members = {m.organisation_id: m for m in self._state.members}
        if not self._state.planned:
            plan = await workflow.execute_activity_method(
                LaunchActivities.plan_launch,
                LaunchPlanInput(campaign_id=request.campaign_id, batch_size=BATCH_SIZE),
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=RETRY,
            )
            self._state.ranges = plan.ranges
            self._state.planned = True
        await self._fan_out()
        await workflow.wait_condition(
            lambda: (
                self._state.status in ("closed", "cancelled")
                or workflow.info().is_continue_as_new_suggested()
            )
        )
        if self._state.status not in ("closed", "cancelled"):
            await self._continue_as_new()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.progress()

    async def _fan_out(self) -> None:
        ranges = self._state.ranges
        in_flight: dict[int, asyncio.Task[InviteBatchResult]] = {}
        while self._state.next_range < len(ranges) or in_flight:
            while len(in_flight) < PARALLEL_BATCHES and self._state.next_range < len(ranges):
                index = self._state.next_range
                in_flight[index] = asyncio.ensure_future(self._invite(ranges[index]))
                self._state.next_range += 1
            await workflow.wait(list(in_flight.values()), return_when=asyncio.FIRST_COMPLETED)
            for index in sorted(in_flight):
                task = in_flight[index]
                if task.done():
                    self._merge(task.result().members)
                    del in_flight[index]
            if not in_flight and workflow.info().is_continue_as_new_suggested():
                await self._continue_as_new()

    async def _invite(self, invitations: InvitationRange) -> InviteBatchResult:
        return await workflow.execute_activity_method(
            LaunchActivities.invite_batch,
            InviteBatchInput(
                campaign_id=self._input.campaign_id,
                first_invitation_id=invitations.first_id,
                last_invitation_id=invitations.last_id,
                planned_at=workflow.now(),
                task_queue=self._input.task_queue,
                email_task_queue=self._input.email_task_queue,
            ),
            task_queue=self._input.email_task_queue,
            start_to_close_timeout=timedelta(minutes=30),
            heartbeat_timeout=timedelta(minutes=2),
            retry_policy=RETRY,
        )

    def _merge(self, members: list[Member]) -> None:
        for member in members:
            known = self._members.get(member.organisation_id)
            if known is None:
                self._members[member.organisation_id] = member
                continue
            known.kind = known.kind or member.kind
            if _PROGRESSION.index(member.status) > _PROGRESSION.index(known.status):
                known.status = member.status

    async def _continue_as_new(self) -> None:
        await workflow.wait_condition(workflow.all_handlers_finished)
        self._state.members = list(self._members.values())
        workflow.continue_as_new(
            CampaignInput(
                campaign_id=self._input.campaign_id,
                task_queue=self._input.task_queue,
                email_task_queue=self._input.email_task_queue,
                state=self._state,
            )
        )

    @workflow.signal
    def member_changed(self, change: MemberChange) -> None:
        """A pledge workflow reports a signature, decline or delegation."""
        if change.event == "delegated":
            self._state.delegated += 1
            return
        member = self._members.get(change.organisation_id)
        if member is None:
            # The signatory was quicker than the batch that invited them reports back.
            member = Member(
                organisation_id=change.organisation_id, kind="", invitation_id=change.invitation_id
            )
            self._members[change.organisation_id] = member
        member.status = change.event
        member.invitation_id = change.invitation_id

    @workflow.query
    def progress(self) -> CampaignProgress:
        members = list(self._members.values())
        count = {status: sum(1 for m in members if m.status == status) for status in _PROGRESSION}
        reached = len(members) - count["undeliverable"]
        return CampaignProgress(
            campaign_id=self._input.campaign_id,
            status=self._state.status,
            launch_complete=self._state.planned and self._state.next_range >= len(self._state.ranges),
            invitations_planned=sum(r.count for r in self._state.ranges),
            invited=reached,
            signed=count["signed"],
            declined=count["declined"],
            delegated=self._state.delegated,
            undeliverable=count["undeliverable"],
            open=reached - count["signed"] - count["declined"],
        )
