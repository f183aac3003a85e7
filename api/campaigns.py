"""Campaigns: create and read, attach a pledge, choose invitees, launch, follow progress."""

from __future__ import annotations

import dataclasses
from typing import Any, get_type_hints

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field, create_model

from api.deps import ContextDep, Offset, RecordId, SessionDep, UserDep, actor_of, campaign_for, require_writer
from api.responses import ERRORS_READ, ERRORS_TEMPORAL, ERRORS_WRITE
from models.campaign import CampaignCreate, CampaignPublic, CampaignStatus, CampaignUpdate
from models.invitation import InvitationPublic, InviteeChoice
from models.pledge import PledgeCreate, PledgePublic, pledge_public
from models.signature import SignaturePublic
from pledgeflow.errors import Conflict, NotFound
from pledgeflow.i18n import load_catalogs
from services import campaign_launch, campaigns, invitations, signatures
from workflows import client as workflow_client
from workflows.campaign_messages import AddInvitees, CampaignProgress, GroupProgress

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


class LaunchRequest(BaseModel):
    accept_fallback_languages: list[str] = Field(
        default_factory=list,
        max_length=50,
        description=(
            "Languages ('pt') whose invitees may get the pledge's original text because it has no "
            "text of theirs; without them such a launch is refused (409 naming the languages). "
            "The acceptance is recorded in the audit chain."
        ),
    )


class LaunchResult(BaseModel):
    campaign: CampaignPublic
    workflow_id: str


def _public_model(
    name: str, contract: type, *, types: dict[str, Any], extra: dict[str, Any], after: str = ""
) -> type[BaseModel]:
    """A response model with the fields of a workflow's query dataclass, in its order.

    `types` replaces a field's type (a nested dataclass by its public model); `extra` adds
    fields after the field named `after`. A field added to the dataclass shows in the API.
    """
    hints = get_type_hints(contract)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(contract):
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = ...
        fields[f.name] = (types.get(f.name, hints[f.name]), default)
        if f.name == after:
            fields.update(extra)
    return create_model(name, **fields)


GroupProgressPublic = _public_model("GroupProgressPublic", GroupProgress, types={}, extra={})
ProgressPublic = _public_model(
    "ProgressPublic",
    CampaignProgress,
    types={"groups": list[GroupProgressPublic]},  # type: ignore[valid-type]
    extra={"source": (str, ...)},  # "workflow" or "records"
    after="status",
)


@router.post("", status_code=201, response_model=CampaignPublic, responses=ERRORS_WRITE)
def create_campaign(data: CampaignCreate, session: SessionDep, user: UserDep) -> CampaignPublic:
    """Create a draft campaign owned by the caller."""
    require_writer(user)
    campaign = campaigns.create(session, data=data, owner=user, actor=actor_of(user))
    return campaigns.public(campaign)


@router.get("", response_model=list[CampaignPublic], responses=ERRORS_READ)
def list_campaigns(
    session: SessionDep,
    user: UserDep,
    offset: Offset = 0,
    limit: int = Query(100, ge=1, le=1000),
) -> list[CampaignPublic]:
    """The campaigns this token may see."""
    rows = campaigns.list_for(session, user=user, offset=offset, limit=limit)
    return [campaigns.public(c) for c in rows]


@router.get("/{campaign_id}", response_model=CampaignPublic, responses=ERRORS_READ)
def read_campaign(campaign_id: RecordId, session: SessionDep, user: UserDep) -> CampaignPublic:
    """One campaign."""
    return campaigns.public(campaign_for(session, user, campaign_id))


@router.patch("/{campaign_id}", response_model=CampaignPublic, responses=ERRORS_WRITE)
def update_campaign(
    campaign_id: RecordId, data: CampaignUpdate, session: SessionDep, user: UserDep
) -> CampaignPublic:
    """Change a campaign's settings."""
    campaign = campaign_for(session, user, campaign_id, write=True)
    return campaigns.public(campaigns.update(session, campaign=campaign, data=data, actor=actor_of(user)))


@router.put("/{campaign_id}/pledge", status_code=201, response_model=PledgePublic, responses=ERRORS_WRITE)
def attach_pledge(
    campaign_id: RecordId, data: PledgeCreate, session: SessionDep, user: UserDep
) -> PledgePublic:
    """Attach a new version of the pledge (only while the campaign is a draft)."""
    campaign = campaign_for(session, user, campaign_id, write=True)
    pledge = campaigns.attach_pledge(session, campaign=campaign, data=data, actor=actor_of(user))
    return pledge_public(pledge)


@router.get("/{campaign_id}/pledge", response_model=PledgePublic, responses=ERRORS_READ)
def read_pledge(campaign_id: RecordId, session: SessionDep, user: UserDep) -> PledgePublic:
    """The pledge: the version frozen at launch, or the newest draft."""
    campaign = campaign_for(session, user, campaign_id)
    pledge = campaigns.current_pledge(session, campaign_id)
    if campaign.pledge_version is not None:
        pledge = campaigns.pledge_version(session, campaign_id, campaign.pledge_version)
    if pledge is None:
        raise NotFound(f"campaign {campaign_id} has no pledge yet")
    return pledge_public(pledge)


@router.post(
    "/{campaign_id}/invitees",
    status_code=201,
    response_model=list[InvitationPublic],
    responses=ERRORS_TEMPORAL,
)
async def choose_invitees(
    campaign_id: RecordId,
    session: SessionDep,
    user: UserDep,
    context: ContextDep,
    invitees: list[InviteeChoice] = Body(..., embed=True),
) -> list[InvitationPublic]:
    """Choose organisations (and the contact to write to) to invite; all or nothing.

    In a draft they wait for the launch; in a launched campaign they are invited at once.
    """
    campaign = campaign_for(session, user, campaign_id, write=True)
    if campaign.status is CampaignStatus.draft:
        created = campaigns.choose_invitees(
            session, campaign=campaign, choices=invitees, actor=actor_of(user), by=user
        )
        return invitations.list_for_campaign(
            session, campaign_id=campaign_id, only_ids=[i.id for i in created if i.id is not None]
        )
    if campaign.status is not CampaignStatus.launched:
        raise Conflict(f"campaign {campaign_id} is {campaign.status}: no one can be invited any more")
    # The workflow's activity knows only the actor's name: the directory is checked here, before.
    campaigns.check_invitees_in_directory(session, user=user, choices=invitees)
    before = {i.id for i in invitations.list_for_campaign(session, campaign_id=campaign_id, limit=1_000_000)}
    session.commit()
    await workflow_client.add_invitees(
        await context.temporal(),
        campaign_id,
        AddInvitees(
            organisation_ids=[c.organisation_id for c in invitees],
            contact_ids=[c.contact_id for c in invitees],
            actor=actor_of(user),
        ),
    )
    session.expire_all()
    listed = invitations.list_for_campaign(session, campaign_id=campaign_id, limit=1_000_000)
    return [i for i in listed if i.id not in before]


@router.post("/{campaign_id}/launch", status_code=202, response_model=LaunchResult, responses=ERRORS_TEMPORAL)
async def launch_campaign(
    campaign_id: RecordId,
    session: SessionDep,
    user: UserDep,
    context: ContextDep,
    data: LaunchRequest | None = None,
) -> LaunchResult:
    """Freeze the pledge and start the campaign workflow; launching twice invites no one twice.

    Refused while a language the invitees read has no pledge text, unless its fallback to the
    original text is accepted in `accept_fallback_languages`.
    """
    campaign = campaign_for(session, user, campaign_id, write=True)
    campaign_launch.require_pledge_texts(
        session,
        campaign=campaign,
        catalogs=load_catalogs(context.settings.templates_dir),
        accept_fallback=(data or LaunchRequest()).accept_fallback_languages,
        actor=actor_of(user),
    )
    campaign = campaigns.mark_launched(session, campaign=campaign, actor=actor_of(user))
    # The launch is recorded before the workflow starts: if Temporal is down the answer is a
    # 503 and launching again starts it, with nothing lost.
    session.commit()
    client = await context.temporal()
    workflow_id = await workflow_client.start_campaign(client, context.settings, campaign_id)
    return LaunchResult(campaign=campaigns.public(campaign), workflow_id=workflow_id)


@router.get("/{campaign_id}/progress", response_model=ProgressPublic, responses=ERRORS_TEMPORAL)
async def campaign_progress(
    campaign_id: RecordId, session: SessionDep, user: UserDep, context: ContextDep
) -> BaseModel:
    """Counts from the campaign workflow's query (invited, signed, declined, delegated)."""
    campaign = campaign_for(session, user, campaign_id)
    if campaign.status is CampaignStatus.draft:
        planned = campaigns.count_invitations(session, campaign_id)
        return ProgressPublic(
            campaign_id=campaign_id,
            status="draft",
            source="records",
            launch_complete=False,
            invitations_planned=planned,
            invited=0,
            signed=0,
            declined=0,
            delegated=0,
            undeliverable=0,
            open=0,
        )
    progress: CampaignProgress = await workflow_client.campaign_progress(
        await context.temporal(), campaign_id
    )
    return ProgressPublic.model_validate({**progress.__dict__, "source": "workflow"}, from_attributes=True)


@router.get("/{campaign_id}/invitations", response_model=list[InvitationPublic], responses=ERRORS_READ)
def list_invitations(
    campaign_id: RecordId,
    session: SessionDep,
    user: UserDep,
    offset: Offset = 0,
    limit: int = Query(500, ge=1, le=5000),
) -> list[InvitationPublic]:
    """The campaign's invitations with their status."""
    campaign_for(session, user, campaign_id)
    return invitations.list_for_campaign(session, campaign_id=campaign_id, offset=offset, limit=limit)


@router.get("/{campaign_id}/signatures", response_model=list[SignaturePublic], responses=ERRORS_READ)
def list_signatures(campaign_id: RecordId, session: SessionDep, user: UserDep) -> list[SignaturePublic]:
    """Who signed, for which organisation, when, with which pledge hash."""
    campaign_for(session, user, campaign_id)
    return signatures.list_for_campaign(session, campaign_id=campaign_id)
