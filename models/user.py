"""People who use the API, and the bearer tokens they hold."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import EmailStr, StrictInt
from sqlmodel import Field, SQLModel, UniqueConstraint

from models.common import UTCDateTime, utcnow


class Role(StrEnum):
    admin = "admin"
    coordinator = "coordinator"
    reviewer = "reviewer"
    auditor = "auditor"


class UserBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    role: Role


class User(UserBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Set by an admin: the person can no longer sign in, and their sessions and tokens stop working.
    deactivated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def active(self) -> bool:
        return self.deactivated_at is None


class UserPublic(UserBase):
    id: int
    deactivated_at: datetime | None = None


class TokenState(StrEnum):
    active = "active"
    revoked = "revoked"
    expired = "expired"


class ApiToken(SQLModel, table=True):
    """A bearer token; only its SHA-256 is kept, the secret is shown once at creation."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=16, description="First characters, to recognise a token")
    label: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # None only for tokens made before tokens expired; every new token gets a date.
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    def state(self, now: datetime) -> TokenState:
        """Whether the token still lets its holder in, at `now`."""
        if self.revoked_at is not None:
            return TokenState.revoked
        if self.expires_at is not None and self.expires_at <= now:
            return TokenState.expired
        return TokenState.active


MAX_TOKEN_DAYS = 3650


class ApiTokenCreate(SQLModel):
    """What the caller asks for; the token is always their own."""

    label: str = Field(default="", max_length=200, description="What the token is for")
    # Strict: JSON true is not a number of days (pydantic would read it as 1).
    expires_in_days: StrictInt | None = Field(
        default=None,
        ge=1,
        le=MAX_TOKEN_DAYS,
        description="Lifetime in days; the server's default (PLEDGEFLOW_API_TOKEN_DAYS) when not given",
    )


class ApiTokenPublic(SQLModel):
    """A token as listed: never its secret, only the first characters to recognise it."""

    id: int
    user_id: int
    user_email: str
    prefix: str
    label: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    state: TokenState


class ApiTokenCreated(ApiTokenPublic):
    """A token just made: the only answer that carries the secret."""

    token: str = Field(description="The bearer token; shown this once, stored only as a hash")


class CampaignShare(SQLModel, table=True):
    """A campaign shared with another coordinator (or a reviewer) besides its owner."""

    __tablename__ = "campaign_share"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id", name="uq_campaign_share"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
