"""People who use the API, and the bearer tokens they hold."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import EmailStr
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


class UserPublic(UserBase):
    id: int


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


class CampaignShare(SQLModel, table=True):
    """A campaign shared with another coordinator (or a reviewer) besides its owner."""

    __tablename__ = "campaign_share"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id", name="uq_campaign_share"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
