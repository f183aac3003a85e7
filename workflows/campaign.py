"""CampaignWorkflow: fans out the invitations, keeps the tally, and decides when the pact is in force.

The fan-out runs a sliding window of `invite_batch` activities, each covering a range of
invitations, so a launch of thousands stays far below Temporal's limits on pending activities
and history size. Pledge workflows are not children: they are started by the activity with
deterministic ids and report back by signal. Every answer re-evaluates the quorum rules
(workflows/quorum.py); the coordinator's lifecycle actions arrive as updates.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.campaign import (
        AddInviteesInput,
        AnnounceInput,
        BroadcastInput,
        CampaignActivities,
        LifecycleInput,
        NextReviewCycleInput,
        RemindInput,
    )
    from activities.email import EmailActivities, SendEmailInput
    from activities.launch import (
        InviteBatchInput,
        InviteBatchResult,
        LaunchActivities,
        LaunchPlanInput,
    )
    from models.email_message import EmailKind
    from workflows.campaign_messages import (
        AddInvitees,
        AddInviteesResult,
        CampaignInput,
        CampaignProgress,
        CampaignState,
        EndCampaign,
        ExtendDeadline,
        GroupProgress,
        InvitationRange,
        LifecycleEvent,
        Member,
        OpenReviewCycle,
        RemindNow,
        RemindNowResult,
    )
    from workflows.pledge_messages import (
        DATE_PATTERN,
        DeadlineChange,
        MemberChange,
        PledgeBroadcast,
        ReviewCycleNow,
    )
    from workflows.quiet_hours import IN_FORCE_BY_PLEDGE_PATCH, ONE_PROGRESS_NOTICE_PATCH
    from workflows.quorum import GroupStatus, MemberState, evaluate_all, pact_holds, progress_marks

BATCH_SIZE = 200
PARALLEL_BATCHES = 4
DB_TIMEOUT = timedelta(minutes=2)
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=5),
    non_retryable_error_types=["Conflict", "NotFound", "InvalidInput"],
)


# How far a member has come; a late batch result never moves one backwards.
_RANK = {"invited": 0, "undeliverable": 1, "expired": 2, "declined": 3, "withdrawn": 3, "signed": 4}
_ENDED = ("closed", "cancelled")


@workflow.defn
class CampaignWorkflow:
    def __init__(self) -> None:
        self._input = CampaignInput(campaign_id=0)
        self._state = CampaignState()
        self._members: dict[int, Member] = {}
        self._pending_ranges: list[InvitationRange] = []
        self._batches_running = 0
        self._dirty = False

    # ---- run -------------------------------------------------------------------------

    @workflow.run
    async def run(self, request: CampaignInput) -> CampaignProgress:
        self._input = request
        self._state = request.state or CampaignState()
        self._members = {m.organisation_id: m for m in self._state.members}
        if not self._state.planned:
            plan = await workflow.execute_activity_method(
                LaunchActivities.plan_launch,
                LaunchPlanInput(campaign_id=request.campaign_id, batch_size=BATCH_SIZE),
                start_to_close_timeout=DB_TIMEOUT,
                retry_policy=RETRY,
            )
            self._state.ranges, self._state.rules, self._state.timezone = (
                plan.ranges,
                plan.rules,
                plan.timezone,
            )
            self._state.planned = True
            self._dirty = True
        while True:
            await self._fan_out()
            if self._dirty and self._launch_complete():
                self._dirty = False
                await self._evaluate_quorum()
            if self._state.status in _ENDED:
                break
            if workflow.info().is_continue_as_new_suggested():
                await self._continue_as_new()
            await workflow.wait_condition(
                lambda: (
                    self._dirty
                    or bool(self._pending_ranges)
                    or self._state.status in _ENDED
                    or workflow.info().is_continue_as_new_suggested()
                )
            )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.progress()

    def _launch_complete(self) -> bool:
        # Finished, not started: a batch still retrying through an SMTP outage has invited
        # nobody yet. (The run loop asks only between fan-outs, when none runs, so what it
        # decides, and so every recorded history, is unchanged: the query alone was wrong.)
        return (
            self._state.planned
            and self._state.next_range >= len(self._state.ranges)
            and self._batches_running == 0
        )

    async def _fan_out(self) -> None:
        if self._pending_ranges:
            self._state.ranges.extend(self._pending_ranges)
            self._pending_ranges = []
        ranges = self._state.ranges
        in_flight: dict[int, asyncio.Task[InviteBatchResult]] = {}
        while self._state.next_range < len(ranges) or in_flight:
            while len(in_flight) < PARALLEL_BATCHES and self._state.next_range < len(ranges):
                index = self._state.next_range
                in_flight[index] = asyncio.ensure_future(self._invite(ranges[index]))
                self._state.next_range += 1
            self._batches_running = len(in_flight)
            await workflow.wait(list(in_flight.values()), return_when=asyncio.FIRST_COMPLETED)
            for index in sorted(in_flight):
                task = in_flight[index]
                if task.done():
                    self._merge(task.result().members)
                    del in_flight[index]
            self._batches_running = len(in_flight)
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
            # A batch heartbeats after every email: a dead worker's batch moves on in seconds.
            heartbeat_timeout=timedelta(seconds=20),
            retry_policy=RETRY,
        )

    def _merge(self, members: list[Member]) -> None:
        for member in members:
            known = self._members.get(member.organisation_id)
            if known is None:
                self._members[member.organisation_id] = member
            else:
                known.kind = known.kind or member.kind
                if _RANK.get(member.status, 0) > _RANK.get(known.status, 0):
                    known.status = member.status
        self._dirty = True

    async def _continue_as_new(self) -> None:
        await workflow.wait_condition(workflow.all_handlers_finished)
        self._state.members = list(self._members.values())
        self._state.ranges.extend(self._pending_ranges)
        workflow.continue_as_new(
            CampaignInput(
                campaign_id=self._input.campaign_id,
                task_queue=self._input.task_queue,
                email_task_queue=self._input.email_task_queue,
                state=self._state,
            )
        )

    # ---- quorum ----------------------------------------------------------------------

    def _statuses(self) -> list[GroupStatus]:
        members = [MemberState(m.organisation_id, m.kind, m.status) for m in self._members.values()]
        return evaluate_all(self._state.rules, members)

    async def _evaluate_quorum(self) -> None:
        if self._state.status in _ENDED:
            return
        statuses = self._statuses()
        holds = pact_holds(statuses)
        if self._state.status == "launched":
            for status in statuses:
                marks = progress_marks(status)
                if marks and workflow.patched(ONE_PROGRESS_NOTICE_PATCH):
                    marks = self._marks_to_announce(status, marks, pact_holds=holds)
                for mark in marks:
                    await self._notice_once(
                        f"{status.name}:{mark}",
                        EmailKind.progress_notice,
                        {
                            "group": status.name,
                            "mark": mark,
                            "signed": status.signed,
                            "target": status.target,
                        },
                    )
                if status.impossible:
                    await self._notice_once(
                        f"{status.name}:impossible",
                        EmailKind.quorum_unreachable,
                        {
                            "group": status.name,
                            "signed": status.signed,
                            "target": status.target,
                            "members": status.members,
                            "lost": status.lost,
                            "missing_required": status.missing_required,
                        },
                    )
            if holds:
                await self._come_in_force(statuses)
        elif self._state.status == "in_force":
            if not holds and not self._state.quorum_broken:
                self._state.quorum_broken = True
                broken = [s.name for s in statuses if not s.met]
                await self._notify_coordinator(
                    EmailKind.quorum_broken, f"quorum-broken-{len(self._state.history)}", {"groups": broken}
                )
            elif holds:
                self._state.quorum_broken = False

    def _marks_to_announce(self, status: GroupStatus, marks: list[int], *, pact_holds: bool) -> list[int]:
        """One notice for the highest mark a group has passed; none when this signature brings the
        pact in force (its announcement says so).

        One signature can pass several marks (1 of 1 passes 33 % and 66 %): the marks passed over
        are noted as told, so no notice for them follows.
        """
        told = [] if pact_holds else marks[-1:]
        for passed in marks:
            key = f"{status.name}:{passed}"
            if passed not in told and key not in self._state.notices:
                self._state.notices.append(key)
        return told

    async def _notice_once(self, key: str, kind: EmailKind, params: dict[str, Any]) -> None:
        if key in self._state.notices:
            return
        self._state.notices.append(key)
        await self._notify_coordinator(kind, f"notice-{key}", params)

    async def _come_in_force(self, statuses: list[GroupStatus]) -> None:
        at = workflow.now()
        self._state.status = "in_force"
        self._state.in_force_at = at
        await workflow.execute_activity_method(
            CampaignActivities.mark_in_force,
            LifecycleInput(
                campaign_id=self._input.campaign_id,
                at=at,
                groups=[
                    {
                        "name": s.name,
                        "rule": s.rule,
                        "signed": s.signed,
                        "target": s.target,
                        "members": s.members,
                    }
                    for s in statuses
                ],
            ),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=RETRY,
        )
        if workflow.patched(IN_FORCE_BY_PLEDGE_PATCH):
            # Each signatory's pledge workflow announces it in their own working hours (on the
            # broadcast below); the coordinator is told now, under the batch's Message-ID.
            await self._notify_coordinator(EmailKind.pact_in_force, "in-force-coordinator", {})
        else:
            await self._announce_to_everyone(at)
        await self._broadcast(PledgeBroadcast.pact_in_force, {"at": at.isoformat()}, audience="all")

    async def _announce_to_everyone(self, at: datetime) -> None:
        await workflow.execute_activity_method(
            CampaignActivities.announce_in_force,
            AnnounceInput(campaign_id=self._input.campaign_id, planned_at=at),
            task_queue=self._input.email_task_queue,
            start_to_close_timeout=timedelta(minutes=30),
            heartbeat_timeout=timedelta(minutes=2),
            retry_policy=RETRY,
        )

    async def _notify_coordinator(self, kind: EmailKind, step: str, params: dict[str, Any]) -> None:
        await workflow.execute_activity_method(
            EmailActivities.send_email,
            SendEmailInput(
                kind=kind,
                workflow_id=workflow.info().workflow_id,
                step=step,
                planned_at=workflow.now(),
                campaign_id=self._input.campaign_id,
                params=params,
            ),
            task_queue=self._input.email_task_queue,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=RETRY,
        )

    async def _broadcast(self, signal: PledgeBroadcast, payload: dict[str, Any], *, audience: str) -> None:
        await workflow.execute_activity_method(
            CampaignActivities.broadcast_to_pledges,
            BroadcastInput(
                campaign_id=self._input.campaign_id, signal=signal, payload=payload, audience=audience
            ),
            start_to_close_timeout=timedelta(minutes=30),
            heartbeat_timeout=timedelta(minutes=2),
            retry_policy=RETRY,
        )

    # ---- signals from pledge workflows -----------------------------------------------

    @workflow.signal
    def member_changed(self, change: MemberChange) -> None:
        """A pledge workflow reports a signature, decline, delegation, withdrawal or expiry."""
        if change.event == "delegated":
            self._state.delegated += 1
            return
        if change.event == "unresponsive":
            return  # still able to sign: counts as open
        member = self._members.get(change.organisation_id)
        if member is None:
            # The signatory was quicker than the batch that invited them reports back.
            member = Member(
                organisation_id=change.organisation_id, kind="", invitation_id=change.invitation_id
            )
            self._members[change.organisation_id] = member
        member.status = "invited" if change.event == "reopened" else change.event
        member.invitation_id = change.invitation_id
        self._dirty = True

    # ---- lifecycle updates from the coordinator --------------------------------------

    def _require_launched(self, action: str) -> None:
        if self._state.status != "launched":
            raise ApplicationError(
                f"the campaign is {self._state.status.replace('_', ' ')}: it cannot {action}", type="Conflict"
            )

    def _record(self, action: str, actor: str, detail: str = "") -> datetime:
        at = workflow.now()
        self._state.history.append(LifecycleEvent(action=action, actor=actor, at=at, detail=detail))
        return at

    @workflow.update
    async def add_invitees(self, request: AddInvitees) -> AddInviteesResult:
        """Invite more organisations at once (all or nothing; problems come back per row)."""
        result = await workflow.execute_activity_method(
            CampaignActivities.add_invitees,
            AddInviteesInput(
                campaign_id=self._input.campaign_id,
                organisation_ids=request.organisation_ids,
                contact_ids=request.contact_ids,
                actor=request.actor,
            ),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=RETRY,
        )
        self._pending_ranges.extend(result.ranges)
        self._record("add_invitees", request.actor, f"{len(request.organisation_ids)} organisation(s)")
        return AddInviteesResult(invitations=sum(r.count for r in result.ranges))

    @add_invitees.validator
    def _validate_add(self, request: AddInvitees) -> None:
        self._require_launched("take new invitees")
        if not request.organisation_ids:
            raise ApplicationError("choose at least one organisation", type="InvalidInput")
        if len(request.organisation_ids) != len(request.contact_ids):
            raise ApplicationError("one contact (or none) per organisation", type="InvalidInput")

    @workflow.update
    async def extend_deadline(self, request: ExtendDeadline) -> str:
        """Move the signature deadline later; those who have not answered are told."""
        await workflow.execute_activity_method(
            CampaignActivities.extend_campaign_deadline,
            LifecycleInput(
                campaign_id=self._input.campaign_id,
                at=workflow.now(),
                actor=request.actor,
                deadline=request.deadline,
            ),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=RETRY,
        )
        self._record(
            "extend_deadline", request.actor, request.deadline + ("" if request.notify else " (no notice)")
        )
        change = DeadlineChange(
            deadline=request.deadline,
            timezone=self._state.timezone,
            actor=request.actor,
            notify=request.notify,
        )
        await self._broadcast(PledgeBroadcast.campaign_deadline_changed, change.__dict__, audience="open")
        return request.deadline

    @extend_deadline.validator
    def _validate_extend(self, request: ExtendDeadline) -> None:
        self._require_launched("extend its deadline")
        if not DATE_PATTERN.match(request.deadline or ""):
            raise ApplicationError(f"'{request.deadline}' is not a date (YYYY-MM-DD)", type="InvalidInput")

    @workflow.update
    async def remind_now(self, request: RemindNow) -> RemindNowResult:
        """Remind the named open invitations, or every open one, now; each pledge sends its email."""
        request_id = request.request_id or _update_id()
        reminded: int = await workflow.execute_activity_method(
            CampaignActivities.remind_now,
            RemindInput(
                campaign_id=self._input.campaign_id,
                request_id=request_id,
                actor=request.actor,
                invitation_ids=request.invitation_ids,
                at=workflow.now(),
            ),
            start_to_close_timeout=timedelta(minutes=30),
            heartbeat_timeout=timedelta(minutes=2),
            retry_policy=RETRY,
        )
        self._record("remind_now", request.actor, f"{reminded} invitation(s)")
        return RemindNowResult(reminded=reminded)

    @remind_now.validator
    def _validate_remind(self, request: RemindNow) -> None:
        if self._state.status not in ("launched", "in_force"):
            raise ApplicationError(
                f"the campaign is {self._state.status.replace('_', ' ')}: it cannot send reminders",
                type="Conflict",
            )
        if request.invitation_ids is not None and not request.invitation_ids:
            raise ApplicationError("choose at least one invitation", type="InvalidInput")

    @workflow.update
    async def open_next_review_cycle(self, request: OpenReviewCycle) -> int:
        """Open the next review cycle of every signatory now; the cycle's number is returned."""
        # The number first (read and recorded once), then the signal: a retried broadcast finds
        # the same cycle, and each pledge opens it once.
        cycle: int = await workflow.execute_activity_method(
            CampaignActivities.plan_review_cycle_now,
            NextReviewCycleInput(
                campaign_id=self._input.campaign_id,
                actor=request.actor,
                after=self._state.review_cycle_opened,
                at=workflow.now(),
            ),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=RETRY,
        )
        self._state.review_cycle_opened = max(self._state.review_cycle_opened, cycle)
        self._record("open_review_cycle", request.actor, f"cycle {cycle}")
        now = ReviewCycleNow(cycle=cycle, actor=request.actor)
        await self._broadcast(PledgeBroadcast.open_review_cycle, now.__dict__, audience="signed")
        return cycle

    @open_next_review_cycle.validator
    def _validate_next_cycle(self, request: OpenReviewCycle) -> None:
        if self._state.status != "in_force":
            raise ApplicationError(
                f"the campaign is {self._state.status.replace('_', ' ')}: review cycles start once the pact"
                " is in force",
                type="Conflict",
            )

    async def _end(self, status: str, request: EndCampaign) -> str:
        self._record(status, request.actor, request.reason)
        self._state.status = status
        await workflow.execute_activity_method(
            CampaignActivities.mark_campaign_ended,
            LifecycleInput(
                campaign_id=self._input.campaign_id,
                at=workflow.now(),
                actor=request.actor,
                reason=request.reason,
                status=status,
            ),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=RETRY,
        )
        await self._broadcast(
            PledgeBroadcast.campaign_ended, {"reason": status, "note": request.reason}, audience="all"
        )
        return status

    @workflow.update
    async def cancel(self, request: EndCampaign) -> str:
        """Cancel: everyone invited is told, and open links say the campaign was cancelled."""
        return await self._end("cancelled", request)

    @cancel.validator
    def _validate_cancel(self, request: EndCampaign) -> None:
        self._require_launched("be cancelled (close it instead once in force)")

    @workflow.update
    async def close(self, request: EndCampaign) -> str:
        """Close the campaign: no more answers are taken."""
        return await self._end("closed", request)

    @close.validator
    def _validate_close(self, request: EndCampaign) -> None:
        if self._state.status in _ENDED:
            raise ApplicationError(f"the campaign is already {self._state.status}", type="Conflict")

    # ---- query -----------------------------------------------------------------------

    @workflow.query
    def progress(self) -> CampaignProgress:
        members = list(self._members.values())
        count: dict[str, int] = {}
        for m in members:
            count[m.status] = count.get(m.status, 0) + 1
        reached = len(members) - count.get("undeliverable", 0)
        answered = sum(count.get(s, 0) for s in ("signed", "declined", "withdrawn", "expired"))
        return CampaignProgress(
            campaign_id=self._input.campaign_id,
            status=self._state.status,
            launch_complete=self._launch_complete() and not self._pending_ranges,
            invitations_planned=sum(r.count for r in self._state.ranges),
            invited=reached,
            signed=count.get("signed", 0),
            declined=count.get("declined", 0),
            delegated=self._state.delegated,
            undeliverable=count.get("undeliverable", 0),
            open=reached - answered,
            withdrawn=count.get("withdrawn", 0),
            expired=count.get("expired", 0),
            in_force_at=self._state.in_force_at,
            quorum_broken=self._state.quorum_broken,
            groups=[
                GroupProgress(s.name, s.rule, s.members, s.signed, s.target, s.met, s.impossible)
                for s in self._statuses()
            ],
        )

    @workflow.query
    def lifecycle(self) -> list[LifecycleEvent]:
        """The coordinator actions taken on this campaign, with who took them."""
        return list(self._state.history)


def _update_id() -> str:
    info = workflow.current_update_info()
    return info.id if info is not None else workflow.uuid4().hex
