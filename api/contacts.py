"""Contacts: create, list, read, update."""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import Offset, RecordId, RecordIdFilter, SessionDep, UserDep, actor_of, require_writer
from api.responses import ERRORS_READ, ERRORS_WRITE
from models.contact import ContactCreate, ContactPublic, ContactUpdate
from services import contacts

router = APIRouter(prefix="/contacts", tags=["contacts"])


@router.post("", status_code=201, response_model=ContactPublic, responses=ERRORS_WRITE)
def create_contact(data: ContactCreate, session: SessionDep, user: UserDep) -> ContactPublic:
    """Add a contact to an organisation."""
    require_writer(user)
    return ContactPublic.model_validate(contacts.create(session, data=data, actor=actor_of(user)))


@router.get("", response_model=list[ContactPublic], responses=ERRORS_READ)
def list_contacts(
    session: SessionDep,
    user: UserDep,
    organisation_id: RecordIdFilter = None,
    offset: Offset = 0,
    limit: int = Query(100, ge=1, le=1000),
) -> list[ContactPublic]:
    """Contacts by id, optionally of one organisation."""
    rows = contacts.list_all(session, organisation_id=organisation_id, offset=offset, limit=limit)
    return [ContactPublic.model_validate(c) for c in rows]


@router.get("/{contact_id}", response_model=ContactPublic, responses=ERRORS_READ)
def read_contact(contact_id: RecordId, session: SessionDep, user: UserDep) -> ContactPublic:
    """One contact."""
    return ContactPublic.model_validate(contacts.get_or_raise(session, contact_id))


@router.patch("/{contact_id}", response_model=ContactPublic, responses=ERRORS_WRITE)
def update_contact(
    contact_id: RecordId, data: ContactUpdate, session: SessionDep, user: UserDep
) -> ContactPublic:
    """Change some fields of a contact."""
    require_writer(user)
    contact = contacts.get_or_raise(session, contact_id)
    return ContactPublic.model_validate(
        contacts.update(session, contact=contact, data=data, actor=actor_of(user))
    )
