"""The demo campaign that `pledgeflow dev` launches, so a newcomer sees invitations at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import select

from models.campaign import Campaign, CampaignCreate
from models.invitation import InviteeChoice
from models.organisation import OrganisationCreate, OrganisationKind
from models.pledge import Commitment, PledgeCreate
from models.policy import ChasePolicy, QuietHours
from models.user import Role
from pledgeflow.db import session_scope
from services import campaigns, contacts, organisations, users

DEMO_TITLE = "Demo: Tema port clearance integrity pact"
ACTOR = "system:demo"

DEMO_PLEDGE = PledgeCreate(
    title="Tema Port Clearance Integrity Pact",
    introduction=(
        "Customs and the trade community of Tema commit, together, to a clearance process free of "
        "facilitation payments. Each commitment binds its signatory once every stakeholder group has joined."
    ),
    commitments=[
        Commitment(
            key="fees",
            text="Publish every official fee and charge for clearance, and accept no other payment.",
            factors=["transparency", "regulatory_framework"],
        ),
        Commitment(
            key="conduct",
            text="Adopt a code of conduct for staff and brokers and train everyone on it within six months.",
            factors=["code_of_conduct", "human_resource_management"],
        ),
        Commitment(
            key="report",
            text=(
                "Report every solicitation of a bribe through the integrity hotline, "
                "and protect those who report."
            ),
            factors=["audit_and_investigation", "morale_and_organizational_culture"],
        ),
        Commitment(
            key="dialogue",
            text="Meet quarterly in a customs-business integrity committee and publish its minutes.",
            factors=["relationship_with_private_sector", "leadership_and_commitment"],
        ),
    ],
)

DEMO_STAKEHOLDERS = [
    (
        "Customs Division, Ghana Revenue Authority",
        OrganisationKind.customs_administration,
        "GH",
        "Abena Boateng",
        "commissioner@customs.demo.example",
        "en",
    ),
    (
        "Ghana Institute of Freight Forwarders",
        OrganisationKind.freight_forwarder,
        "GH",
        "Kojo Asamoah",
        "president@giff.demo.example",
        "en",
    ),
    (
        "Association of Customs House Agents",
        OrganisationKind.customs_broker,
        "GH",
        "Esi Mensah",
        "secretary@acha.demo.example",
        "en",
    ),
    (
        "Ghana National Chamber of Commerce",
        OrganisationKind.chamber_of_commerce,
        "GH",
        "Yaw Darko",
        "ceo@chamber.demo.example",
        "en",
    ),
    (
        "Union des Transitaires de Côte d'Ivoire",
        OrganisationKind.trade_association,
        "CI",
        "Aya Kouassi",
        "presidente@utci.demo.example",
        "fr",
    ),
]


@dataclass
class DemoCampaign:
    campaign_id: int
    created: bool
    token: str


def ensure_demo_campaign(engine: Engine) -> DemoCampaign:
    """Create (once) the demo coordinator, stakeholders and campaign; return a fresh token."""
    with session_scope(engine) as session:
        coordinator = users.get_or_create_user(
            session,
            email="coordinator@demo.example",
            name="Demo Coordinator",
            role=Role.coordinator,
            actor=ACTOR,
        )
        token, _ = users.create_token(session, user=coordinator, label="pledgeflow dev", actor=ACTOR)
        existing = session.exec(select(Campaign).where(Campaign.title == DEMO_TITLE)).first()
        if existing is not None:
            return DemoCampaign(existing.id or 0, created=False, token=token)
        campaign = campaigns.create(
            session,
            data=CampaignCreate(
                title=DEMO_TITLE,
                region="GH",
                timezone="Africa/Accra",
                signature_deadline=date.today() + timedelta(days=60),
                # The demo is tried at any hour against a local mailbox: quiet hours would hold
                # its invitations until the next working morning in Accra.
                policy=ChasePolicy(quiet_hours=QuietHours(enabled=False)),
            ),
            owner=coordinator,
            actor=ACTOR,
        )
        campaigns.attach_pledge(session, campaign=campaign, data=DEMO_PLEDGE, actor=ACTOR)
        choices = []
        for name, kind, country, person, email, locale in DEMO_STAKEHOLDERS:
            organisation = organisations.find_by_name(
                session, name=name, country=country, owner_id=coordinator.id
            ) or organisations.create(
                session,
                data=OrganisationCreate(name=name, kind=kind, country=country),
                actor=ACTOR,
                owner_id=coordinator.id,
            )
            contacts.find_or_create(
                session,
                organisation_id=organisation.id or 0,
                name=person,
                email=email,
                title="Head",
                locale=locale,
                actor=ACTOR,
            )
            choices.append(InviteeChoice(organisation_id=organisation.id or 0))
        campaigns.choose_invitees(session, campaign=campaign, choices=choices, actor=ACTOR)
        campaigns.mark_launched(session, campaign=campaign, actor=ACTOR)
        return DemoCampaign(campaign.id or 0, created=True, token=token)
