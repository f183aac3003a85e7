"""The public register: who committed, when, and whether the pact is in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models.campaign import Campaign, CampaignStatus, Visibility
from models.organisation import Organisation
from models.pledge import Commitment
from models.report import SignatoryStanding, Standing
from models.signature import Signature
from pledgeflow.errors import NotFound
from services import campaigns

SHOWN_STATUSES = (CampaignStatus.launched, CampaignStatus.in_force, CampaignStatus.closed)


@dataclass
class RegisterEntry:
    organisation: str
    kind: str
    country: str
    signed_at: datetime
    signer: str | None  # only when the signer agreed to be named
    withdrawn_at: datetime | None
    standing: str = Standing.good.value  # good, overdue, non_compliant or lapsed (review cycles)


@dataclass
class Register:
    campaign_id: int
    title: str
    region: str
    status: str
    in_force: bool
    in_force_at: datetime | None
    pledge_title: str
    pledge_introduction: str
    pledge_version: int
    pledge_sha256: str
    commitments: list[Commitment]
    signatories: list[RegisterEntry]
    invited: int


def by_key(session: Session, register_key: str) -> Campaign:
    """The campaign behind a register address, unless private or not launched."""
    campaign = session.exec(select(Campaign).where(Campaign.register_key == register_key)).first()
    if campaign is None or campaign.visibility is Visibility.private or campaign.status not in SHOWN_STATUSES:
        raise NotFound("there is no public register at this address")
    return campaign


def listed(session: Session) -> list[Campaign]:
    """Public campaigns for the register's index (unlisted ones are reachable only by their address)."""
    return list(
        session.exec(
            select(Campaign)
            .where(Campaign.visibility == Visibility.public, col(Campaign.status).in_(SHOWN_STATUSES))
            .order_by(col(Campaign.launched_at).desc())
        ).all()
    )


def register(session: Session, campaign: Campaign) -> Register:
    """What the register shows: no personal data beyond what signatories agreed to publish."""
    pledge = campaigns.launched_pledge(session, campaign)
    rows = session.exec(
        select(Signature, Organisation)
        .join(Organisation, col(Organisation.id) == Signature.organisation_id)
        .where(Signature.campaign_id == campaign.id)
        .order_by(col(Signature.signed_at))
    ).all()
    standings = {
        row.organisation_id: row.standing.value
        for row in session.exec(
            select(SignatoryStanding).where(SignatoryStanding.campaign_id == campaign.id)
        ).all()
    }
    return Register(
        campaign_id=campaign.id or 0,
        title=campaign.title,
        region=campaign.region,
        status=campaign.status.value,
        in_force=campaign.in_force_at is not None,
        in_force_at=campaign.in_force_at,
        pledge_title=pledge.title,
        pledge_introduction=pledge.introduction,
        pledge_version=pledge.version,
        pledge_sha256=pledge.sha256,
        commitments=pledge.commitment_models(),
        signatories=[
            RegisterEntry(
                organisation=org.name,
                kind=org.kind.value,
                country=org.country,
                signed_at=sig.signed_at,
                signer=f"{sig.signer_name}, {sig.signer_title}" if sig.publish_name else None,
                withdrawn_at=sig.withdrawn_at,
                standing=standings.get(org.id or 0, Standing.good.value),
            )
            for sig, org in rows
        ],
        invited=campaigns.count_invitations(session, campaign.id or 0),
    )
