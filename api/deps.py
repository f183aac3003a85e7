"""FastAPI dependencies: sessions, the context, the caller, and access checks."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from api.context import ApiContext
from models.campaign import Campaign
from models.user import CampaignShare, Role, User
from pledgeflow.db import read_only
from pledgeflow.errors import Forbidden, Unauthorized, not_found
from services import users

log = logging.getLogger(__name__)

# Every id column is an `integer`: PostgreSQL holds up to 2^31 - 1 there (SQLite more). A bigger number
# cannot name a row, and would make the driver fail (DataError, or SQLite's OverflowError past 2^63)
# instead of a 404; bounding the parameters also documents the range in the OpenAPI schema.
MAX_RECORD_ID = 2**31 - 1
MAX_OFFSET = 2**63 - 1  # OFFSET is a bigint in PostgreSQL and SQLite alike

RecordId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID, description="A record id (1 to 2^31 - 1)")]
"""An id in a route's path."""

RecordIdFilter = Annotated[
    int | None, Query(ge=1, le=MAX_RECORD_ID, description="Only records of this id (1 to 2^31 - 1)")
]
"""An optional id a list is filtered by."""

Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="How many records to skip")]
"""Where a page of a list starts."""

LevelFilter = Annotated[
    int | None, Query(ge=0, le=MAX_RECORD_ID, description="Only escalations of this level")
]
"""An optional escalation level a list is filtered by."""

Cycle = Annotated[int | None, Query(ge=1, le=MAX_RECORD_ID, description="The newest cycle when not given")]
"""A reporting cycle of a campaign, counted from 1."""


def get_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


ContextDep = Annotated[ApiContext, Depends(get_context)]


def get_session(request: Request, context: ContextDep) -> Iterator[Session]:
    """One session per request; committed when the route returns without error."""
    bind = read_only(context.engine) if request.method in ("GET", "HEAD") else context.engine
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(get_session)]


def get_read_session(context: ContextDep) -> Iterator[Session]:
    """A session for work that only reads (the link pages): it never queues behind writers.

    Its cleanup runs once the page is computed, perhaps already sent (a signer's receipt): a
    connection the database dropped meanwhile fails the rollback, and that must not take the
    page with it. Nothing was written through this session, so there is nothing to lose.
    """
    session = Session(read_only(context.engine), expire_on_commit=False)
    try:
        yield session
    finally:
        try:
            session.close()
        except SQLAlchemyError as exc:
            log.warning("closing a read-only session failed (the page was served): %s", exc)
            _discard(session)


def _discard(session: Session) -> None:
    """Drop a session whose connection is dead, without another round trip to the database."""
    try:
        session.invalidate()
    except SQLAlchemyError as exc:
        log.warning("invalidating a dead read-only session failed: %s", exc)


ReadSessionDep = Annotated[Session, Depends(get_read_session)]

_bearer = HTTPBearer(auto_error=False, description="A token made with `pledgeflow token create`")


def current_user(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The user behind the Bearer token, or 401."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("this endpoint needs an API token: 'Authorization: Bearer <token>'")
    return users.authenticate(session, credentials.credentials)


UserDep = Annotated[User, Depends(current_user)]


def actor_of(user: User) -> str:
    """How the audit log names a user."""
    return f"user:{user.id}:{user.email}"


def require_role(user: User, *roles: Role) -> None:
    """403 unless the user has one of the roles."""
    if user.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise Forbidden(f"this needs the role {allowed}; your token's role is {user.role.value}")


def require_writer(user: User) -> None:
    """Coordinators and admins change things; auditors and reviewers only read."""
    require_role(user, Role.admin, Role.coordinator)


def can_see_campaign(session: Session, user: User, campaign: Campaign) -> bool:
    """Admins and auditors see all; others see their own campaigns and those shared with them."""
    if user.role in (Role.admin, Role.auditor):
        return True
    if campaign.owner_id == user.id:
        return True
    share = session.exec(
        select(CampaignShare).where(
            CampaignShare.campaign_id == campaign.id, CampaignShare.user_id == user.id
        )
    ).first()
    return share is not None


def campaign_for(session: Session, user: User, campaign_id: int, *, write: bool = False) -> Campaign:
    """The campaign if the user may see it (404 otherwise, so ids do not leak); 403 to write."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or not can_see_campaign(session, user, campaign):
        raise not_found("campaign", campaign_id)
    if write:
        require_writer(user)
    return campaign
