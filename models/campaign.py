"""Campaigns: one collective-action engagement around one pledge."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import EmailStr, ValidationInfo, field_validator
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from models.common import UTCDateTime, reject_bidi_controls, reject_null, utcnow, validate_timezone
from models.policy import ChasePolicy
from models.quorum import StakeholderGroup, check_groups
from models.review import ReviewSettings


class CampaignStatus(StrEnum):
    draft = "draft"
    launched = "launched"
    in_force = "in_force"
    closed = "closed"
    cancelled = "cancelled"


class Visibility(StrEnum):
    """Who may see the public register: everyone, those with the link, or nobody."""

    public = "public"
    unlisted = "unlisted"
    private = "private"


class CampaignBase(SQLModel):
    title: str = Field(min_length=1, max_length=300)
    region: str = Field(min_length=1, max_length=100, description="Country code (e.g. 'GH') or region name")
    timezone: str = Field(default="UTC", max_length=64, description="IANA time zone")
    visibility: Visibility = Visibility.public
    signature_deadline: date | None = Field(
        default=None, description="Last day to sign, in the campaign's time zone"
    )
    coordinator_email: EmailStr | None = Field(
        default=None, description="Receives notices; the owner's address when empty"
    )
    focal_point_email: EmailStr | None = Field(
        default=None, description="The regional body's focal point, last level of escalation"
    )

    @field_validator("timezone")
    @classmethod
    def _timezone_known(cls, value: str) -> str:
        return validate_timezone(value)


class Campaign(CampaignBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    status: CampaignStatus = Field(default=CampaignStatus.draft, index=True)
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    # The programme the campaign serves and its country (None for a regional campaign): what the
    # programme view and the country grid gather by. `region` stays the free text people read.
    programme_id: int | None = Field(default=None, foreign_key="programme.id", index=True)
    country: str | None = Field(default=None, min_length=2, max_length=2, index=True)
    pledge_version: int | None = Field(default=None, description="Version frozen at launch")
    register_key: str = Field(
        default_factory=lambda: secrets.token_urlsafe(12),
        max_length=32,
        unique=True,
        description="The public register's address: unguessable, for unlisted campaigns",
    )
    quorum: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    policy: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    review: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    launched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    in_force_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CampaignCreate(CampaignBase):
    quorum: list[StakeholderGroup] = Field(
        default_factory=list, description="Empty: everyone invited must sign"
    )
    policy: ChasePolicy | None = Field(default=None, description="Reminders, ladder, quiet hours")
    review: ReviewSettings | None = Field(default=None, description="Report cadence, deadlines, reviewers")

    @field_validator("quorum")
    @classmethod
    def _groups_unique(cls, value: list[StakeholderGroup]) -> list[StakeholderGroup]:
        return check_groups(value)

    # On what is written, not on CampaignBase: a stored title read back must never fail to load.
    @field_validator("title", "region")
    @classmethod
    def _no_bidi_controls(cls, value: str) -> str | None:
        return reject_bidi_controls(value)


class CampaignUpdate(SQLModel):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    region: str | None = Field(default=None, min_length=1, max_length=100)
    timezone: str | None = None
    visibility: Visibility | None = None
    signature_deadline: date | None = None
    coordinator_email: EmailStr | None = None
    focal_point_email: EmailStr | None = None
    quorum: list[StakeholderGroup] | None = None
    policy: ChasePolicy | None = None
    review: ReviewSettings | None = None

    @field_validator("title", "region", "timezone", "visibility", mode="before")
    @classmethod
    def _required_not_null(cls, value: object, info: ValidationInfo) -> object:
        return reject_null(value, info.field_name or "field")

    @field_validator("timezone")
    @classmethod
    def _timezone_known(cls, value: str | None) -> str | None:
        return None if value is None else validate_timezone(value)

    @field_validator("title", "region")
    @classmethod
    def _no_bidi_controls(cls, value: str | None) -> str | None:
        return reject_bidi_controls(value)

    @field_validator("quorum")
    @classmethod
    def _groups_unique(cls, value: list[StakeholderGroup] | None) -> list[StakeholderGroup] | None:
        return None if value is None else check_groups(value)


class CampaignPublic(CampaignBase):
    id: int
    status: CampaignStatus
    owner_id: int | None
    pledge_version: int | None
    created_at: datetime
    launched_at: datetime | None
    in_force_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None
    quorum: list[StakeholderGroup]
    policy: ChasePolicy
    review: ReviewSettings
    register_key: str
