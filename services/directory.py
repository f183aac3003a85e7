"""Whose organisations and contacts: the access rules of a coordinator's directory.

An organisation belongs to the coordinator who created or imported it (`owner_id`); its contacts
belong to it. The owner reads and writes them, admins read and write all, auditors read all.
A user who may see a campaign (its owner, or someone it is shared with) also reads the
organisations and contacts invited to it, and nothing else. Everything else answers 404, as
campaigns do, so ids of other directories do not leak.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, true
from sqlmodel import Session, col, select

from models.campaign import Campaign
from models.contact import Contact
from models.invitation import Invitation
from models.organisation import Organisation
from models.user import CampaignShare, Role, User
from pledgeflow.errors import Forbidden, not_found

READ_ALL = (Role.admin, Role.auditor)


def _seen_campaigns(user: User) -> Select[Any]:
    """Ids of the campaigns the user owns or that are shared with them."""
    shared = select(CampaignShare.campaign_id).where(CampaignShare.user_id == user.id)
    return select(Campaign.id).where(or_(col(Campaign.owner_id) == user.id, col(Campaign.id).in_(shared)))


def owns(user: User, organisation: Organisation) -> bool:
    """True when the organisation is in the user's own directory (admins own every directory)."""
    return user.role is Role.admin or (organisation.owner_id is not None and organisation.owner_id == user.id)


def organisation_filter(user: User) -> ColumnElement[bool]:
    """A WHERE clause on Organisation: the ones the user may read."""
    if user.role in READ_ALL:
        return true()
    if user.id is None:
        return false()
    invited = select(Invitation.organisation_id).where(col(Invitation.campaign_id).in_(_seen_campaigns(user)))
    return or_(col(Organisation.owner_id) == user.id, col(Organisation.id).in_(invited))


def contact_filter(user: User) -> ColumnElement[bool]:
    """A WHERE clause on Contact: the ones the user may read (own organisations', or invited)."""
    if user.role in READ_ALL:
        return true()
    if user.id is None:
        return false()
    own = select(Organisation.id).where(Organisation.owner_id == user.id)
    invited = select(Invitation.contact_id).where(col(Invitation.campaign_id).in_(_seen_campaigns(user)))
    return or_(col(Contact.organisation_id).in_(own), col(Contact.id).in_(invited))


def _require_writer(user: User) -> None:
    if user.role not in (Role.admin, Role.coordinator):
        raise Forbidden(
            f"changing organisations and contacts needs the role admin or coordinator; "
            f"your token's role is {user.role.value}"
        )


def _require_owner(user: User, organisation: Organisation) -> None:
    if not owns(user, organisation):
        raise Forbidden(
            f"organisation {organisation.id} belongs to another coordinator's directory: "
            "only its owner or an admin can change it or its contacts"
        )


def organisation_for(
    session: Session, user: User, organisation_id: int, *, write: bool = False
) -> Organisation:
    """The organisation if the user may read it (404 otherwise); to write, 403 unless its owner."""
    organisation = session.exec(
        select(Organisation).where(Organisation.id == organisation_id, organisation_filter(user))
    ).first()
    if organisation is None:
        raise not_found("organisation", organisation_id)
    if write:
        _require_writer(user)
        _require_owner(user, organisation)
    return organisation


def contact_for(session: Session, user: User, contact_id: int, *, write: bool = False) -> Contact:
    """The contact if the user may read it (404 otherwise); to write, 403 unless its owner."""
    contact = session.exec(select(Contact).where(Contact.id == contact_id, contact_filter(user))).first()
    if contact is None:
        raise not_found("contact", contact_id)
    if write:
        _require_writer(user)
        organisation = session.get(Organisation, contact.organisation_id)
        assert organisation is not None
        _require_owner(user, organisation)
    return contact


def owned_organisation(session: Session, user: User, organisation_id: int) -> Organisation | None:
    """The organisation if it is in the user's own directory (what they may invite or add to)."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or not owns(user, organisation):
        return None
    return organisation
