"""Contacts: create, read, update, and find-or-create for delegation."""

from __future__ import annotations

from sqlmodel import Session, col, select

from models.common import utcnow
from models.contact import Contact, ContactCreate, ContactUpdate
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
    session: Session, *, organisation_id: int | None = None, offset: int = 0, limit: int = 100
) -> list[Contact]:
    """Contacts by id, optionally of one organisation."""
    query = select(Contact).order_by(col(Contact.id)).offset(offset).limit(limit)
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


def update(session: Session, *, contact: Contact, data: ContactUpdate, actor: str) -> Contact:
    """Change the given fields."""
    changes = data.model_dump(exclude_unset=True)
    if changes.get("email"):
        changes["email"] = changes["email"].lower()
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
    """The organisation's contact with this address, created if new (delegation, import)."""
    existing = find_by_email(session, organisation_id=organisation_id, email=email)
    if existing is not None:
        return existing
    return create(
        session,
        data=ContactCreate(
            organisation_id=organisation_id, name=name, email=email, title=title, locale=locale
        ),
        actor=actor,
    )
