"""Invitations: read them with their people, and record what signatories answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import CursorResult, update
from sqlmodel import Session, col, select

from models.campaign import Campaign
from models.contact import Contact
from models.invitation import OPEN_STATUSES, Invitation, InvitationPublic, InvitationStatus
from models.organisation import Organisation
from models.pledge import Pledge
from pledgeflow.errors import Conflict, FieldProblem, not_found
from services import audit, campaigns, contacts


@dataclass
class InvitationView:
    """An invitation with everything a page or an email about it shows."""

    invitation: Invitation
    contact: Contact
    organisation: Organisation
    campaign: Campaign
    pledge: Pledge
    delegated_by: Contact | None


def get_or_raise(session: Session, invitation_id: int) -> Invitation:
    """The invitation, or NotFound."""
    invitation = session.get(Invitation, invitation_id)
    if invitation is None:
        raise not_found("invitation", invitation_id)
    return invitation


def prefetch(session: Session, invitation_ids: list[int]) -> None:
    """Load these invitations with their contacts and organisations in three queries, so the
    views built next come from the session instead of a query each (batches of emails)."""
    if not invitation_ids:
        return
    rows = session.exec(select(Invitation).where(col(Invitation.id).in_(invitation_ids))).all()
    contact_ids = {i.contact_id for i in rows} | {
        i.delegated_by_contact_id for i in rows if i.delegated_by_contact_id
    }
    session.exec(select(Contact).where(col(Contact.id).in_(contact_ids))).all()
    session.exec(
        select(Organisation).where(col(Organisation.id).in_({i.organisation_id for i in rows}))
    ).all()


def view(session: Session, invitation_id: int) -> InvitationView:
    """The invitation with its contact, organisation, campaign and pledge."""
    invitation = get_or_raise(session, invitation_id)
    campaign = campaigns.get_or_raise(session, invitation.campaign_id)
    contact = contacts.get_or_raise(session, invitation.contact_id)
    organisation = session.get(Organisation, invitation.organisation_id)
    assert organisation is not None
    delegated_by = (
        session.get(Contact, invitation.delegated_by_contact_id)
        if invitation.delegated_by_contact_id
        else None
    )
    return InvitationView(
        invitation=invitation,
        contact=contact,
        organisation=organisation,
        campaign=campaign,
        pledge=campaigns.launched_pledge(session, campaign),
        delegated_by=delegated_by,
    )


def list_for_campaign(
    session: Session,
    *,
    campaign_id: int,
    offset: int = 0,
    limit: int = 500,
    only_ids: list[int] | None = None,
) -> list[InvitationPublic]:
    """The campaign's invitations with organisation and contact names."""
    query = (
        select(Invitation, Organisation, Contact)
        .join(Organisation, col(Organisation.id) == Invitation.organisation_id)
        .join(Contact, col(Contact.id) == Invitation.contact_id)
        .where(Invitation.campaign_id == campaign_id)
        .order_by(col(Invitation.id))
    )
    if only_ids is not None:
        query = query.where(col(Invitation.id).in_(only_ids))
    else:
        query = query.offset(offset).limit(limit)
    rows = session.exec(query).all()
    return [
        InvitationPublic(
            **invitation.model_dump(),
            organisation_name=organisation.name,
            contact_name=contact.name,
            contact_email=contact.email,
        )
        for invitation, organisation, contact in rows
    ]


def page_to_launch(
    session: Session, *, campaign_id: int, after_id: int, limit: int
) -> list[tuple[Invitation, Organisation]]:
    """The next invitations to fan out, in id order, with their organisations."""
    rows = session.exec(
        select(Invitation, Organisation)
        .join(Organisation, col(Organisation.id) == Invitation.organisation_id)
        .where(
            Invitation.campaign_id == campaign_id,
            col(Invitation.id) > after_id,
            col(Invitation.status).in_(OPEN_STATUSES),
            col(Invitation.delegated_from_id).is_(None),
        )
        .order_by(col(Invitation.id))
        .limit(limit)
    ).all()
    return [(invitation, organisation) for invitation, organisation in rows]


REMINDABLE_STATUSES = (InvitationStatus.sent, InvitationStatus.unresponsive)


def reminder_audience(
    session: Session, *, campaign_id: int, invitation_ids: list[int] | None
) -> list[Invitation]:
    """The open invitations a reminder now goes to: the named ones, or all who have not answered.

    A named invitation that is not open (signed, declined, closed, not sent yet, of another
    campaign) refuses the whole request, with a reason naming it.
    """
    query = select(Invitation).where(Invitation.campaign_id == campaign_id).order_by(col(Invitation.id))
    if invitation_ids is None:
        return list(session.exec(query.where(col(Invitation.status).in_(REMINDABLE_STATUSES))).all())
    found = {i.id: i for i in session.exec(query.where(col(Invitation.id).in_(invitation_ids))).all()}
    problems = []
    for invitation_id in dict.fromkeys(invitation_ids):
        invitation = found.get(invitation_id)
        if invitation is None:
            problems.append(
                FieldProblem(
                    "invitation_ids", f"invitation {invitation_id} is not part of campaign {campaign_id}"
                )
            )
        elif invitation.status not in REMINDABLE_STATUSES:
            reason = (
                "has not been sent yet"
                if invitation.status is InvitationStatus.pending
                else f"is {invitation.status.value}"
            )
            problems.append(
                FieldProblem(
                    "invitation_ids",
                    f"invitation {invitation_id} {reason}: only open invitations can be reminded",
                )
            )
    if problems:
        raise Conflict("; ".join(p.reason for p in problems), errors=problems)
    return [found[i] for i in dict.fromkeys(invitation_ids)]


def record_reminded(
    session: Session,
    *,
    campaign_id: int,
    request_id: str,
    invitation_ids: list[int],
    actor: str,
    at: datetime,
) -> None:
    """The audit entry of a reminder now (once per request)."""
    subject = f"campaign:{campaign_id}:remind:{request_id}"
    if audit.exists(session, kind="campaign.reminded", subject=subject):
        return
    audit.append(
        session,
        kind="campaign.reminded",
        actor=actor,
        campaign_id=campaign_id,
        subject=subject,
        data={"invitation_ids": invitation_ids, "count": len(invitation_ids)},
        at=at,
    )


def record_opened(session: Session, *, invitation_id: int, at: datetime) -> bool:
    """The first opening of the invitation's link page; later visits change nothing. True when first."""
    invitation = get_or_raise(session, invitation_id)
    if invitation.opened_at is not None:
        return False
    # One conditional UPDATE: of two first visits at once, only one finds the column empty.
    claimed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Invitation)
        .where(col(Invitation.id) == invitation_id, col(Invitation.opened_at).is_(None))
        .values(opened_at=at)
    )
    if claimed.rowcount != 1:
        return False
    contact = contacts.get_or_raise(session, invitation.contact_id)
    audit.append(
        session,
        kind="invitation.opened",
        actor=f"signatory:{contact.email}",
        campaign_id=invitation.campaign_id,
        subject=f"invitation:{invitation_id}",
        at=at,
    )
    return True


def mark_sent(session: Session, *, invitation: Invitation, at: datetime) -> bool:
    """The invitation email was accepted by the SMTP server: the link is now open.

    True when this opened it. The audit entry is the email's own ('email.accepted' with
    invitation_sent): one entry per invitation on the hot path of a launch.
    """
    if invitation.status is not InvitationStatus.pending:
        return False
    invitation.status = InvitationStatus.sent
    invitation.sent_at = at
    session.add(invitation)
    return True


def mark_undeliverable(session: Session, *, invitation_id: int, at: datetime) -> bool:
    """The invitation email was refused for good (5xx); True when this closed a pending one.

    The refusal itself is audited with the email ('email.failed'); the pledge workflow is told
    by the launch, so that neither chases a link that never arrived.
    """
    invitation = get_or_raise(session, invitation_id)
    if invitation.status is not InvitationStatus.pending:
        return False
    invitation.status = InvitationStatus.undeliverable
    invitation.responded_at = at
    session.add(invitation)
    return True


def record_decline(session: Session, *, invitation_id: int, reason: str, at: datetime) -> Invitation:
    """The contact declined; idempotent when replayed."""
    invitation = get_or_raise(session, invitation_id)
    if invitation.status is InvitationStatus.declined:
        return invitation
    if invitation.status not in OPEN_STATUSES:
        raise Conflict(f"invitation {invitation_id} is {invitation.status} and cannot be declined")
    contact = contacts.get_or_raise(session, invitation.contact_id)
    invitation.status = InvitationStatus.declined
    invitation.decline_reason = reason
    invitation.responded_at = at
    session.add(invitation)
    audit.append(
        session,
        kind="invitation.declined",
        actor=f"signatory:{contact.email}",
        campaign_id=invitation.campaign_id,
        subject=f"invitation:{invitation.id}",
        data={"organisation_id": invitation.organisation_id, "reason": reason},
        at=at,
    )
    return invitation


def delegate(
    session: Session,
    *,
    invitation_id: int,
    name: str,
    email: str,
    title: str | None,
    locale: str,
    at: datetime,
) -> Invitation:
    """Hand the invitation to a colleague: a new invitation for them, the old link closed.

    Idempotent: replayed, it returns the invitation it created the first time.
    """
    old = get_or_raise(session, invitation_id)
    if old.status is InvitationStatus.delegated:
        successor = session.exec(select(Invitation).where(Invitation.delegated_from_id == old.id)).first()
        if successor is not None:
            return successor
    if old.status not in OPEN_STATUSES and old.status is not InvitationStatus.delegated:
        raise Conflict(f"invitation {invitation_id} is {old.status} and cannot be delegated")
    delegator = contacts.get_or_raise(session, old.contact_id)
    delegate_contact = contacts.find_or_create(
        session,
        organisation_id=old.organisation_id,
        name=name,
        email=email,
        title=title,
        locale=locale,
        actor=f"signatory:{delegator.email}",
    )
    old.status = InvitationStatus.delegated
    old.responded_at = at
    successor = Invitation(
        campaign_id=old.campaign_id,
        organisation_id=old.organisation_id,
        contact_id=delegate_contact.id or 0,
        delegated_from_id=old.id,
        delegated_by_contact_id=delegator.id,
        created_at=at,
    )
    session.add(old)
    session.add(successor)
    session.flush()
    audit.append(
        session,
        kind="invitation.delegated",
        actor=f"signatory:{delegator.email}",
        campaign_id=old.campaign_id,
        subject=f"invitation:{old.id}",
        data={
            "organisation_id": old.organisation_id,
            "from_contact_id": delegator.id,
            "to_contact_id": delegate_contact.id,
            "new_invitation_id": successor.id,
        },
        at=at,
    )
    return successor


def expire(session: Session, *, invitation_id: int, at: datetime) -> Invitation:
    """The deadline passed without an answer: the link now says so."""
    invitation = get_or_raise(session, invitation_id)
    if invitation.status is InvitationStatus.expired:
        return invitation
    if invitation.status not in (*OPEN_STATUSES, InvitationStatus.unresponsive):
        raise Conflict(f"invitation {invitation_id} is {invitation.status} and cannot expire")
    invitation.status = InvitationStatus.expired
    invitation.responded_at = at
    session.add(invitation)
    audit.append(
        session,
        kind="invitation.expired",
        campaign_id=invitation.campaign_id,
        subject=f"invitation:{invitation_id}",
        data={"organisation_id": invitation.organisation_id},
        at=at,
    )
    return invitation


def reopen(session: Session, *, invitation_id: int, deadline: date, actor: str, at: datetime) -> Invitation:
    """The coordinator reopens an expired invitation until a new deadline."""
    invitation = get_or_raise(session, invitation_id)
    if invitation.status is not InvitationStatus.expired and invitation.deadline == deadline:
        return invitation  # replayed
    if invitation.status is not InvitationStatus.expired:
        raise Conflict(
            f"invitation {invitation_id} is {invitation.status}; only an expired one can be reopened"
        )
    invitation.status = InvitationStatus.sent
    invitation.deadline = deadline
    invitation.responded_at = None
    session.add(invitation)
    audit.append(
        session,
        kind="invitation.reopened",
        actor=actor,
        campaign_id=invitation.campaign_id,
        subject=f"invitation:{invitation_id}",
        data={"deadline": deadline.isoformat()},
        at=at,
    )
    return invitation


def set_deadline(
    session: Session, *, invitation_id: int, deadline: date, actor: str, at: datetime
) -> Invitation:
    """This organisation's own deadline (an extension for one)."""
    invitation = get_or_raise(session, invitation_id)
    if invitation.deadline == deadline:
        return invitation
    invitation.deadline = deadline
    session.add(invitation)
    audit.append(
        session,
        kind="invitation.deadline_extended",
        actor=actor,
        campaign_id=invitation.campaign_id,
        subject=f"invitation:{invitation_id}",
        data={"deadline": deadline.isoformat()},
        at=at,
    )
    return invitation


def close_unanswered(session: Session, *, invitation_id: int, at: datetime) -> Invitation:
    """The campaign ended (cancelled or closed) before this invitation was answered."""
    invitation = get_or_raise(session, invitation_id)
    if invitation.status in (*OPEN_STATUSES, InvitationStatus.unresponsive, InvitationStatus.expired):
        invitation.status = InvitationStatus.cancelled
        invitation.responded_at = at
        session.add(invitation)
    return invitation


@dataclass
class Invitee:
    """An active invitation of a campaign with its organisation, its contact and the organisation's
    other contacts (to write to instead, before launch)."""

    invitation: Invitation
    organisation: Organisation
    contact: Contact
    contacts: list[Contact]


def invitees_of(session: Session, *, campaign_id: int) -> list[Invitee]:
    """The campaign's active invitations (not cancelled, delegated away or undeliverable), by id."""
    rows = session.exec(
        select(Invitation, Organisation, Contact)
        .join(Organisation, col(Organisation.id) == Invitation.organisation_id)
        .join(Contact, col(Contact.id) == Invitation.contact_id)
        .where(
            Invitation.campaign_id == campaign_id,
            col(Invitation.status).in_(campaigns.ACTIVE_INVITATION_STATUSES),
        )
        .order_by(col(Invitation.id))
    ).all()
    organisation_ids = sorted({organisation.id or 0 for _, organisation, _ in rows})
    by_organisation: dict[int, list[Contact]] = {}
    for start in range(0, len(organisation_ids), 500):
        chunk = organisation_ids[start : start + 500]
        query = select(Contact).where(col(Contact.organisation_id).in_(chunk)).order_by(col(Contact.id))
        for contact in session.exec(query).all():
            by_organisation.setdefault(contact.organisation_id, []).append(contact)
    return [
        Invitee(invitation, organisation, contact, by_organisation.get(organisation.id or 0, []))
        for invitation, organisation, contact in rows
    ]


def not_yet_invited(
    session: Session, *, campaign_id: int, owner_id: int, limit: int = 500
) -> list[Organisation]:
    """Organisations of this directory that have no active invitation in the campaign, by name."""
    invited = select(Invitation.organisation_id).where(
        Invitation.campaign_id == campaign_id,
        col(Invitation.status).in_(campaigns.ACTIVE_INVITATION_STATUSES),
    )
    query = (
        select(Organisation)
        .where(Organisation.owner_id == owner_id, col(Organisation.id).not_in(invited))
        .order_by(col(Organisation.name), col(Organisation.id))
        .limit(limit)
    )
    return list(session.exec(query).all())
