"""Campaigns: create, read, attach a pledge, choose invitees, prepare the launch."""

from __future__ import annotations

from sqlmodel import Session, col, func, or_, select

from models.campaign import Campaign, CampaignCreate, CampaignStatus, CampaignUpdate
from models.common import utcnow
from models.contact import Contact
from models.invitation import Invitation, InvitationStatus, InviteeChoice
from models.pledge import Pledge, PledgeCreate, pledge_sha256
from models.user import CampaignShare, Role, User
from pledgeflow.errors import Conflict, FieldProblem, InvalidInput, not_found
from services import audit, organisations

ACTIVE_INVITATION_STATUSES = (
    InvitationStatus.pending,
    InvitationStatus.sent,
    InvitationStatus.signed,
    InvitationStatus.declined,
    InvitationStatus.expired,
    InvitationStatus.unresponsive,
    InvitationStatus.withdrawn,
)


def get_or_raise(session: Session, campaign_id: int) -> Campaign:
    """The campaign, or NotFound."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise not_found("campaign", campaign_id)
    return campaign


def list_for(session: Session, *, user: User | None, offset: int = 0, limit: int = 100) -> list[Campaign]:
    """Campaigns the user may see: all for admins and auditors, own and shared for others."""
    query = select(Campaign).order_by(col(Campaign.id)).offset(offset).limit(limit)
    if user is not None and user.role in (Role.coordinator, Role.reviewer):
        shared = select(CampaignShare.campaign_id).where(CampaignShare.user_id == user.id)
        query = query.where(or_(col(Campaign.owner_id) == user.id, col(Campaign.id).in_(shared)))
    return list(session.exec(query).all())


def create(session: Session, *, data: CampaignCreate, owner: User | None, actor: str) -> Campaign:
    """A new draft campaign owned by the caller."""
    campaign = Campaign.model_validate(data, update={"owner_id": owner.id if owner else None})
    if campaign.coordinator_email is None and owner is not None:
        campaign.coordinator_email = owner.email
    session.add(campaign)
    session.flush()
    audit.append(
        session,
        kind="campaign.created",
        actor=actor,
        campaign_id=campaign.id,
        subject=f"campaign:{campaign.id}",
        data={"title": campaign.title, "region": campaign.region},
    )
    return campaign


def update(session: Session, *, campaign: Campaign, data: CampaignUpdate, actor: str) -> Campaign:
    """Change settings of a campaign that has not ended."""
    if campaign.status in (CampaignStatus.closed, CampaignStatus.cancelled):
        raise Conflict(f"campaign {campaign.id} is {campaign.status} and can no longer change")
    changes = data.model_dump(exclude_unset=True)
    for key, value in changes.items():
        setattr(campaign, key, value)
    session.add(campaign)
    session.flush()
    audit.append(
        session,
        kind="campaign.updated",
        actor=actor,
        campaign_id=campaign.id,
        subject=f"campaign:{campaign.id}",
        data=changes,
    )
    return campaign


def current_pledge(session: Session, campaign_id: int) -> Pledge | None:
    """The newest pledge version of the campaign."""
    return session.exec(
        select(Pledge).where(Pledge.campaign_id == campaign_id).order_by(col(Pledge.version).desc())
    ).first()


def pledge_version(session: Session, campaign_id: int, version: int) -> Pledge | None:
    """One pledge version of the campaign."""
    return session.exec(
        select(Pledge).where(Pledge.campaign_id == campaign_id, Pledge.version == version)
    ).first()


def launched_pledge(session: Session, campaign: Campaign) -> Pledge:
    """The pledge version frozen at launch (or the newest while in draft)."""
    pledge = (
        pledge_version(session, campaign.id or 0, campaign.pledge_version)
        if campaign.pledge_version is not None
        else current_pledge(session, campaign.id or 0)
    )
    if pledge is None:
        raise Conflict(f"campaign {campaign.id} has no pledge")
    return pledge


def attach_pledge(session: Session, *, campaign: Campaign, data: PledgeCreate, actor: str) -> Pledge:
    """Add a new pledge version; refused once the campaign is launched (the text is frozen)."""
    if campaign.status is not CampaignStatus.draft:
        raise Conflict(
            f"campaign {campaign.id} is {campaign.status}: its pledge was frozen at launch",
            errors=[FieldProblem("status", "the pledge can only change while the campaign is a draft")],
        )
    previous = current_pledge(session, campaign.id or 0)
    pledge = Pledge(
        campaign_id=campaign.id or 0,
        version=(previous.version + 1) if previous else 1,
        title=data.title,
        introduction=data.introduction,
        commitments=[c.model_dump(mode="json") for c in data.commitments],
        sha256=pledge_sha256(data.title, data.introduction, data.commitments),
    )
    session.add(pledge)
    session.flush()
    audit.append(
        session,
        kind="pledge.attached",
        actor=actor,
        campaign_id=campaign.id,
        subject=f"pledge:{pledge.id}",
        data={"version": pledge.version, "sha256": pledge.sha256},
    )
    return pledge


def count_invitations(session: Session, campaign_id: int) -> int:
    """How many organisations have an invitation in this campaign."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Invitation)
            .where(
                Invitation.campaign_id == campaign_id,
                col(Invitation.status).in_(ACTIVE_INVITATION_STATUSES),
            )
        ).one()
    )


def active_invitation(session: Session, *, campaign_id: int, organisation_id: int) -> Invitation | None:
    """The organisation's current (not delegated, not cancelled) invitation in the campaign."""
    return session.exec(
        select(Invitation)
        .where(
            Invitation.campaign_id == campaign_id,
            Invitation.organisation_id == organisation_id,
            col(Invitation.status).in_(ACTIVE_INVITATION_STATUSES),
        )
        .order_by(col(Invitation.id).desc())
    ).first()


def choose_invitees(
    session: Session, *, campaign: Campaign, choices: list[InviteeChoice], actor: str
) -> list[Invitation]:
    """Create pending invitations; every problem is reported with its row, and nothing is added."""
    if campaign.status not in (CampaignStatus.draft, CampaignStatus.launched):
        raise Conflict(f"campaign {campaign.id} is {campaign.status}: no one can be invited")
    if not choices:
        raise InvalidInput.for_field("invitees", "choose at least one organisation")
    problems: list[FieldProblem] = []
    planned: list[tuple[int, int]] = []
    seen: set[int] = set()
    for index, choice in enumerate(choices):
        where = f"invitees[{index}]"
        organisation = organisations.get(session, choice.organisation_id)
        if organisation is None:
            problems.append(
                FieldProblem(f"{where}.organisation_id", f"unknown organisation {choice.organisation_id}")
            )
            continue
        if choice.organisation_id in seen:
            problems.append(FieldProblem(f"{where}.organisation_id", "listed twice"))
            continue
        seen.add(choice.organisation_id)
        if active_invitation(session, campaign_id=campaign.id or 0, organisation_id=choice.organisation_id):
            problems.append(FieldProblem(f"{where}.organisation_id", "already invited to this campaign"))
            continue
        contact = _pick_contact(session, choice)
        if contact is None:
            reason = (
                f"contact {choice.contact_id} is not a contact of organisation {choice.organisation_id}"
                if choice.contact_id is not None
                else "the organisation has no contact; add one first"
            )
            problems.append(FieldProblem(f"{where}.contact_id", reason))
            continue
        planned.append((choice.organisation_id, contact.id or 0))
    if problems:
        raise InvalidInput(
            f"{len(problems)} invitee(s) cannot be invited; nothing was added", errors=problems
        )
    invitations = [
        Invitation(campaign_id=campaign.id or 0, organisation_id=org_id, contact_id=contact_id)
        for org_id, contact_id in planned
    ]
    session.add_all(invitations)
    session.flush()
    audit.append(
        session,
        kind="campaign.invitees_chosen",
        actor=actor,
        campaign_id=campaign.id,
        subject=f"campaign:{campaign.id}",
        data={"organisation_ids": [i.organisation_id for i in invitations]},
    )
    return invitations


def _pick_contact(session: Session, choice: InviteeChoice) -> Contact | None:
    query = select(Contact).where(Contact.organisation_id == choice.organisation_id)
    if choice.contact_id is not None:
        query = query.where(Contact.id == choice.contact_id)
    return session.exec(query.order_by(col(Contact.id))).first()


def mark_launched(session: Session, *, campaign: Campaign, actor: str) -> Campaign:
    """Check a draft can launch and freeze its pledge; a launched campaign is returned as is."""
    if campaign.status is CampaignStatus.launched or campaign.status is CampaignStatus.in_force:
        return campaign
    if campaign.status is not CampaignStatus.draft:
        raise Conflict(f"campaign {campaign.id} is {campaign.status} and cannot be launched")
    pledge = current_pledge(session, campaign.id or 0)
    problems: list[FieldProblem] = []
    if pledge is None:
        problems.append(FieldProblem("pledge", "attach a pledge before launching"))
    if count_invitations(session, campaign.id or 0) == 0:
        problems.append(FieldProblem("invitees", "choose at least one invitee before launching"))
    if problems:
        raise Conflict("the campaign is not ready to launch", errors=problems)
    assert pledge is not None
    campaign.status = CampaignStatus.launched
    campaign.pledge_version = pledge.version
    campaign.launched_at = utcnow()
    session.add(campaign)
    session.flush()
    audit.append(
        session,
        kind="campaign.launched",
        actor=actor,
        campaign_id=campaign.id,
        subject=f"campaign:{campaign.id}",
        data={"pledge_version": pledge.version, "pledge_sha256": pledge.sha256},
    )
    return campaign
