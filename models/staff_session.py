"""Staff sign-in: one-time links sent by email, and the server-side sessions they open."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from models.common import UTCDateTime, utcnow


class SignInReason(StrEnum):
    """Why a link was made: the person asked for one, or an admin invited them."""

    sign_in = "sign_in"
    invitation = "invitation"


class SignInLink(SQLModel, table=True):
    """A one-time sign-in link: the emailed token names this row, which says whether it was used.

    The token is a signed form of the row's id and expiry (pledgeflow.links), so the email can be
    composed again on a retry without the secret ever entering a workflow's history.
    """

    __tablename__ = "sign_in_link"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    # Why the link was made: a person asking for one, or an admin inviting a new member of staff.
    reason: str = Field(default=SignInReason.sign_in.value, max_length=20)  # a SignInReason
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StaffSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds a random secret, only its SHA-256 is kept here."""

    __tablename__ = "staff_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    # Sign-out, an admin's "end sessions" or a deactivation; an ended session never opens again.
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_by: str | None = Field(default=None, max_length=400)
    user_agent: str = Field(default="", max_length=300)

    def open_at(self, now: datetime) -> bool:
        return self.ended_at is None and now < self.expires_at
