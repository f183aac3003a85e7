"""A launched campaign's lifecycle: extend, remind now, cancel, close, open the next review cycle,
reopen or extend one invitation.

Each action is a workflow update (or a signal), so it is recorded in the workflow's history and,
through its activity, in the audit log with the coordinator who took it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import MAX_RECORD_ID, ContextDep, RecordId, SessionDep, UserDep, actor_of, campaign_for
from api.responses import ERRORS_READ, ERRORS_TEMPORAL
from models.campaign import CampaignStatus
from models.common import utcnow
from pledgeflow.errors import Conflict, FieldProblem, NotFound
from services import campaigns, invitations
from workflows import client as workflow_client
from workflows.campaign_messages import EndCampaign, ExtendDeadline, RemindNow
from workflows.pledge_messages import DeadlineChange, ReopenRequest

router = APIRouter(prefix="/campaigns", tags=["campaign lifecycle"])


class DeadlineBody(BaseModel):
    deadline: date = Field(description="The new last day, in the campaign's time zone")


class ExtendBody(DeadlineBody):
    notify: bool = Field(default=True, description="Email those who have not answered the new date")


class RemindBody(BaseModel):
    invitation_ids: list[Annotated[int, Field(ge=1, le=MAX_RECORD_ID)]] | None = Field(
        default=None,
        min_length=1,
        max_length=10_000,
        description="Only these open invitations (all when absent)",
    )
    request_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Names the request: sending the same id again reminds no one twice",
    )


class RemindAnswer(BaseModel):
    campaign_id: int
    reminded: int


class ReviewCycleAnswer(BaseModel):
    campaign_id: int
    cycle: int


class ReasonBody(BaseModel):
    reason: str = Field(default="", max_length=2000)


class LifecycleAnswer(BaseModel):
    campaign_id: int
    status: str
    detail: str


class LifecycleEventPublic(BaseModel):
    action: str
    actor: str
    at: str
    detail: str


def _launched(status: CampaignStatus, campaign_id: int, action: str) -> None:
    if status not in (CampaignStatus.launched, CampaignStatus.in_force):
        raise Conflict(
            f"campaign {campaign_id} is {status.value}: it cannot {action}",
            errors=[FieldProblem("status", f"the campaign is {status.value}")],
        )


def _not_ended(status: CampaignStatus, campaign_id: int) -> None:
    if status in (CampaignStatus.cancelled, CampaignStatus.closed):
        raise Conflict(
            f"campaign {campaign_id} is already {status.value}",
            errors=[FieldProblem("status", f"the campaign is {status.value}")],
        )


def _future(deadline: date, zone_name: str) -> None:
    campaigns.require_future_date(deadline, timezone=zone_name)


@router.post("/{campaign_id}/extend-deadline", response_model=LifecycleAnswer, responses=ERRORS_TEMPORAL)
async def extend_deadline(
    campaign_id: RecordId, body: ExtendBody, session: SessionDep, user: UserDep, context: ContextDep
) -> LifecycleAnswer:
    """Move the signature deadline later; those who have not answered are told, unless `notify` is false."""
    campaign = campaign_for(session, user, campaign_id, write=True)
    campaigns.check_new_deadline(campaign, body.deadline)
    session.close()
    await workflow_client.extend_campaign_deadline(
        await context.temporal(),
        campaign_id,
        ExtendDeadline(deadline=body.deadline.isoformat(), actor=actor_of(user), notify=body.notify),
    )
    told = "" if body.notify else " (no one was emailed)"
    return LifecycleAnswer(
        campaign_id=campaign_id, status="launched", detail=f"deadline is now {body.deadline}{told}"
    )


@router.post("/{campaign_id}/remind", response_model=RemindAnswer, responses=ERRORS_TEMPORAL)
async def remind_now(
    campaign_id: RecordId, body: RemindBody, session: SessionDep, user: UserDep, context: ContextDep
) -> RemindAnswer:
    """Send a reminder now to the named open invitations, or to everyone who has not answered."""
    campaign = campaign_for(session, user, campaign_id, write=True)
    _launched(campaign.status, campaign_id, "send reminders")
    session.close()
    result = await workflow_client.remind_now(
        await context.temporal(),
        campaign_id,
        RemindNow(actor=actor_of(user), invitation_ids=body.invitation_ids, request_id=body.request_id or ""),
    )
    return RemindAnswer(campaign_id=campaign_id, reminded=result.reminded)


@router.post("/{campaign_id}/review-cycles/next", response_model=ReviewCycleAnswer, responses=ERRORS_TEMPORAL)
async def open_next_review_cycle(
    campaign_id: RecordId, session: SessionDep, user: UserDep, context: ContextDep
) -> ReviewCycleAnswer:
    """Open every signatory's next review cycle now instead of at its date (the pact must be in force)."""
    campaign = campaign_for(session, user, campaign_id, write=True)
    if campaign.status is not CampaignStatus.in_force:
        raise Conflict(
            f"campaign {campaign_id} is {campaign.status.value}: review cycles start once the pact is"
            " in force",
            errors=[FieldProblem("status", f"the campaign is {campaign.status.value}")],
        )
    session.close()
    cycle = await workflow_client.open_next_review_cycle(
        await context.temporal(), campaign_id, actor_of(user)
    )
    return ReviewCycleAnswer(campaign_id=campaign_id, cycle=cycle)


@router.post("/{campaign_id}/cancel", response_model=LifecycleAnswer, responses=ERRORS_TEMPORAL)
async def cancel_campaign(
    campaign_id: RecordId, body: ReasonBody, session: SessionDep, user: UserDep, context: ContextDep
) -> LifecycleAnswer:
    """Cancel: everyone invited is told, and open links then say the campaign was cancelled."""
    campaign = campaign_for(session, user, campaign_id, write=True)
    _not_ended(campaign.status, campaign_id)
    if campaign.status is CampaignStatus.draft:
        campaigns.mark_ended(
            session,
            campaign_id=campaign_id,
            status=CampaignStatus.cancelled,
            actor=actor_of(user),
            reason=body.reason,
            at=utcnow(),
        )
        return LifecycleAnswer(campaign_id=campaign_id, status="cancelled", detail="the draft was cancelled")
    session.close()
    await workflow_client.cancel_campaign(
        await context.temporal(), campaign_id, EndCampaign(actor=actor_of(user), reason=body.reason)
    )
    return LifecycleAnswer(
        campaign_id=campaign_id, status="cancelled", detail="everyone invited is being told"
    )


@router.post("/{campaign_id}/close", response_model=LifecycleAnswer, responses=ERRORS_TEMPORAL)
async def close_campaign(
    campaign_id: RecordId, body: ReasonBody, session: SessionDep, user: UserDep, context: ContextDep
) -> LifecycleAnswer:
    """Close the campaign: no more answers are taken."""
    campaign = campaign_for(session, user, campaign_id, write=True)
    _not_ended(campaign.status, campaign_id)
    if campaign.status is CampaignStatus.draft:
        raise Conflict(f"campaign {campaign_id} is a draft: cancel it instead")
    session.close()
    await workflow_client.close_campaign(
        await context.temporal(), campaign_id, EndCampaign(actor=actor_of(user), reason=body.reason)
    )
    return LifecycleAnswer(campaign_id=campaign_id, status="closed", detail="the campaign is closed")


@router.get("/{campaign_id}/lifecycle", response_model=list[LifecycleEventPublic], responses=ERRORS_TEMPORAL)
async def lifecycle(
    campaign_id: RecordId, session: SessionDep, user: UserDep, context: ContextDep
) -> list[LifecycleEventPublic]:
    """The coordinator actions taken on the launched campaign, with who took them."""
    campaign_for(session, user, campaign_id)
    events = await workflow_client.campaign_lifecycle(await context.temporal(), campaign_id)
    return [
        LifecycleEventPublic(action=e.action, actor=e.actor, at=e.at.isoformat(), detail=e.detail)
        for e in events
    ]


def _invitation_in(session: SessionDep, campaign_id: int, invitation_id: int) -> tuple[int, int]:
    invitation = invitations.get_or_raise(session, invitation_id)
    if invitation.campaign_id != campaign_id:
        raise NotFound(
            f"invitation {invitation_id} is not part of campaign {campaign_id}",
            errors=[FieldProblem("invitation_id", "not in this campaign")],
        )
    return invitation.campaign_id, invitation.organisation_id


@router.post(
    "/{campaign_id}/invitations/{invitation_id}/reopen",
    response_model=LifecycleAnswer,
    responses=ERRORS_TEMPORAL,
)
async def reopen_invitation(
    campaign_id: RecordId,
    invitation_id: RecordId,
    body: DeadlineBody,
    session: SessionDep,
    user: UserDep,
    context: ContextDep,
) -> LifecycleAnswer:
    """Reopen an expired invitation until a new deadline; the contact gets a fresh link."""
    campaign = campaign_for(session, user, campaign_id, write=True)
    _future(body.deadline, campaign.timezone)
    ids = _invitation_in(session, campaign_id, invitation_id)
    zone = campaign.timezone
    session.close()
    await workflow_client.reopen(
        await context.temporal(),
        *ids,
        ReopenRequest(deadline=body.deadline.isoformat(), timezone=zone, actor=actor_of(user)),
    )
    return LifecycleAnswer(campaign_id=campaign_id, status="reopened", detail=f"open until {body.deadline}")


@router.post(
    "/{campaign_id}/invitations/{invitation_id}/extend-deadline",
    response_model=LifecycleAnswer,
    responses=ERRORS_TEMPORAL,
)
async def extend_invitation_deadline(
    campaign_id: RecordId,
    invitation_id: RecordId,
    body: DeadlineBody,
    session: SessionDep,
    user: UserDep,
    context: ContextDep,
) -> LifecycleAnswer:
    """Extend the deadline of one organisation; its reminders are re-planned and it is told."""
    campaign = campaign_for(session, user, campaign_id, write=True)
    _future(body.deadline, campaign.timezone)
    ids = _invitation_in(session, campaign_id, invitation_id)
    zone = campaign.timezone
    session.close()
    await workflow_client.extend_pledge_deadline(
        await context.temporal(),
        *ids,
        DeadlineChange(deadline=body.deadline.isoformat(), timezone=zone, actor=actor_of(user)),
    )
    return LifecycleAnswer(
        campaign_id=campaign_id, status="extended", detail=f"deadline is now {body.deadline}"
    )


__all__ = ["ERRORS_READ", "router"]
