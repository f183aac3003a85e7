"""API tokens: the caller lists, creates and revokes their own; admins see and revoke everyone's.

Another user's token answers 404, as if it did not exist, so token ids do not leak.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Response, status

from api.deps import ContextDep, RecordId, SessionDep, UserDep, actor_of
from api.responses import ERRORS_READ, ERRORS_WRITE
from models.user import ApiTokenCreate, ApiTokenCreated, ApiTokenPublic, Role, User
from services import users

router = APIRouter(prefix="/tokens", tags=["tokens"])

ERRORS_LIST: dict[int | str, dict[str, Any]] = {401: ERRORS_READ[401]}
ERRORS_CREATE: dict[int | str, dict[str, Any]] = {**ERRORS_LIST, 422: ERRORS_WRITE[422]}
ERRORS_REVOKE: dict[int | str, dict[str, Any]] = {**ERRORS_READ, 422: ERRORS_WRITE[422]}


def _owner_scope(user: User) -> User | None:
    """Whose tokens the caller reaches: everyone's for an admin, else only their own."""
    return None if user.role is Role.admin else user


@router.get("", response_model=list[ApiTokenPublic], responses=ERRORS_LIST)
def list_tokens(session: SessionDep, user: UserDep) -> list[ApiTokenPublic]:
    """The caller's tokens (an admin: every user's), newest first, without their secrets."""
    return users.list_tokens(session, owner=_owner_scope(user))


@router.post("", response_model=ApiTokenCreated, status_code=status.HTTP_201_CREATED, responses=ERRORS_CREATE)
def create_token(
    body: ApiTokenCreate, session: SessionDep, user: UserDep, context: ContextDep
) -> ApiTokenCreated:
    """A new token for the caller, with the caller's role; the secret is in this answer only."""
    days = body.expires_in_days or context.settings.api_token_days
    plain, token = users.create_token(
        session, user=user, label=body.label, actor=actor_of(user), lifetime=timedelta(days=days)
    )
    return ApiTokenCreated(**users.to_public(session, token).model_dump(), token=plain)


@router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS_REVOKE)
def revoke_token(token_id: RecordId, session: SessionDep, user: UserDep) -> Response:
    """Revoke one of the caller's tokens (an admin: anyone's); it answers 401 from now on."""
    token = users.get_token_or_raise(session, token_id, owner=_owner_scope(user))
    users.revoke_token(session, token=token, actor=actor_of(user))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
