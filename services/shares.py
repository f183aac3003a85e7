"""Sharing a campaign with co-coordinators: who may share, with whom, audited."""

from __future__ import annotations

from sqlmodel import Session, col, select

from models.campaign import Campaign
from models.user import CampaignShare, Role, User
from pledgeflow.errors import Forbidden, InvalidInput, NotFound
from services import audit, users

SHAREABLE_ROLES = (Role.coordinator, Role.admin)


def can_share(user: User, campaign: Campaign) -> bool:
    """Only the campaign's owner or an admin shares it (a co-coordinator does not pass it on)."""
    return user.role is Role.admin or (campaign.owner_id is not None and campaign.owner_id == user.id)


def _require_sharer(user: User, campaign: Campaign) -> None:
    if not can_share(user, campaign):
        raise Forbidden(f"only the owner of campaign {campaign.id} or an admin can change who shares it")


def list_for(session: Session, *, campaign: Campaign) -> list[tuple[CampaignShare, User]]:
    """The campaign's co-coordinators with their shares, oldest share first."""
    rows = session.exec(
        select(CampaignShare, User)
        .join(User, col(User.id) == col(CampaignShare.user_id))
        .where(CampaignShare.campaign_id == campaign.id)
        .order_by(col(CampaignShare.id))
    )
    return list(rows.all())


def add(
    session: Session, *, campaign: Campaign, by: User, email: str, actor: str
) -> tuple[CampaignShare, User]:
    """Share the campaign with an active coordinator or admin, named by email."""
    _require_sharer(by, campaign)
    user = users.get_user_by_email(session, email)
    if user is None or not user.active or user.role not in SHAREABLE_ROLES:
        raise InvalidInput.for_field("email", f"{email} is not an active coordinator or admin")
    if user.id == campaign.owner_id:
        raise InvalidInput.for_field("email", f"{email} owns this campaign")
    existing = session.exec(
        select(CampaignShare).where(
            CampaignShare.campaign_id == campaign.id, CampaignShare.user_id == user.id
        )
    ).first()
    if existing is not None:
        raise InvalidInput.for_field("email", f"the campaign is already shared with {email}")
    share = CampaignShare(campaign_id=campaign.id or 0, user_id=user.id or 0)
    session.add(share)
    session.flush()
    audit.append(
        session,
        kind="campaign.shared",
        actor=actor,
        campaign_id=campaign.id,
        subject=f"campaign:{campaign.id}",
        data={"user_id": user.id, "email": user.email},
    )
    return share, user


def remove(session: Session, *, campaign: Campaign, by: User, user_id: int, actor: str) -> None:
    """Stop sharing the campaign with one person; NotFound when it was not shared with them."""
    _require_sharer(by, campaign)
    found = session.exec(
        select(CampaignShare, User)
        .join(User, col(User.id) == col(CampaignShare.user_id))
        .where(CampaignShare.campaign_id == campaign.id, CampaignShare.user_id == user_id)
    ).first()
    if found is None:
        raise NotFound(f"campaign {campaign.id} is not shared with user {user_id}")
    share, user = found
    session.delete(share)
    session.flush()
    audit.append(
        session,
        kind="campaign.unshared",
        actor=actor,
        campaign_id=campaign.id,
        subject=f"campaign:{campaign.id}",
        data={"user_id": user.id, "email": user.email},
    )
