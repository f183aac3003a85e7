"""Contacts: create, list, read, update; a contact belongs to its organisation's directory."""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import Offset, RecordId, RecordIdFilter, SessionDep, UserDep, actor_of, require_writer
from api.responses import ERRORS_READ, ERRORS_WRITE
from models.contact import ContactCreate, ContactPublic, ContactUpdate
from services import contacts, directory

router = APIRouter(prefix="/contacts", tags=["contacts"])


@router.post("", status_code=201, response_model=ContactPublic, responses=ERRORS_WRITE)
def create_contact(data: ContactCreate, session: SessionDep, user: UserDep) -> ContactPublic:
    """Add a contact to an organisation of the caller's directory."""
    require_writer(user)
    directory.organisation_for(session, user, data.organisation_id, write=True)
    return ContactPublic.model_validate(contacts.create(session, data=data, actor=actor_of(user)))


@router.get("", response_model=list[ContactPublic], responses=ERRORS_READ)
def list_contacts(
    session: SessionDep,
    user: UserDep,
    organisation_id: RecordIdFilter = None,
    offset: Offset = 0,
    limit: int = Query(100, ge=1, le=1000),
) -> list[ContactPublic]:
    """The contacts this token may see, by id, optionally of one organisation."""
    rows = contacts.list_all(
        session,
        visible=directory.contact_filter(user),
        organisation_id=organisation_id,
        offset=offset,
        limit=limit,
    )
    return [ContactPublic.model_validate(c) for c in rows]


@router.get("/{contact_id}", response_model=ContactPublic, responses=ERRORS_READ)
def read_contact(contact_id: RecordId, session: SessionDep, user: UserDep) -> ContactPublic:
    """One contact (404 when it is not one this token may see)."""
    return ContactPublic.model_validate(directory.contact_for(session, user, contact_id))


@router.patch("/{contact_id}", response_model=ContactPublic, responses=ERRORS_WRITE)
def update_contact(
    contact_id: RecordId, data: ContactUpdate, session: SessionDep, user: UserDep
) -> ContactPublic:
    """Change some fields of a contact; its address cannot change while a signing link is live (409)."""
    require_writer(user)
    contact = directory.contact_for(session, user, contact_id, write=True)
    return ContactPublic.model_validate(
        contacts.update(session, contact=contact, data=data, actor=actor_of(user))
    )
