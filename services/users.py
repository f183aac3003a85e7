"""Users and their API tokens: tokens are random, shown once, and stored as SHA-256."""

from __future__ import annotations

import hashlib
import secrets

from sqlmodel import Session, select

from models.user import ApiToken, Role, User
from pledgeflow.errors import Unauthorized
from services import audit

TOKEN_PREFIX = "pf_"


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def get_or_create_user(session: Session, *, email: str, name: str, role: Role, actor: str) -> User:
    """The user with this address; created with the given role if new."""
    user = session.exec(select(User).where(User.email == email.lower())).first()
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


def create_token(session: Session, *, user: User, label: str, actor: str) -> tuple[str, ApiToken]:
    """A new bearer token for the user; the plain token is returned once and never stored."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id or 0, token_hash=hash_token(plain), prefix=plain[:10], label=label)
    session.add(token)
    session.flush()
    audit.append(
        session,
        kind="token.created",
        actor=actor,
        subject=f"user:{user.id}",
        data={"prefix": token.prefix, "label": label, "role": user.role},
    )
    return plain, token


def authenticate(session: Session, plain: str) -> User:
    """The user a bearer token belongs to, or Unauthorized."""
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(plain))).first()
    if token is None or token.revoked_at is not None:
        raise Unauthorized("the bearer token is unknown or revoked")
    user = session.get(User, token.user_id)
    if user is None:
        raise Unauthorized("the bearer token's user no longer exists")
    return user
