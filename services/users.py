"""Users and their API tokens: tokens are random, shown once, and stored as SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from pydantic import ValidationError
from sqlmodel import Session, col, select

from models.common import utcnow
from models.user import ApiToken, ApiTokenCreate, ApiTokenPublic, Role, TokenState, User
from pledgeflow.errors import FieldProblem, InvalidInput, Unauthorized, not_found
from services import audit

TOKEN_PREFIX = "pf_"
DEFAULT_LIFETIME = timedelta(days=90)
"""Settings.api_token_days's default; the API and the command line pass the configured one."""


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def actor_of(user: User) -> str:
    """How the audit log names a user (their API tokens, their console session, `pledgeflow --as`)."""
    return f"user:{user.id}:{user.email}"


def get_user_by_email(session: Session, email: str) -> User | None:
    """The user with this address, if any."""
    return session.exec(select(User).where(User.email == email.lower())).first()


def get_or_create_user(session: Session, *, email: str, name: str, role: Role, actor: str) -> User:
    """The user with this address; created with the given role if new."""
    user = get_user_by_email(session, email)
    if user is not None:
        return user
    user = User(email=email.lower(), name=name, role=role)
    session.add(user)
    session.flush()
    audit.append(
        session,
        kind="user.created",
        actor=actor,
        subject=f"user:{user.id}",
        data={"email": user.email, "role": role},
    )
    return user


def create_token(
    session: Session, *, user: User, label: str, actor: str, lifetime: timedelta = DEFAULT_LIFETIME
) -> tuple[str, ApiToken]:
    """A new bearer token for the user, valid for `lifetime`; the plain token is returned once."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=user.id or 0,
        token_hash=hash_token(plain),
        prefix=plain[:10],
        label=label,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(token)
    session.flush()
    audit.append(
        session,
        kind="token.created",
        actor=actor,
        subject=f"user:{user.id}",
        data={
            "token_id": token.id,
            "prefix": token.prefix,
            "label": label,
            "role": user.role,
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        },
    )
    return plain, token


def to_public(session: Session, token: ApiToken, *, now: datetime | None = None) -> ApiTokenPublic:
    """What a listing shows of a token: never its hash."""
    owner = session.get(User, token.user_id)
    return ApiTokenPublic(
        id=token.id or 0,
        user_id=token.user_id,
        user_email=owner.email if owner else "",
        prefix=token.prefix,
        label=token.label,
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
        state=token.state(now or utcnow()),
    )


def list_tokens(session: Session, *, owner: User | None) -> list[ApiTokenPublic]:
    """The tokens of `owner` (every user's when None), newest first."""
    query = select(ApiToken).order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
    if owner is not None:
        query = query.where(ApiToken.user_id == owner.id)
    now = utcnow()
    return [to_public(session, token, now=now) for token in session.exec(query)]


def get_token_or_raise(session: Session, token_id: int, *, owner: User | None) -> ApiToken:
    """The token with this id if it belongs to `owner` (any user's when None); 404 otherwise."""
    token = session.get(ApiToken, token_id)
    if token is None or (owner is not None and token.user_id != owner.id):
        raise not_found("token", token_id)  # someone else's token does not exist, for this caller
    return token


def revoke_token(session: Session, *, token: ApiToken, actor: str) -> ApiToken:
    """Revoke a token from now on; revoking it again changes nothing."""
    if token.revoked_at is not None:
        return token
    token.revoked_at = utcnow()
    session.add(token)
    session.flush()
    audit.append(
        session,
        kind="token.revoked",
        actor=actor,
        subject=f"user:{token.user_id}",
        data={"token_id": token.id, "prefix": token.prefix},
    )
    return token


def authenticate(session: Session, plain: str) -> User:
    """The user a bearer token belongs to, or Unauthorized (unknown, revoked or expired)."""
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(plain))).first()
    if token is None:
        raise Unauthorized("the bearer token is unknown")
    state = token.state(utcnow())
    if state is TokenState.revoked:
        raise Unauthorized("the bearer token was revoked")
    if state is TokenState.expired:
        raise Unauthorized("the bearer token has expired; make a new one")
    user = session.get(User, token.user_id)
    if user is None:
        raise Unauthorized("the bearer token's user no longer exists")
    if not user.active:
        raise Unauthorized("the bearer token's holder was deactivated")
    return user


def read_token_request(*, label: str, expires_in_days: str) -> ApiTokenCreate:
    """A form's token request checked as the API checks its body, or InvalidInput per field."""
    text = expires_in_days.strip()
    days: int | None = None
    if text:
        try:
            days = int(text)
        except ValueError:
            raise InvalidInput.for_field("expires_in_days", "must be a whole number of days") from None
    try:
        return ApiTokenCreate.model_validate({"label": label.strip(), "expires_in_days": days})
    except ValidationError as exc:
        problems = [
            FieldProblem(str(err["loc"][0]) if err["loc"] else "request", err["msg"]) for err in exc.errors()
        ]
        raise InvalidInput("the token cannot be made", errors=problems) from None
