"""The demo campaign that `pledgeflow dev` launches, so a newcomer sees invitations at once.

Its quorum can be met after a decline (customs, and three of the four trade bodies), and
`play_demo` gives its dashboard something to show: two signatures, a decline, an opened link and
an open escalation; the two remaining trade bodies' signatures bring the pact in force.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import col, select
from temporalio.client import Client

from models.campaign import Campaign, CampaignCreate
from models.commitment import Commitment
from models.common import utcnow
from models.invitation import Invitation, InviteeChoice
from models.organisation import OrganisationCreate, OrganisationKind
from models.pledge import PledgeCreate
from models.policy import ChasePolicy, QuietHours
from models.quorum import RuleKind, StakeholderGroup
from models.user import Role
from pledgeflow.db import session_scope
from services import campaigns, contacts, escalations, invitations, organisations, users
from workflows import client as workflow_client
from workflows.pledge_messages import DeclineRequest, SignRequest

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


TRADE_KINDS = [
    OrganisationKind.freight_forwarder,
    OrganisationKind.customs_broker,
    OrganisationKind.chamber_of_commerce,
    OrganisationKind.trade_association,
]
DEMO_QUORUM = [
    StakeholderGroup(name="Customs", kinds=[OrganisationKind.customs_administration], rule=RuleKind.all),
    # Three of the four: one decline leaves the pact within reach.
    StakeholderGroup(name="Trade community", kinds=TRADE_KINDS, rule=RuleKind.at_least, n=3),
]
# What `play_demo` does with each stakeholder, by contact email.
SIGNERS = {
    "commissioner@customs.demo.example": ("Abena Boateng", "Commissioner"),
    "president@giff.demo.example": ("Kojo Asamoah", "President"),
}
DECLINER = "ceo@chamber.demo.example"
OPENED = "secretary@acha.demo.example"
ESCALATED = "presidente@utci.demo.example"


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
                quorum=DEMO_QUORUM,
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


async def play_demo(client: Client, engine: Engine, campaign_id: int, *, timeout: float = 120) -> None:
    """Once the launch has started every invitation's workflow: two signatures, a decline, an
    opened link and an escalation to the coordinator, as signatories and the ladder would."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (await workflow_client.campaign_progress(client, campaign_id)).launch_complete:
        if loop.time() > deadline:
            raise TimeoutError(f"the demo campaign {campaign_id} did not finish launching")
        await asyncio.sleep(0.5)
    with session_scope(engine) as session:
        rows = session.exec(
            select(Invitation).where(Invitation.campaign_id == campaign_id).order_by(col(Invitation.id))
        ).all()
        by_email = {invitations.view(session, row.id or 0).contact.email: row for row in rows}
    for email, (name, title) in SIGNERS.items():
        row = by_email[email]
        await workflow_client.sign(
            client,
            campaign_id,
            row.organisation_id,
            SignRequest(invitation_id=row.id or 0, signer_name=name, signer_title=title, consent=True),
        )
    declined = by_email[DECLINER]
    await workflow_client.decline(
        client,
        campaign_id,
        declined.organisation_id,
        DeclineRequest(invitation_id=declined.id or 0, reason="Our board meets next quarter."),
    )
    escalated = by_email[ESCALATED]
    # One opening per transaction: the worker is writing these invitations at the same moment
    # (the signatures' records), and a transaction that locks several of them in another order
    # than the worker's deadlocks on PostgreSQL.
    for email in (*SIGNERS, OPENED):
        with session_scope(engine) as session:
            invitations.record_opened(session, invitation_id=by_email[email].id or 0, at=utcnow())
    with session_scope(engine) as session:
        escalations.record(
            session,
            invitation_id=escalated.id or 0,
            level=1,
            role="coordinator",
            workflow_id=workflow_client.pledge_handle(client, campaign_id, escalated.organisation_id).id,
            last_level=False,
            at=utcnow(),
            subject=f"invitation:{escalated.id}",
        )
