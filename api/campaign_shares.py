"""Who a campaign is shared with: its owner (or an admin) adds and removes co-coordinators."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, EmailStr

from api.deps import RecordId, SessionDep, UserDep, actor_of, campaign_for
from api.responses import ERRORS_READ, ERRORS_WRITE
from models.user import CampaignShare, Role, User
from services import shares

router = APIRouter(prefix="/campaigns", tags=["campaigns"])

ERRORS_REMOVE: dict[int | str, dict[str, Any]] = {k: v for k, v in ERRORS_WRITE.items() if k != 409}
ERRORS_ADD: dict[int | str, dict[str, Any]] = ERRORS_REMOVE


class ShareCreate(BaseModel):
    email: EmailStr


class SharePublic(BaseModel):
    user_id: int
    email: str
    name: str
    role: Role
    created_at: datetime


def _public(share: CampaignShare, user: User) -> SharePublic:
    return SharePublic(
        user_id=user.id or 0, email=user.email, name=user.name, role=user.role, created_at=share.created_at
    )


@router.get("/{campaign_id}/shares", response_model=list[SharePublic], responses=ERRORS_READ)
def list_shares(campaign_id: RecordId, session: SessionDep, user: UserDep) -> list[SharePublic]:
    """The people the campaign is shared with, besides its owner."""
    campaign = campaign_for(session, user, campaign_id)
    return [_public(s, u) for s, u in shares.list_for(session, campaign=campaign)]


@router.post("/{campaign_id}/shares", status_code=201, response_model=SharePublic, responses=ERRORS_ADD)
def add_share(campaign_id: RecordId, data: ShareCreate, session: SessionDep, user: UserDep) -> SharePublic:
    """Share the campaign with an active coordinator or admin (owner or admin only)."""
    campaign = campaign_for(session, user, campaign_id, write=True)
    share, shared_with = shares.add(
        session, campaign=campaign, by=user, email=data.email, actor=actor_of(user)
    )
    return _public(share, shared_with)


@router.delete(
    "/{campaign_id}/shares/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS_REMOVE
)
def remove_share(campaign_id: RecordId, user_id: RecordId, session: SessionDep, user: UserDep) -> Response:
    """Stop sharing the campaign with one person (owner or admin only)."""
    campaign = campaign_for(session, user, campaign_id, write=True)
    shares.remove(session, campaign=campaign, by=user, user_id=user_id, actor=actor_of(user))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
