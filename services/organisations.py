"""Organisations: create, read, update."""

from __future__ import annotations

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


def find_by_name(session: Session, *, name: str, country: str) -> Organisation | None:
    """The organisation with this name in this country, if any."""
    return session.exec(
        select(Organisation).where(Organisation.name == name, Organisation.country == country)
    ).first()


def list_all(session: Session, *, offset: int = 0, limit: int = 100) -> list[Organisation]:
    """Organisations by id."""
    rows = session.exec(select(Organisation).order_by(col(Organisation.id)).offset(offset).limit(limit))
    return list(rows.all())


def create(session: Session, *, data: OrganisationCreate, actor: str) -> Organisation:
    """Add an organisation; the same name twice in one country is a conflict."""
    if find_by_name(session, name=data.name, country=data.country) is not None:
        raise Conflict(
            f"an organisation named '{data.name}' already exists in {data.country}",
            errors=[FieldProblem("name", "already exists in this country")],
        )
    organisation = Organisation.model_validate(data)
    session.add(organisation)
    session.flush()
    audit.append(
        session,
        kind="organisation.created",
        actor=actor,
        subject=f"organisation:{organisation.id}",
        data={"name": organisation.name, "kind": organisation.kind, "country": organisation.country},
    )
    return organisation


def update(
    session: Session, *, organisation: Organisation, data: OrganisationUpdate, actor: str
) -> Organisation:
    """Change the given fields."""
    changes = data.model_dump(exclude_unset=True)
    for key, value in changes.items():
        setattr(organisation, key, value)
    organisation.updated_at = utcnow()
    session.add(organisation)
    session.flush()
    audit.append(
        session,
        kind="organisation.updated",
        actor=actor,
        subject=f"organisation:{organisation.id}",
        data=changes,
    )
    return organisation
