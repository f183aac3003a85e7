"""Organisations: create, read, update, within one coordinator's directory."""

from __future__ import annotations

from sqlalchemy import ColumnElement, true
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.common import utcnow
from models.organisation import Organisation, OrganisationCreate, OrganisationUpdate
from pledgeflow.errors import Conflict, FieldProblem, not_found
from services import audit


def get(session: Session, organisation_id: int) -> Organisation | None:
    """The organisation, or None."""
    return session.get(Organisation, organisation_id)


def get_or_raise(session: Session, organisation_id: int) -> Organisation:
    """The organisation, or NotFound."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise not_found("organisation", organisation_id)
    return organisation


def find_by_name(
    session: Session, *, name: str, country: str, owner_id: int | None = None
) -> Organisation | None:
    """The organisation with this name in this country in one directory (None: the unowned one)."""
    return session.exec(
        select(Organisation).where(
            Organisation.name == name,
            Organisation.country == country,
            col(Organisation.owner_id).is_(None) if owner_id is None else Organisation.owner_id == owner_id,
        )
    ).first()


def list_all(
    session: Session, *, visible: ColumnElement[bool] | None = None, offset: int = 0, limit: int = 100
) -> list[Organisation]:
    """Organisations by id, only those matching `visible` (see services.directory)."""
    query = select(Organisation).where(true() if visible is None else visible)
    rows = session.exec(query.order_by(col(Organisation.id)).offset(offset).limit(limit))
    return list(rows.all())


def _name_taken(name: str, country: str) -> Conflict:
    return Conflict(
        f"an organisation named '{name}' already exists in {country} in this directory",
        errors=[FieldProblem("name", "already exists in this country")],
    )


def create(
    session: Session, *, data: OrganisationCreate, actor: str, owner_id: int | None = None
) -> Organisation:
    """Add an organisation to the owner's directory; a name twice in one country is a conflict."""
    if find_by_name(session, name=data.name, country=data.country, owner_id=owner_id) is not None:
        raise _name_taken(data.name, data.country)
    organisation = Organisation.model_validate(data, update={"owner_id": owner_id})
    session.add(organisation)
    session.flush()
    audit.append(
        session,
        kind="organisation.created",
        actor=actor,
        subject=f"organisation:{organisation.id}",
        data={
            "name": organisation.name,
            "kind": organisation.kind,
            "country": organisation.country,
            "owner_id": owner_id,
        },
    )
    return organisation


def update(
    session: Session, *, organisation: Organisation, data: OrganisationUpdate, actor: str
) -> Organisation:
    """Change the given fields; taking the name of another organisation of the directory is a conflict."""
    changes = data.model_dump(exclude_unset=True)
    name, country = changes.get("name", organisation.name), changes.get("country", organisation.country)
    if (name, country) != (organisation.name, organisation.country):
        other = find_by_name(session, name=name, country=country, owner_id=organisation.owner_id)
        if other is not None and other.id != organisation.id:
            raise _name_taken(name, country)
    for key, value in changes.items():
        setattr(organisation, key, value)
    organisation.updated_at = utcnow()
    session.add(organisation)
    try:
        session.flush()
    except IntegrityError as exc:  # another request took the name since the check above; the
        # request's transaction is rolled back by the caller
        raise _name_taken(name, country) from exc
    audit.append(
        session,
        kind="organisation.updated",
        actor=actor,
        subject=f"organisation:{organisation.id}",
        data=changes,
    )
    return organisation
