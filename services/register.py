"""The public register: who committed, when, and whether the pact is in force."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from models.campaign import Campaign, CampaignStatus, Visibility
from models.commitment import Commitment
from models.organisation import Organisation
from models.report import SignatoryStanding, Standing
from models.signature import Signature
from pledgeflow.errors import NotFound
from services import campaigns, signatures

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
    pledge_language: str = "en"  # the language of the text this signatory signed


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
    pledge_language: str = "en"  # the original's; `pledge_sha256` is its hash
    pledge_texts: dict[str, str] = field(default_factory=dict)  # each translation's hash by language


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


def _entry(session: Session, signature: Signature, standings: dict[int, str]) -> RegisterEntry:
    facts = signatures.signed_facts(session, signature)
    return RegisterEntry(
        organisation=facts.organisation_name,
        kind=facts.organisation_kind,
        country=facts.organisation_country,
        signed_at=signature.signed_at,
        signer=f"{signature.signer_name}, {signature.signer_title}" if signature.publish_name else None,
        withdrawn_at=signature.withdrawn_at,
        standing=standings.get(signature.organisation_id, Standing.good.value),
        pledge_language=signature.pledge_language,
    )


def register(session: Session, campaign: Campaign) -> Register:
    """What the register shows: no personal data beyond what signatories agreed to publish."""
    pledge = campaigns.launched_pledge(session, campaign)
    rows = session.exec(
        select(Signature).where(Signature.campaign_id == campaign.id).order_by(col(Signature.signed_at))
    ).all()
    # Only rows signed before the facts were copied read the organisations' current records.
    old = {s.organisation_id for s in rows if s.organisation_name is None}
    if old:
        session.exec(select(Organisation).where(col(Organisation.id).in_(old))).all()
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
        signatories=[_entry(session, sig, standings) for sig in rows],
        invited=campaigns.count_invitations(session, campaign.id or 0),
        pledge_language=pledge.language,
        pledge_texts={tag: t["sha256"] for tag, t in (pledge.translations or {}).items()},
    )
