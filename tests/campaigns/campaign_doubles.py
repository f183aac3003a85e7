"""Stand-ins for the activities CampaignWorkflow runs, registered under their real names.

The launch plans one range of invitations and the batch invites the organisations it was
given; every other double only records what it was asked. No database, no SMTP server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from temporalio import activity

from activities.campaign import (
    AddInviteesInput,
    AddInviteesResult,
    BroadcastInput,
    LifecycleInput,
    NextReviewCycleInput,
    RemindInput,
)
from activities.email import SendEmailInput, SendEmailResult
from activities.launch import (
    InviteBatchInput,
    InviteBatchResult,
    LaunchPlan,
    LaunchPlanInput,
)
from workflows.campaign_messages import InvitationRange, Member
from workflows.quorum import GroupRule

KIND = "customs"


def invitation_of(organisation_id: int) -> int:
    """The invitation id the doubles give an organisation."""
    return 100 + organisation_id


@dataclass
class CampaignActivityDoubles:
    """The organisations to invite and the quorum rule; the calls received, in order."""

    organisation_ids: list[int]
    rule: GroupRule
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def named(self, name: str) -> list[Any]:
        """The requests of every call to one activity, in order."""
        return [request for called, request in self.calls if called == name]

    def emails(self) -> list[str]:
        """The kinds of email sent, in order."""
        return [str(r.kind) for r in self.named("send_email")]

    def broadcasts(self) -> list[tuple[str, str]]:
        """The signals broadcast to the pledges: (signal, audience), in order."""
        return [(r.signal, r.audience) for r in self.named("broadcast_to_pledges")]

    def activities(self) -> list[Any]:
        """The doubles, for a worker."""
        return [
            self.plan_launch,
            self.invite_batch,
            self.send_email,
            self.mark_in_force,
            self.mark_campaign_ended,
            self.extend_campaign_deadline,
            self.add_invitees,
            self.broadcast_to_pledges,
            self.remind_now,
            self.plan_review_cycle_now,
        ]

    @activity.defn(name="plan_launch")
    async def plan_launch(self, request: LaunchPlanInput) -> LaunchPlan:
        self.calls.append(("plan_launch", request))
        ids = [invitation_of(o) for o in self.organisation_ids]
        return LaunchPlan(ranges=[InvitationRange(min(ids), max(ids), len(ids))], rules=[self.rule])

    @activity.defn(name="invite_batch")
    async def invite_batch(self, request: InviteBatchInput) -> InviteBatchResult:
        self.calls.append(("invite_batch", request))
        return InviteBatchResult(
            members=[
                Member(organisation_id=o, kind=KIND, invitation_id=invitation_of(o))
                for o in self.organisation_ids
                if request.first_invitation_id <= invitation_of(o) <= request.last_invitation_id
            ]
        )

    @activity.defn(name="send_email")
    async def send_email(self, request: SendEmailInput) -> SendEmailResult:
        self.calls.append(("send_email", request))
        return SendEmailResult(message_id=f"<{request.step}@test>", outcome="accepted")

    @activity.defn(name="mark_in_force")
    async def mark_in_force(self, request: LifecycleInput) -> None:
        self.calls.append(("mark_in_force", request))

    @activity.defn(name="mark_campaign_ended")
    async def mark_campaign_ended(self, request: LifecycleInput) -> None:
        self.calls.append(("mark_campaign_ended", request))

    @activity.defn(name="extend_campaign_deadline")
    async def extend_campaign_deadline(self, request: LifecycleInput) -> None:
        self.calls.append(("extend_campaign_deadline", request))

    @activity.defn(name="add_invitees")
    async def add_invitees(self, request: AddInviteesInput) -> AddInviteesResult:
        self.calls.append(("add_invitees", request))
        self.organisation_ids = [*self.organisation_ids, *request.organisation_ids]
        ids = [invitation_of(o) for o in request.organisation_ids]
        return AddInviteesResult(ranges=[InvitationRange(min(ids), max(ids), len(ids))])

    @activity.defn(name="broadcast_to_pledges")
    async def broadcast_to_pledges(self, request: BroadcastInput) -> int:
        self.calls.append(("broadcast_to_pledges", request))
        return len(self.organisation_ids)

    @activity.defn(name="remind_now")
    async def remind_now(self, request: RemindInput) -> int:
        self.calls.append(("remind_now", request))
        return (
            len(request.invitation_ids) if request.invitation_ids is not None else len(self.organisation_ids)
        )

    @activity.defn(name="plan_review_cycle_now")
    async def plan_review_cycle_now(self, request: NextReviewCycleInput) -> int:
        self.calls.append(("plan_review_cycle_now", request))
        return request.after + 1
