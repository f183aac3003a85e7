"""Escalations: record each level reached, list them, and mark them handled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models.escalation import Escalation, EscalationPublic, EscalationStatus
from models.invitation import InvitationStatus
from models.organisation import Organisation
from models.user import User
from pledgeflow.errors import Conflict, not_found
from services import audit, campaigns, invitations


def _recipient(view: invitations.InvitationView, role: str) -> tuple[str, str, list[str]]:
    """(role actually used, address, cc) for a ladder role; falls back to the coordinator."""
    contact, organisation, campaign = view.contact, view.organisation, view.campaign
    if role == "contact":
        return role, contact.email, []
    if role == "escalation_contact":
        supervisor = contact.escalation_email or organisation.head_email
        if supervisor:
            return role, supervisor, [contact.email]
    if role == "focal_point" and campaign.focal_point_email:
        return role, campaign.focal_point_email, []
    if not campaign.coordinator_email:
        raise Conflict(f"campaign {campaign.id} has no coordinator email to escalate to")
    return "coordinator", campaign.coordinator_email, []


def record(
    session: Session,
    *,
    invitation_id: int,
    level: int,
    role: str,
    workflow_id: str,
    last_level: bool,
    at: datetime,
    subject: str = "",
) -> Escalation:
    """The escalation for this level, created once; the last level of an invitation's ladder marks
    it unresponsive. `subject` names what is overdue ('report:7'); the invitation by default."""
    about_invitation = not subject
    subject = subject or f"invitation:{invitation_id}"
    existing = session.exec(
        select(Escalation).where(Escalation.subject == subject, Escalation.level == level)
    ).first()
    if existing is not None:
        return existing
    view = invitations.view(session, invitation_id)
    used_role, address, cc = _recipient(view, role)
    row = Escalation(
        campaign_id=view.campaign.id or 0,
        organisation_id=view.organisation.id or 0,
        invitation_id=invitation_id,
        subject=subject,
        workflow_id=workflow_id,
        level=level,
        recipient_role=used_role,
        recipient_email=address,
        cc=", ".join(cc) or None,
        created_at=at,
    )
    session.add(row)
    if about_invitation and last_level and view.invitation.status is InvitationStatus.sent:
        view.invitation.status = InvitationStatus.unresponsive
        session.add(view.invitation)
    session.flush()
    audit.append(
        session,
        kind="escalation.raised",
        campaign_id=row.campaign_id,
        subject=subject,
        data={
            "level": level,
            "planned_role": role,
            "recipient_role": used_role,
            "to": address,
            "cc": row.cc,
            "unresponsive": about_invitation and last_level,
        },
        at=at,
    )
    return row


def get_or_raise(session: Session, escalation_id: int) -> Escalation:
    """The escalation, or NotFound."""
    row = session.get(Escalation, escalation_id)
    if row is None:
        raise not_found("escalation", escalation_id)
    return row


def handle(session: Session, *, escalation: Escalation, note: str, actor: str, at: datetime) -> Escalation:
    """Mark handled with a note (the workflow is told separately, to stop its ladder)."""
    if escalation.status is EscalationStatus.handled:
        raise Conflict(f"escalation {escalation.id} was already handled by {escalation.handled_by}")
    escalation.status = EscalationStatus.handled
    escalation.note = note
    escalation.handled_by = actor
    escalation.handled_at = at
    session.add(escalation)
    audit.append(
        session,
        kind="escalation.handled",
        actor=actor,
        campaign_id=escalation.campaign_id,
        subject=escalation.subject,
        data={"escalation_id": escalation.id, "level": escalation.level, "note": note},
        at=at,
    )
    return escalation


def list_for(
    session: Session,
    *,
    campaign_ids: list[int] | None,
    status: EscalationStatus | None = None,
    level: int | None = None,
    campaign_id: int | None = None,
) -> list[EscalationPublic]:
    """Escalations, newest first, filtered; campaign_ids limits what the caller may see."""
    query = (
        select(Escalation, Organisation.name)
        .join(Organisation, col(Organisation.id) == Escalation.organisation_id)
        .order_by(col(Escalation.created_at).desc(), col(Escalation.id).desc())
    )
    if campaign_ids is not None:
        query = query.where(col(Escalation.campaign_id).in_(campaign_ids))
    if campaign_id is not None:
        query = query.where(Escalation.campaign_id == campaign_id)
    if status is not None:
        query = query.where(Escalation.status == status)
    if level is not None:
        query = query.where(Escalation.level == level)
    return [
        EscalationPublic(**row.model_dump(), organisation_name=name)
        for row, name in session.exec(query).all()
    ]


@dataclass(frozen=True)
class InboxEntry:
    """An escalation as the console's inbox shows it: with its campaign's title."""

    escalation: EscalationPublic
    campaign_title: str

    @property
    def about_report(self) -> bool:
        return self.escalation.subject.startswith("report:")


def inbox_for(session: Session, *, user: User, handled: bool = False) -> list[InboxEntry]:
    """Open (or, with `handled`, all) escalations of the campaigns this person may see, newest first."""
    visible = campaigns.list_for(session, user=user, limit=100000)
    titles = {c.id: c.title for c in visible if c.id is not None}
    rows = list_for(
        session,
        campaign_ids=list(titles),
        status=None if handled else EscalationStatus.open,
    )
    return [InboxEntry(escalation=row, campaign_title=titles.get(row.campaign_id, "")) for row in rows]
