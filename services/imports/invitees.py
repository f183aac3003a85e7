"""From an applied stakeholder import to a campaign's invitees: each accepted row's organisation,
invited through the contact that row names (not the organisation's first contact)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from models.campaign import Campaign
from models.invitation import InviteeChoice
from services import campaigns
from services.imports.stakeholders import ImportPlan


@dataclass
class InviteePlan:
    """Who the accepted rows invite, and the rows that invite no one (with why)."""

    choices: list[InviteeChoice] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # the row of each choice
    skipped: dict[int, str] = field(default_factory=dict)  # row -> reason


def invitees_of(session: Session, *, campaign: Campaign, import_plan: ImportPlan) -> InviteePlan:
    """The invitations an applied plan's accepted rows make in this campaign.

    One invitation per organisation: its first accepted row's contact. An organisation already
    invited to the campaign is left as it is (change its contact on the invitees page).
    """
    if not import_plan.applied:
        raise ValueError("apply the import before inviting its rows")
    planned = InviteePlan()
    first_row: dict[int, int] = {}
    for row in import_plan.rows:
        if row.problems or row.organisation is None or row.organisation.id is None:
            continue
        organisation_id = row.organisation.id
        if organisation_id in first_row:
            planned.skipped[row.row] = f"the organisation is invited through row {first_row[organisation_id]}"
            continue
        first_row[organisation_id] = row.row
        if campaigns.active_invitation(
            session, campaign_id=campaign.id or 0, organisation_id=organisation_id
        ):
            planned.skipped[row.row] = "already invited to this campaign"
            continue
        contact_id = row.contact.id if row.contact is not None else None
        planned.choices.append(InviteeChoice(organisation_id=organisation_id, contact_id=contact_id))
        planned.rows.append(row.row)
    return planned
