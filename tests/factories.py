"""Records for tests, made through the same services the API uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.engine import Engine

from models.campaign import Campaign, CampaignCreate
from models.commitment import Commitment
from models.contact import Contact, ContactCreate
from models.invitation import Invitation, InviteeChoice
from models.organisation import Organisation, OrganisationCreate, OrganisationKind
from models.pledge import PledgeCreate
from models.policy import ChasePolicy, QuietHours
from models.quorum import StakeholderGroup
from models.review import ReviewSettings
from models.user import Role, User
from pledgeflow.db import session_scope
from services import campaigns, contacts, organisations, users

ACTOR = "test"
# Tests not about quiet hours run at whatever hour the machine has: they get the policy of a
# launch in working hours (emails at once). Tests about quiet hours pass a policy of their own.
ANY_HOUR = ChasePolicy(quiet_hours=QuietHours(enabled=False))

PLEDGE = PledgeCreate(
    title="Ghana Customs Integrity Pact",
    introduction="Customs and the private sector commit together to clean clearance.",
    commitments=[
        Commitment(key="c1", text="Publish all fees and charges for clearance.", factors=["transparency"]),
        Commitment(
            key="c2",
            text="Adopt and enforce a code of conduct for staff and brokers.",
            factors=["code_of_conduct", "human_resource_management"],
        ),
        Commitment(key="c3", text="Report solicitation of bribes to the integrity hotline.", factors=[6]),
    ],
)


@dataclass
class Seeded:
    coordinator: User
    token: str
    campaign: Campaign
    organisations: list[Organisation] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    invitations: list[Invitation] = field(default_factory=list)


def coordinator(
    engine: Engine, email: str = "coordinator@wco.example", role: Role = Role.coordinator
) -> tuple[User, str]:
    """A user with a fresh API token."""
    with session_scope(engine) as session:
        user = users.get_or_create_user(
            session, email=email, name="Amina Coordinator", role=role, actor=ACTOR
        )
        token, _ = users.create_token(session, user=user, label="test", actor=ACTOR)
        return user, token


def campaign_with_invitees(
    engine: Engine,
    *,
    count: int = 3,
    locales: list[str] | None = None,
    kinds: list[OrganisationKind] | None = None,
    with_pledge: bool = True,
    deadline: date | None = None,
    prefix: str = "",
    policy: ChasePolicy | None = None,
    quorum: list[StakeholderGroup] | None = None,
    timezones: list[str | None] | None = None,
    focal_point_email: str | None = None,
    supervisors: bool = False,
    campaign_timezone: str = "Africa/Accra",
    review: ReviewSettings | None = None,
) -> Seeded:
    """A draft campaign with a pledge and `count` invited organisations, one contact each."""
    user, token = coordinator(engine)
    with session_scope(engine) as session:
        campaign = campaigns.create(
            session,
            data=CampaignCreate(
                title="Accra clearance integrity",
                region="GH",
                timezone=campaign_timezone,
                signature_deadline=deadline,
                policy=policy if policy is not None else ANY_HOUR,
                quorum=quorum or [],
                focal_point_email=focal_point_email,
                review=review,
            ),
            owner=user,
            actor=ACTOR,
        )
        seeded = Seeded(coordinator=user, token=token, campaign=campaign)
        if with_pledge:
            campaigns.attach_pledge(session, campaign=campaign, data=PLEDGE, actor=ACTOR)
        for index in range(count):
            kind = (kinds or [OrganisationKind.trade_association])[index % len(kinds or [1])]
            organisation = organisations.create(
                session,
                data=OrganisationCreate(name=f"{prefix}Organisation {index + 1}", kind=kind, country="GH"),
                actor=ACTOR,
                owner_id=user.id,  # in the coordinator's own directory, as the API creates them
            )
            contact = contacts.create(
                session,
                data=ContactCreate(
                    organisation_id=organisation.id or 0,
                    name=f"Contact {index + 1}",
                    email=f"contact{index + 1}@{prefix.strip().lower()}org{index + 1}.example",
                    title="Director",
                    locale=(locales or ["en"])[index % len(locales or ["en"])],
                    timezone=(timezones or [None])[index % len(timezones or [None])],
                    escalation_email=f"head{index + 1}@{prefix.strip().lower()}org{index + 1}.example"
                    if supervisors
                    else None,
                ),
                actor=ACTOR,
            )
            seeded.organisations.append(organisation)
            seeded.contacts.append(contact)
        if count:
            seeded.invitations = campaigns.choose_invitees(
                session,
                campaign=campaign,
                choices=[InviteeChoice(organisation_id=o.id or 0) for o in seeded.organisations],
                actor=ACTOR,
            )
        return seeded


def launch(engine: Engine, campaign_id: int) -> None:
    """Mark the campaign launched in the records (the API does this before starting the workflow)."""
    with session_scope(engine) as session:
        campaign = campaigns.get_or_raise(session, campaign_id)
        campaigns.mark_launched(session, campaign=campaign, actor=ACTOR)
