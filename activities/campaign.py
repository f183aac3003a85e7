"""Campaign-wide effects: lifecycle records, invitees added later, announcements, broadcasts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select
from temporalio import activity

from activities.email import EmailDelivery, EmailJob
from activities.errors import domain_errors_are_final
from activities.launch import ranges_of
from activities.workflow_calls import WorkflowCalls
from models.campaign import CampaignStatus
from models.common import utcnow
from models.email_message import EmailKind
from models.invitation import Invitation, InvitationStatus, InviteeChoice
from pledgeflow.db import session_scope
from services import campaigns, invitations
from services.reviews import reports
from workflows.campaign_messages import InvitationRange
from workflows.ids import campaign_workflow_id
from workflows.pledge_messages import PledgeBroadcast, ReminderNow

SIGNAL_CONCURRENCY = 32
BATCH_SIZE = 200


@dataclass
class LifecycleInput:
    campaign_id: int
    at: datetime
    actor: str = "system"
    reason: str = ""
    deadline: str = ""  # ISO date, for extensions
    status: str = ""  # "closed" or "cancelled", for mark_ended
    groups: list[dict[str, Any]] = field(default_factory=list)  # quorum summary, for mark_in_force


@dataclass
class AddInviteesInput:
    campaign_id: int
    organisation_ids: list[int]
    contact_ids: list[int | None]
    actor: str


@dataclass
class AddInviteesResult:
    ranges: list[InvitationRange] = field(default_factory=list)


@dataclass
class BroadcastInput:
    campaign_id: int
    signal: PledgeBroadcast
    payload: dict[str, Any]
    # Which organisations: "all" invited, or only "open" ones (not yet answered).
    audience: str = "all"


@dataclass
class RemindInput:
    campaign_id: int
    request_id: str
    actor: str
    invitation_ids: list[int] | None = None  # None: every open invitation
    at: datetime | None = None  # the workflow's clock


@dataclass
class NextReviewCycleInput:
    campaign_id: int
    actor: str
    after: int = 0  # the last cycle a coordinator opened ahead (the workflow remembers it)
    at: datetime | None = None


@dataclass
class AnnounceInput:
    campaign_id: int
    planned_at: datetime


class CampaignActivities:
    """Records for lifecycle changes, and the effects that reach every pledge workflow."""

    def __init__(self, *, engine: Engine, workflows: WorkflowCalls, delivery: EmailDelivery) -> None:
        self._engine = engine
        self._workflows = workflows
        self._delivery = delivery

    # ---- lifecycle records -----------------------------------------------------------

    def _lifecycle(self, name: str, request: LifecycleInput) -> None:
        with session_scope(self._engine) as session:
            if name == "in_force":
                campaigns.mark_in_force(
                    session, campaign_id=request.campaign_id, at=request.at, groups=request.groups
                )
            elif name == "ended":
                campaigns.mark_ended(
                    session,
                    campaign_id=request.campaign_id,
                    status=CampaignStatus(request.status),
                    actor=request.actor,
                    reason=request.reason,
                    at=request.at,
                )
            elif name == "deadline":
                campaigns.extend_deadline(
                    session,
                    campaign_id=request.campaign_id,
                    deadline=date.fromisoformat(request.deadline),
                    actor=request.actor,
                    at=request.at,
                )

    @activity.defn(name="mark_in_force")
    @domain_errors_are_final
    async def mark_in_force(self, request: LifecycleInput) -> None:
        """Record that the pact came in force, with the quorum that made it."""
        await asyncio.to_thread(self._lifecycle, "in_force", request)

    @activity.defn(name="mark_campaign_ended")
    @domain_errors_are_final
    async def mark_campaign_ended(self, request: LifecycleInput) -> None:
        """Record that the campaign was closed or cancelled, and by whom."""
        await asyncio.to_thread(self._lifecycle, "ended", request)

    @activity.defn(name="extend_campaign_deadline")
    @domain_errors_are_final
    async def extend_campaign_deadline(self, request: LifecycleInput) -> None:
        """Record the campaign's new signature deadline, and who moved it."""
        await asyncio.to_thread(self._lifecycle, "deadline", request)

    def _add_invitees(self, request: AddInviteesInput) -> AddInviteesResult:
        with session_scope(self._engine) as session:
            campaign = campaigns.get_or_raise(session, request.campaign_id)
            created = campaigns.choose_invitees(
                session,
                campaign=campaign,
                choices=[
                    InviteeChoice(organisation_id=o, contact_id=c)
                    for o, c in zip(request.organisation_ids, request.contact_ids, strict=True)
                ],
                actor=request.actor,
            )
            ids = sorted(i.id for i in created if i.id is not None)
        return AddInviteesResult(ranges=ranges_of(ids, BATCH_SIZE))

    @activity.defn(name="add_invitees")
    @domain_errors_are_final
    async def add_invitees(self, request: AddInviteesInput) -> AddInviteesResult:
        """Create invitations for organisations added to a launched campaign (all or nothing)."""
        return await asyncio.to_thread(self._add_invitees, request)

    # ---- reaching every pledge workflow ----------------------------------------------

    def _audience(self, request: BroadcastInput) -> list[int]:
        if request.audience == "open":
            statuses = [InvitationStatus.pending, InvitationStatus.sent, InvitationStatus.unresponsive]
        elif request.audience == "signed":
            statuses = [InvitationStatus.signed]
        else:
            statuses = [s for s in InvitationStatus if s is not InvitationStatus.delegated]
        with session_scope(self._engine) as session:
            rows = session.exec(
                select(Invitation.organisation_id)
                .where(Invitation.campaign_id == request.campaign_id, col(Invitation.status).in_(statuses))
                .distinct()
            ).all()
        return sorted(rows)

    @activity.defn(name="broadcast_to_pledges")
    async def broadcast_to_pledges(self, request: BroadcastInput) -> int:
        """Signal every (or every open) pledge workflow of the campaign; handlers are idempotent."""
        organisation_ids = await asyncio.to_thread(self._audience, request)
        gate = asyncio.Semaphore(SIGNAL_CONCURRENCY)
        reached = 0

        async def signal(organisation_id: int) -> None:
            nonlocal reached
            async with gate:
                if await self._workflows.signal_pledge(
                    request.campaign_id, organisation_id, request.signal, request.payload
                ):
                    reached += 1

        for start in range(0, len(organisation_ids), 500):
            await asyncio.gather(*(signal(o) for o in organisation_ids[start : start + 500]))
            activity.heartbeat(start)
        return reached

    # ---- a coordinator's reminder now, the next review cycle now ----------------------

    def _reminder_audience(self, request: RemindInput) -> list[tuple[int, int]]:
        with session_scope(self._engine) as session:
            found = invitations.reminder_audience(
                session, campaign_id=request.campaign_id, invitation_ids=request.invitation_ids
            )
            return [(i.organisation_id, i.id or 0) for i in found]

    def _record_reminded(self, request: RemindInput, invitation_ids: list[int]) -> None:
        with session_scope(self._engine) as session:
            invitations.record_reminded(
                session,
                campaign_id=request.campaign_id,
                request_id=request.request_id,
                invitation_ids=invitation_ids,
                actor=request.actor,
                at=request.at or utcnow(),
            )

    @activity.defn(name="remind_now")
    @domain_errors_are_final
    async def remind_now(self, request: RemindInput) -> int:
        """Tell each chosen open pledge to send a reminder now; the number reached is returned.

        Each pledge sends it under a Message-ID made of the request id, so a retry of this
        activity, or the same request again, emails no one twice. The audit entry comes last.
        """
        audience = await asyncio.to_thread(self._reminder_audience, request)
        gate = asyncio.Semaphore(SIGNAL_CONCURRENCY)
        reached: list[int] = []

        async def signal(organisation_id: int, invitation_id: int) -> None:
            reminder = ReminderNow(
                invitation_id=invitation_id, request_id=request.request_id, actor=request.actor
            )
            async with gate:
                if await self._workflows.signal_pledge(
                    request.campaign_id, organisation_id, PledgeBroadcast.remind_now, reminder.__dict__
                ):
                    reached.append(invitation_id)

        for start in range(0, len(audience), 500):
            await asyncio.gather(*(signal(o, i) for o, i in audience[start : start + 500]))
            activity.heartbeat(start)
        await asyncio.to_thread(self._record_reminded, request, sorted(reached))
        return len(reached)

    def _plan_cycle_now(self, request: NextReviewCycleInput) -> int:
        with session_scope(self._engine) as session:
            return reports.open_next_cycle_now(
                session,
                campaign_id=request.campaign_id,
                after=request.after,
                actor=request.actor,
                at=request.at or utcnow(),
            )

    @activity.defn(name="plan_review_cycle_now")
    @domain_errors_are_final
    async def plan_review_cycle_now(self, request: NextReviewCycleInput) -> int:
        """The number of the review cycle a coordinator opens now, recorded once in the audit log."""
        return await asyncio.to_thread(self._plan_cycle_now, request)

    # ---- announcements ---------------------------------------------------------------

    def _signed_invitations(self, campaign_id: int) -> list[int]:
        with session_scope(self._engine) as session:
            rows = session.exec(
                select(Invitation.id)
                .where(Invitation.campaign_id == campaign_id, Invitation.status == InvitationStatus.signed)
                .order_by(col(Invitation.id))
            ).all()
        return [i for i in rows if i is not None]

    @activity.defn(name="announce_in_force")
    @domain_errors_are_final
    async def announce_in_force(self, request: AnnounceInput) -> int:
        """Tell every signatory and the coordinator that the pact is in force, naming the signatories."""
        workflow_id = campaign_workflow_id(request.campaign_id)
        invitation_ids = await asyncio.to_thread(self._signed_invitations, request.campaign_id)
        jobs = [
            EmailJob(
                kind=EmailKind.pact_in_force,
                message_id=self._delivery.message_id(workflow_id, f"in-force-{invitation_id}"),
                planned_at=request.planned_at,
                invitation_id=invitation_id,
            )
            for invitation_id in invitation_ids
        ]
        jobs.append(
            EmailJob(
                kind=EmailKind.pact_in_force,
                message_id=self._delivery.message_id(workflow_id, "in-force-coordinator"),
                planned_at=request.planned_at,
                campaign_id=request.campaign_id,
            )
        )
        results = await self._delivery.deliver(jobs, heartbeat=True)
        return sum(1 for r in results if r.outcome in ("accepted", "already_accepted"))

    def activities(self) -> list[Callable[..., Any]]:
        """The activities that run on the main task queue."""
        return [
            self.mark_in_force,
            self.mark_campaign_ended,
            self.extend_campaign_deadline,
            self.add_invitees,
            self.broadcast_to_pledges,
            self.remind_now,
            self.plan_review_cycle_now,
        ]
