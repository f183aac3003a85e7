"""Organisations: create, list, read, update, each within the caller's directory."""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import Offset, RecordId, SessionDep, UserDep, actor_of, require_writer
from api.responses import ERRORS_READ, ERRORS_WRITE
from models.organisation import OrganisationCreate, OrganisationPublic, OrganisationUpdate
from services import directory, organisations

router = APIRouter(prefix="/organisations", tags=["organisations"])


@router.post("", status_code=201, response_model=OrganisationPublic, responses=ERRORS_WRITE)
def create_organisation(data: OrganisationCreate, session: SessionDep, user: UserDep) -> OrganisationPublic:
    """Add an organisation (name, kind, ISO 3166 country) to the caller's directory."""
    require_writer(user)
    organisation = organisations.create(session, data=data, actor=actor_of(user), owner_id=user.id)
    return OrganisationPublic.model_validate(organisation)


@router.get("", response_model=list[OrganisationPublic], responses=ERRORS_READ)
def list_organisations(
    session: SessionDep,
    user: UserDep,
    offset: Offset = 0,
    limit: int = Query(100, ge=1, le=1000),
) -> list[OrganisationPublic]:
    """The organisations this token may see, by id: its own, and those invited to its campaigns."""
    rows = organisations.list_all(
        session, visible=directory.organisation_filter(user), offset=offset, limit=limit
    )
    return [OrganisationPublic.model_validate(o) for o in rows]


@router.get("/{organisation_id}", response_model=OrganisationPublic, responses=ERRORS_READ)
def read_organisation(organisation_id: RecordId, session: SessionDep, user: UserDep) -> OrganisationPublic:
    """One organisation (404 when it is not one this token may see)."""
    return OrganisationPublic.model_validate(directory.organisation_for(session, user, organisation_id))


@router.patch("/{organisation_id}", response_model=OrganisationPublic, responses=ERRORS_WRITE)
def update_organisation(
    organisation_id: RecordId, data: OrganisationUpdate, session: SessionDep, user: UserDep
) -> OrganisationPublic:
    """Change some fields of an organisation of the caller's directory."""
    require_writer(user)
    organisation = directory.organisation_for(session, user, organisation_id, write=True)
    updated = organisations.update(session, organisation=organisation, data=data, actor=actor_of(user))
    return OrganisationPublic.model_validate(updated)
