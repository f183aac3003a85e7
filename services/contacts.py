"""Contacts: create, read, update, and find-or-create for delegation."""

from __future__ import annotations

from sqlalchemy import ColumnElement, true
from sqlmodel import Session, col, select

from models.campaign import Campaign, CampaignStatus
from models.common import strip_bidi_controls, utcnow
from models.contact import Contact, ContactCreate, ContactUpdate
from models.invitation import OPEN_STATUSES, Invitation
from pledgeflow.errors import Conflict, FieldProblem, not_found
from services import audit, organisations


def get_or_raise(session: Session, contact_id: int) -> Contact:
    """The contact, or NotFound."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise not_found("contact", contact_id)
    return contact


def find_by_email(session: Session, *, organisation_id: int, email: str) -> Contact | None:
    """The organisation's contact with this address, if any."""
    return session.exec(
        select(Contact).where(Contact.organisation_id == organisation_id, Contact.email == email.lower())
    ).first()


def list_all(
    session: Session,
    *,
    visible: ColumnElement[bool] | None = None,
    organisation_id: int | None = None,
    offset: int = 0,
    limit: int = 100,
) -> list[Contact]:
    """Contacts by id matching `visible` (see services.directory), optionally of one organisation."""
    query = select(Contact).where(true() if visible is None else visible)
    query = query.order_by(col(Contact.id)).offset(offset).limit(limit)
    if organisation_id is not None:
        query = query.where(Contact.organisation_id == organisation_id)
    return list(session.exec(query).all())


def create(session: Session, *, data: ContactCreate, actor: str) -> Contact:
    """Add a contact to an existing organisation."""
    organisations.get_or_raise(session, data.organisation_id)
    if find_by_email(session, organisation_id=data.organisation_id, email=data.email) is not None:
        raise Conflict(
            f"{data.email} is already a contact of organisation {data.organisation_id}",
            errors=[FieldProblem("email", "already a contact of this organisation")],
        )
    contact = Contact.model_validate(data)
    session.add(contact)
    session.flush()
    audit.append(
        session,
        kind="contact.created",
        actor=actor,
        subject=f"contact:{contact.id}",
        data={"organisation_id": contact.organisation_id, "email": contact.email},
    )
    return contact


def live_invitations(session: Session, contact_id: int) -> list[Invitation]:
    """The contact's open invitations (pending or sent) in launched campaigns: links that work now."""
    return list(
        session.exec(
            select(Invitation)
            .join(Campaign, col(Campaign.id) == Invitation.campaign_id)
            .where(
                Invitation.contact_id == contact_id,
                col(Invitation.status).in_(OPEN_STATUSES),
                col(Campaign.status).in_((CampaignStatus.launched, CampaignStatus.in_force)),
            )
            .order_by(col(Invitation.id))
        ).all()
    )


def update(session: Session, *, contact: Contact, data: ContactUpdate, actor: str) -> Contact:
    """Change the given fields; a new address while a signing link is live is refused."""
    changes = data.model_dump(exclude_unset=True)
    if changes.get("email"):
        changes["email"] = changes["email"].lower()
    if "email" in changes and changes["email"] != contact.email:
        # The next email of a live invitation (a reminder, a new deadline) would carry its signing
        # link to the new address: whoever changed the address could then sign for the organisation.
        live = live_invitations(session, contact.id or 0)
        if live:
            where = ", ".join(f"invitation {i.id} (campaign {i.campaign_id})" for i in live)
            raise Conflict(
                f"contact {contact.id} has a live signing link ({where}); its address cannot change "
                "while the link is open: delegate from the link, or wait until it is answered or closed",
                errors=[FieldProblem("email", "the contact has a live invitation in a launched campaign")],
            )
        taken = find_by_email(session, organisation_id=contact.organisation_id, email=changes["email"])
        if taken is not None and taken.id != contact.id:
            raise Conflict(
                f"{changes['email']} is already a contact of organisation {contact.organisation_id}",
                errors=[FieldProblem("email", "already a contact of this organisation")],
            )
    for key, value in changes.items():
        setattr(contact, key, value)
    contact.updated_at = utcnow()
    session.add(contact)
    session.flush()
    audit.append(session, kind="contact.updated", actor=actor, subject=f"contact:{contact.id}", data=changes)
    return contact


def find_or_create(
    session: Session,
    *,
    organisation_id: int,
    name: str,
    email: str,
    title: str | None,
    locale: str,
    actor: str,
) -> Contact:
    """The organisation's contact with this address, created if new (delegation).

    What a signatory typed cannot be refused once it reaches a workflow: bidirectional
    controls are dropped from it instead.
    """
    existing = find_by_email(session, organisation_id=organisation_id, email=email)
    if existing is not None:
        return existing
    return create(
        session,
        data=ContactCreate(
            organisation_id=organisation_id,
            name=strip_bidi_controls(name).strip() or email,  # nothing left: the address names them
            email=email,
            title=strip_bidi_controls(title) if title is not None else None,
            locale=locale,
        ),
        actor=actor,
    )
