"""The demo campaign `make run` launches: its quorum survives a decline, `play_demo` populates its
dashboard (signatures, a decline, openings, an escalation), and the last two signatures bring the
pact in force."""

from __future__ import annotations

from sqlmodel import col, select

from models.campaign import Campaign, CampaignStatus
from models.escalation import Escalation, EscalationStatus
from models.invitation import Invitation, InvitationStatus
from models.user import Role
from pledgeflow.db import session_scope
from pledgeflow.dev.demo import ESCALATED, OPENED, ensure_demo_campaign, play_demo
from services import invitations
from tests.console.staff import console_client, person
from tests.helpers import eventually
from workflows import client as workflow_client
from workflows.pledge_messages import SignRequest


def _invitations(db, campaign_id: int) -> dict[str, Invitation]:
    with session_scope(db) as session:
        rows = session.exec(
            select(Invitation).where(Invitation.campaign_id == campaign_id).order_by(col(Invitation.id))
        ).all()
        found = {invitations.view(session, row.id or 0).contact.email: row for row in rows}
        session.expunge_all()
        return found


async def test_the_demo_is_populated_and_can_come_in_force(console, db):
    demo = ensure_demo_campaign(db)
    assert demo.created and ensure_demo_campaign(db).campaign_id == demo.campaign_id, "created once"
    client = console.temporal
    await workflow_client.start_campaign(client, console.settings, demo.campaign_id)
    await play_demo(client, db, demo.campaign_id, timeout=60)

    progress = await eventually(
        lambda: workflow_client.campaign_progress(client, demo.campaign_id),
        lambda p: (p.signed, p.declined) == (2, 1),
    )
    assert progress.in_force_at is None and progress.status == "launched"
    rows = _invitations(db, demo.campaign_id)
    statuses = sorted(row.status.value for row in rows.values())
    assert statuses.count(InvitationStatus.signed.value) == 2
    assert statuses.count(InvitationStatus.declined.value) == 1
    assert rows[OPENED].opened_at is not None and rows[ESCALATED].opened_at is None
    with session_scope(db) as session:
        [escalation] = session.exec(
            select(Escalation).where(Escalation.campaign_id == demo.campaign_id)
        ).all()
        assert (escalation.invitation_id, escalation.status) == (rows[ESCALATED].id, EscalationStatus.open)
        coordinator_id = session.get(Campaign, demo.campaign_id).owner_id
    # The demo coordinator's inbox shows the escalation.
    coordinator = person(db, Role.coordinator, email="coordinator@demo.example")
    assert coordinator.id == coordinator_id
    async with console_client(console.app, coordinator) as http:
        inbox = await http.get("/console/escalations")
    assert f'id="escalation-{escalation.id}"' in inbox.text and "Union des Transitaires" in inbox.text

    # A decline did not make the quorum unreachable: the two who have not answered sign, in force.
    for email in (OPENED, ESCALATED):
        row = rows[email]
        await workflow_client.sign(
            client,
            demo.campaign_id,
            row.organisation_id,
            SignRequest(
                invitation_id=row.id or 0, signer_name="Demo Signer", signer_title="Head", consent=True
            ),
        )
    progress = await eventually(
        lambda: workflow_client.campaign_progress(client, demo.campaign_id),
        lambda p: p.in_force_at is not None,
    )
    assert progress.signed == 4

    async def recorded() -> CampaignStatus | None:
        with session_scope(db) as session:
            campaign = session.get(Campaign, demo.campaign_id)
            return campaign.status if campaign else None

    # The workflow knows first; its activity writes the record a moment later.
    assert await eventually(recorded, lambda s: s is CampaignStatus.in_force) is CampaignStatus.in_force
