"""Campaigns: create, read, attach a pledge, choose invitees, prepare the launch."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, or_, select

from models.campaign import Campaign, CampaignCreate, CampaignPublic, CampaignStatus, CampaignUpdate
from models.common import utcnow, validate_country
from models.contact import Contact
from models.invitation import Invitation, InvitationStatus, InviteeChoice
from models.pledge import (
    ORIGINAL_LANGUAGE,
    Pledge,
    PledgeCreate,
    checked_translations,
    pledge_sha256,
    translation_record,
)
from models.policy import ChasePolicy, check_policy_for_campaign, effective_ladder
from models.quorum import StakeholderGroup
from models.review import ReviewSettings
from models.user import CampaignShare, Role, User
from pledgeflow.errors import Conflict, FieldProblem, InvalidInput, not_found
from services import audit, directory, organisations
from services.reviews.reviewers import check_reviewers

ACTIVE_INVITATION_STATUSES = (
    InvitationStatus.pending,
    InvitationStatus.sent,
    InvitationStatus.signed,
    InvitationStatus.declined,
    InvitationStatus.expired,
    InvitationStatus.unresponsive,
    InvitationStatus.withdrawn,
)


def country_of(region: str) -> str | None:
    """The country a campaign's region names, when it is an ISO code ("GH"); None for a region."""
    try:
        return validate_country(region) if len(region.strip()) == 2 else None
    except ValueError:
        return None


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


def effective_policy(campaign: Campaign) -> ChasePolicy:
    """The campaign's chasing policy with its ladder filled in (default ladder when not set)."""
    policy = ChasePolicy.model_validate(campaign.policy or {})
    policy.ladder = effective_ladder(policy, has_focal_point=bool(campaign.focal_point_email))
    return policy


def public(campaign: Campaign) -> CampaignPublic:
    """The campaign as the API shows it."""
    return CampaignPublic.model_validate(
        campaign,
        update={
            "policy": effective_policy(campaign),
            "quorum": campaign.quorum or [],
            "review": ReviewSettings.model_validate(campaign.review or {}),
        },
    )


def _check_policy(campaign: Campaign) -> None:
    check_policy_for_campaign(
        ChasePolicy.model_validate(campaign.policy or {}),
        deadline=campaign.signature_deadline,
        focal_point_email=campaign.focal_point_email,
        coordinator_email=campaign.coordinator_email,
        today=(campaign.launched_at or utcnow()).astimezone(ZoneInfo(campaign.timezone)).date(),
    )


def check_quorum_organisations(
    session: Session, *, groups: list[StakeholderGroup], owner: User | None, campaign_id: int | None
) -> None:
    """InvalidInput unless every organisation a group lists (or requires) is in the campaign owner's
    directory or invited to this campaign.

    Anything else reads as unknown, like an id that does not exist: the campaign page names a
    group's organisations, so an id of another directory would show that directory's names.
    """
    invited: set[int] = set()
    if campaign_id is not None:
        invited = set(
            session.exec(
                select(Invitation.organisation_id)
                .where(Invitation.campaign_id == campaign_id)
                .where(Invitation.status != InvitationStatus.cancelled)
            ).all()
        )
    problems: list[FieldProblem] = []
    for index, group in enumerate(groups):
        for field, ids in (("organisation_ids", group.organisation_ids), ("required", group.required)):
            for organisation_id in ids:
                known = organisation_id in invited or (
                    owner is not None
                    and directory.owned_organisation(session, owner, organisation_id) is not None
                )
                if not known:
                    problems.append(
                        FieldProblem(f"quorum.{index}.{field}", f"unknown organisation {organisation_id}")
                    )
    if problems:
        raise InvalidInput("the quorum names organisations that are not yours", errors=problems)


def create(session: Session, *, data: CampaignCreate, owner: User | None, actor: str) -> Campaign:
    """A new draft campaign owned by the caller; its policy must be able to run."""
    if data.review is not None:
        check_reviewers(session, data.review)
    check_quorum_organisations(session, groups=data.quorum, owner=owner, campaign_id=None)
    campaign = Campaign.model_validate(
        data.model_dump(exclude={"quorum", "policy", "review"}),
        update={
            "owner_id": owner.id if owner else None,
            "quorum": [g.model_dump(mode="json") for g in data.quorum],
            "policy": data.policy.model_dump(mode="json", exclude_none=True) if data.policy else {},
            "review": data.review.model_dump(mode="json") if data.review else {},
        },
    )
    if campaign.coordinator_email is None and owner is not None:
        campaign.coordinator_email = owner.email
    campaign.country = country_of(campaign.region)
    _check_policy(campaign)
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
    if campaign.status is not CampaignStatus.draft and (data.quorum is not None or data.signature_deadline):
        raise Conflict(
            f"campaign {campaign.id} is {campaign.status}: change quorum before launch, and extend the "
            "deadline with the campaign's extend-deadline action so invitees are told",
            errors=[FieldProblem("status", "only while the campaign is a draft")],
        )
    if data.quorum is not None:
        owner = session.get(User, campaign.owner_id) if campaign.owner_id else None
        check_quorum_organisations(session, groups=data.quorum, owner=owner, campaign_id=campaign.id)
    changes = data.model_dump(exclude_unset=True, mode="json")
    for key, value in changes.items():
        if key == "review" and data.review is not None:
            check_reviewers(session, data.review)
        if key == "policy" and value is not None:
            value = data.policy.model_dump(mode="json", exclude_none=True) if data.policy else {}
        setattr(campaign, key, value if key in ("quorum", "policy", "review") else getattr(data, key))
    campaign.country = country_of(campaign.region)
    _check_policy(campaign)
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
    """The pledge version frozen at launch (or the newest while in draft); cached per session."""
    cache: dict[tuple[int, int | None], Pledge] = session.info.setdefault("launched_pledges", {})
    key = (campaign.id or 0, campaign.pledge_version)
    if key in cache:
        return cache[key]
    pledge = (
        pledge_version(session, campaign.id or 0, campaign.pledge_version)
        if campaign.pledge_version is not None
        else current_pledge(session, campaign.id or 0)
    )
    if pledge is None:
        raise Conflict(f"campaign {campaign.id} has no pledge")
    if campaign.pledge_version is not None:  # a draft's newest version may still change
        cache[key] = pledge
    return pledge


def attach_pledge(session: Session, *, campaign: Campaign, data: PledgeCreate, actor: str) -> Pledge:
    """Add a new pledge version; refused once the campaign is launched (the text is frozen)."""
    if campaign.status is not CampaignStatus.draft:
        raise Conflict(
            f"campaign {campaign.id} is {campaign.status}: its pledge was frozen at launch",
            errors=[FieldProblem("status", "the pledge can only change while the campaign is a draft")],
        )
    texts, problems = checked_translations(data)
    if problems:
        raise InvalidInput(
            "; ".join(f"{field}: {reason}" for field, reason in problems),
            errors=[FieldProblem(field, reason) for field, reason in problems],
        )
    previous = current_pledge(session, campaign.id or 0)
    pledge = Pledge(
        campaign_id=campaign.id or 0,
        version=(previous.version + 1) if previous else 1,
        title=data.title,
        introduction=data.introduction,
        commitments=[c.model_dump(mode="json") for c in data.commitments],
        sha256=pledge_sha256(data.title, data.introduction, data.commitments),
        language=data.language,
        translations={tag: translation_record(tag, data.commitments, text) for tag, text in texts.items()}
        or None,
    )
    session.add(pledge)
    session.flush()
    # Each language's hash is recorded in the chain, so a translation is as provable as the original.
    recorded: dict[str, object] = {"version": pledge.version, "sha256": pledge.sha256}
    if pledge.translations or pledge.language != ORIGINAL_LANGUAGE:
        recorded["language"] = pledge.language
        recorded["texts"] = {tag: t["sha256"] for tag, t in (pledge.translations or {}).items()}
    audit.append(
        session,
        kind="pledge.attached",
        actor=actor,
        campaign_id=campaign.id,
        subject=f"pledge:{pledge.id}",
        data=recorded,
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


def check_invitees_in_directory(session: Session, *, user: User, choices: list[InviteeChoice]) -> None:
    """InvalidInput unless every chosen organisation is in the user's own directory.

    One outside it reads as unknown, exactly like an id that does not exist, so ids of other
    directories do not leak. (Its contacts are its own, so the contact needs no check of its own.)
    """
    problems = [
        FieldProblem(f"invitees[{index}].organisation_id", f"unknown organisation {choice.organisation_id}")
        for index, choice in enumerate(choices)
        if directory.owned_organisation(session, user, choice.organisation_id) is None
    ]
    if problems:
        raise InvalidInput(
            f"{len(problems)} invitee(s) cannot be invited; nothing was added", errors=problems
        )


def choose_invitees(
    session: Session,
    *,
    campaign: Campaign,
    choices: list[InviteeChoice],
    actor: str,
    by: User | None = None,
) -> list[Invitation]:
    """Create pending invitations; every problem is reported with its row, and nothing is added.

    `by` is the user choosing: only organisations of their own directory can be chosen.
    """
    if campaign.status not in (CampaignStatus.draft, CampaignStatus.launched):
        raise Conflict(f"campaign {campaign.id} is {campaign.status}: no one can be invited")
    if not choices:
        raise InvalidInput.for_field("invitees", "choose at least one organisation")
    problems: list[FieldProblem] = []
    planned: list[tuple[int, int]] = []
    seen: set[int] = set()
    for index, choice in enumerate(choices):
        where = f"invitees[{index}]"
        organisation = (
            organisations.get(session, choice.organisation_id)
            if by is None
            else directory.owned_organisation(session, by, choice.organisation_id)
        )
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


def draft_invitation(session: Session, *, campaign: Campaign, invitation_id: int) -> Invitation:
    """One of a draft campaign's chosen invitees (NotFound for another campaign's; Conflict once launched)."""
    invitation = session.get(Invitation, invitation_id)
    if (
        invitation is None
        or invitation.campaign_id != campaign.id
        or invitation.status not in ACTIVE_INVITATION_STATUSES
    ):
        raise not_found("invitation", invitation_id)
    if campaign.status is not CampaignStatus.draft:
        raise Conflict(
            f"campaign {campaign.id} is {campaign.status}: invitees change only before launch",
            errors=[FieldProblem("status", "only while the campaign is a draft")],
        )
    return invitation


def change_invitee_contact(
    session: Session, *, campaign: Campaign, invitation_id: int, contact_id: int, actor: str
) -> Invitation:
    """Write to another contact of the invited organisation (before launch)."""
    invitation = draft_invitation(session, campaign=campaign, invitation_id=invitation_id)
    contact = session.get(Contact, contact_id)
    if contact is None or contact.organisation_id != invitation.organisation_id:
        raise InvalidInput.for_field(
            "contact_id",
            f"contact {contact_id} is not a contact of organisation {invitation.organisation_id}",
        )
    previous = invitation.contact_id
    invitation.contact_id = contact_id
    session.add(invitation)
    session.flush()
    audit.append(
        session,
        kind="campaign.invitee_contact_changed",
        actor=actor,
        campaign_id=campaign.id,
        subject=f"invitation:{invitation.id}",
        data={
            "organisation_id": invitation.organisation_id,
            "from_contact_id": previous,
            "to_contact_id": contact_id,
        },
    )
    return invitation


def remove_invitee(session: Session, *, campaign: Campaign, invitation_id: int, actor: str) -> Invitation:
    """Take an organisation off a draft campaign's invitees (kept as cancelled, for the record)."""
    invitation = draft_invitation(session, campaign=campaign, invitation_id=invitation_id)
    invitation.status = InvitationStatus.cancelled
    session.add(invitation)
    session.flush()
    audit.append(
        session,
        kind="campaign.invitee_removed",
        actor=actor,
        campaign_id=campaign.id,
        subject=f"invitation:{invitation.id}",
        data={"organisation_id": invitation.organisation_id, "contact_id": invitation.contact_id},
    )
    return invitation


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


def mark_in_force(
    session: Session, *, campaign_id: int, at: datetime, groups: list[dict[str, object]]
) -> Campaign:
    """Every group's quorum is met: the pact is in force from `at` (idempotent)."""
    campaign = get_or_raise(session, campaign_id)
    if campaign.status is CampaignStatus.in_force:
        return campaign
    if campaign.status is not CampaignStatus.launched:
        raise Conflict(f"campaign {campaign_id} is {campaign.status} and cannot come in force")
    campaign.status = CampaignStatus.in_force
    campaign.in_force_at = at
    session.add(campaign)
    audit.append(
        session,
        kind="campaign.in_force",
        campaign_id=campaign_id,
        subject=f"campaign:{campaign_id}",
        data={"groups": groups},
        at=at,
    )
    return campaign


def mark_ended(
    session: Session, *, campaign_id: int, status: CampaignStatus, actor: str, reason: str, at: datetime
) -> Campaign:
    """Close or cancel the campaign (idempotent)."""
    campaign = get_or_raise(session, campaign_id)
    if campaign.status is status:
        return campaign
    allowed = {
        CampaignStatus.cancelled: (CampaignStatus.launched, CampaignStatus.draft),
        CampaignStatus.closed: (CampaignStatus.launched, CampaignStatus.in_force),
    }[status]
    if campaign.status not in allowed:
        raise Conflict(f"campaign {campaign_id} is {campaign.status} and cannot be {status.value}")
    campaign.status = status
    if status is CampaignStatus.cancelled:
        campaign.cancelled_at = at
    else:
        campaign.closed_at = at
    session.add(campaign)
    audit.append(
        session,
        kind=f"campaign.{status.value}",
        actor=actor,
        campaign_id=campaign_id,
        subject=f"campaign:{campaign_id}",
        data={"reason": reason},
        at=at,
    )
    return campaign


def require_future_date(deadline: date, *, timezone: str, now: datetime | None = None) -> None:
    """A new deadline must be after today in the campaign's time zone (Conflict naming the field)."""
    today = (now or utcnow()).astimezone(ZoneInfo(timezone)).date()
    if deadline <= today:
        raise Conflict(
            f"the deadline {deadline} is not in the future",
            errors=[FieldProblem("deadline", f"must be after {today} (today in {timezone})")],
        )


def check_new_deadline(campaign: Campaign, deadline: date, *, now: datetime | None = None) -> None:
    """The one rule for moving a launched campaign's deadline: in the future and later than now's.

    The API, the command line and the console ask it before the workflow is told.
    """
    if campaign.status is not CampaignStatus.launched:
        raise Conflict(
            f"campaign {campaign.id} is {campaign.status.value}: only a launched campaign's deadline moves"
            " (a draft's is set with PATCH)",
            errors=[FieldProblem("status", f"the campaign is {campaign.status.value}")],
        )
    require_future_date(deadline, timezone=campaign.timezone, now=now)
    if campaign.signature_deadline and deadline <= campaign.signature_deadline:
        raise Conflict(
            f"{deadline} is not later than the current deadline {campaign.signature_deadline}",
            errors=[
                FieldProblem(
                    "deadline", f"must be later than the current deadline {campaign.signature_deadline}"
                )
            ],
        )


def extend_deadline(
    session: Session, *, campaign_id: int, deadline: date, actor: str, at: datetime
) -> Campaign:
    """Move the campaign's signature deadline later (idempotent)."""
    campaign = get_or_raise(session, campaign_id)
    if campaign.signature_deadline == deadline:
        return campaign
    if campaign.signature_deadline is not None and deadline < campaign.signature_deadline:
        raise InvalidInput.for_field(
            "deadline", f"{deadline} is before the current deadline {campaign.signature_deadline}"
        )
    previous = campaign.signature_deadline
    campaign.signature_deadline = deadline
    session.add(campaign)
    audit.append(
        session,
        kind="campaign.deadline_extended",
        actor=actor,
        campaign_id=campaign_id,
        subject=f"campaign:{campaign_id}",
        data={"from": previous.isoformat() if previous else None, "to": deadline.isoformat()},
        at=at,
    )
    return campaign
