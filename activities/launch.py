"""Launch fan-out: start pledge workflows and send their invitations in batches.

Batching is what keeps a launch of thousands cheap: one activity starts a few hundred pledge
workflows (idempotent: the ids are deterministic) and sends their invitations over one SMTP
connection (idempotent: each Message-ID is sent once).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import col, select
from temporalio import activity

from activities.email import EmailDelivery, EmailJob, SendEmailResult
from activities.errors import domain_errors_are_final
from activities.workflow_calls import WorkflowCalls
from models.contact import Contact
from models.email_message import EmailKind
from models.invitation import OPEN_STATUSES, Invitation
from models.quorum import StakeholderGroup
from pledgeflow.db import session_scope
from pledgeflow.mail.acceptance import heartbeat_accepted, inherited_acceptances
from services import campaigns, invitations
from services.chase_plans import chase_plan
from workflows.campaign_messages import InvitationRange, Member
from workflows.chasing import ChasePlan
from workflows.ids import pledge_workflow_id
from workflows.pledge_messages import InvitationUndeliverable, PledgeInput
from workflows.quiet_hours import hold_until
from workflows.quorum import GroupRule

START_CONCURRENCY = 32


@dataclass
class LaunchPlanInput:
    campaign_id: int
    batch_size: int = 200
    after_invitation_id: int = 0


@dataclass
class LaunchPlan:
    ranges: list[InvitationRange] = field(default_factory=list)
    rules: list[GroupRule] = field(default_factory=list)
    timezone: str = "UTC"


@dataclass
class InviteBatchInput:
    campaign_id: int
    first_invitation_id: int
    last_invitation_id: int
    planned_at: datetime
    task_queue: str
    email_task_queue: str


@dataclass
class InviteBatchResult:
    members: list[Member] = field(default_factory=list)


def ranges_of(ids: list[int], batch_size: int) -> list[InvitationRange]:
    """Split sorted invitation ids into ranges of at most batch_size."""
    return [
        InvitationRange(first_id=chunk[0], last_id=chunk[-1], count=len(chunk))
        for chunk in (ids[i : i + batch_size] for i in range(0, len(ids), batch_size))
    ]


def group_rule(group: dict[str, object]) -> GroupRule:
    """A stored stakeholder group as the campaign workflow evaluates it."""
    parsed = StakeholderGroup.model_validate(group)
    return GroupRule(
        name=parsed.name,
        kinds=[k.value for k in parsed.kinds],
        organisation_ids=list(parsed.organisation_ids),
        rule=parsed.rule.value,
        n=parsed.n or 0,
        percent=parsed.percent or 0.0,
        required=list(parsed.required),
    )


class LaunchActivities:
    """Plan the fan-out, then invite one range of invitations at a time."""

    def __init__(self, *, engine: Engine, workflows: WorkflowCalls, delivery: EmailDelivery) -> None:
        self._engine = engine
        self._workflows = workflows
        self._delivery = delivery

    def _plan(self, request: LaunchPlanInput) -> LaunchPlan:
        with session_scope(self._engine) as session:
            ids = list(
                session.exec(
                    select(Invitation.id)
                    .where(
                        Invitation.campaign_id == request.campaign_id,
                        col(Invitation.id) > request.after_invitation_id,
                        col(Invitation.status).in_(OPEN_STATUSES),
                        col(Invitation.delegated_from_id).is_(None),
                    )
                    .order_by(col(Invitation.id))
                ).all()
            )
            campaign = campaigns.get_or_raise(session, request.campaign_id)
            rules = [group_rule(g) for g in campaign.quorum or []]
            zone = campaign.timezone
        return LaunchPlan(
            ranges=ranges_of([i for i in ids if i is not None], request.batch_size),
            rules=rules,
            timezone=zone,
        )

    @activity.defn(name="plan_launch")
    @domain_errors_are_final
    async def plan_launch(self, request: LaunchPlanInput) -> LaunchPlan:
        """Split the campaign's open invitations into id ranges of at most batch_size."""
        return await asyncio.to_thread(self._plan, request)

    def _load_range(self, request: InviteBatchInput) -> list[tuple[Invitation, str, ChasePlan]]:
        with session_scope(self._engine) as session:
            campaign = campaigns.get_or_raise(session, request.campaign_id)
            rows = [
                (inv, org)
                for inv, org in invitations.page_to_launch(
                    session,
                    campaign_id=request.campaign_id,
                    after_id=request.first_invitation_id - 1,
                    limit=request.last_invitation_id - request.first_invitation_id + 1,
                )
                if (inv.id or 0) <= request.last_invitation_id
            ]
            people = {
                c.id: c
                for c in session.exec(
                    select(Contact).where(col(Contact.id).in_([inv.contact_id for inv, _ in rows]))
                )
            }
            return [
                (
                    inv,
                    org.kind.value,
                    chase_plan(
                        campaign,
                        people[inv.contact_id],
                        started_at=request.planned_at,
                        deadline=inv.deadline or campaign.signature_deadline,
                    ),
                )
                for inv, org in rows
            ]

    async def _start_pledge(
        self,
        request: InviteBatchInput,
        invitation: Invitation,
        plan: ChasePlan,
        invite_at: datetime | None = None,
    ) -> None:
        await self._workflows.start_pledge(
            PledgeInput(
                campaign_id=invitation.campaign_id,
                organisation_id=invitation.organisation_id,
                invitation_id=invitation.id or 0,
                email_task_queue=request.email_task_queue,
                plan=plan,
                invite_at=invite_at,
            ),
            task_queue=request.task_queue,
        )

    async def _tell_refused(
        self, rows: list[tuple[Invitation, str, ChasePlan]], results: list[SendEmailResult]
    ) -> None:
        """Each pledge workflow whose invitation was refused for good stops chasing (idempotent)."""
        for (invitation, _, _), result in zip(rows, results, strict=True):
            if result.outcome != "refused":
                continue
            await self._workflows.pledge_undeliverable(
                invitation.campaign_id,
                invitation.organisation_id,
                InvitationUndeliverable(invitation_id=invitation.id or 0, detail=result.detail[:300]),
            )

    @activity.defn(name="invite_batch")
    @domain_errors_are_final
    async def invite_batch(self, request: InviteBatchInput) -> InviteBatchResult:
        """Start the pledge workflows of one range, then send their invitations."""
        rows = await asyncio.to_thread(self._load_range, request)
        gate = asyncio.Semaphore(START_CONCURRENCY)
        # Contacts in their quiet hours get their invitation from their own pledge workflow, at
        # their morning; the rest (a launch in the day: everyone) go in this batch at once.
        held = {
            inv.id: hold_until(request.planned_at, plan.timezones.get("contact", "UTC"), plan.quiet)
            for inv, _, plan in rows
        }

        async def start(invitation: Invitation, plan: ChasePlan) -> None:
            async with gate:
                await self._start_pledge(request, invitation, plan, held[invitation.id])

        # Workflows first: a link must never arrive before the workflow that answers it.
        await asyncio.gather(*(start(inv, plan) for inv, _, plan in rows))
        # Carry an earlier attempt's acceptances forward: these details replace the last ones.
        heartbeat_accepted(inherited_acceptances(), "workflows started")
        jobs = [
            EmailJob(
                kind=EmailKind.invitation,
                invitation_id=inv.id or 0,
                message_id=self._delivery.message_id(
                    pledge_workflow_id(inv.campaign_id, inv.organisation_id), f"invitation-{inv.id}"
                ),
                planned_at=request.planned_at,
            )
            for inv, _, _ in rows
            if held[inv.id] is None
        ]
        results = await self._delivery.deliver(jobs, heartbeat=True)
        sent = [row for row in rows if held[row[0].id] is None]
        await self._tell_refused(sent, results)
        refused = {job.invitation_id for job, r in zip(jobs, results, strict=True) if r.outcome == "refused"}
        return InviteBatchResult(
            members=[
                Member(
                    organisation_id=inv.organisation_id,
                    kind=kind,
                    invitation_id=inv.id or 0,
                    status="undeliverable" if inv.id in refused else "invited",
                )
                for inv, kind, _ in rows
            ]
        )
