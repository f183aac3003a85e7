"""Action plans: an administration's multi-annual plan, its versions, and who approved each."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import field_validator, model_validator
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel, UniqueConstraint

from models.campaign import Visibility
from models.common import UTCDateTime, reject_bidi_controls, utcnow, validate_country


class PlanStatus(StrEnum):
    draft = "draft"  # being written; nothing is measured yet
    submitted = "submitted"  # waiting for a reviewer's approval
    approved = "approved"  # its current version is the one measured
    closed = "closed"


class ActionPlanBase(SQLModel):
    title: str = Field(min_length=1, max_length=300)
    starts_on: date
    ends_on: date
    # Private until the administration consents to publishing (UNCAC art. 10), as for registers.
    visibility: Visibility = Visibility.private
    report_every_months: int = Field(default=12, ge=1, le=36, description="Length of a measurement cycle")

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("title must not be blank")
        return reject_bidi_controls(value.strip()) or value

    @model_validator(mode="after")
    def _dates(self) -> ActionPlanBase:
        if self.ends_on <= self.starts_on:
            raise ValueError(f"ends_on ({self.ends_on}) must be after starts_on ({self.starts_on})")
        return self


class ActionPlan(ActionPlanBase, table=True):
    __tablename__ = "action_plan"

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, description="The administration")
    country: str = Field(min_length=2, max_length=2, index=True)
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    status: PlanStatus = Field(default=PlanStatus.draft, index=True)
    current_version: int = Field(default=1, ge=1)
    approved_version: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        return validate_country(value)


class PlanVersion(SQLModel, table=True):
    """One version of a plan's content; a change after approval is a new version with its reason."""

    __tablename__ = "plan_version"
    __table_args__ = (UniqueConstraint("plan_id", "version", name="uq_plan_version"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="action_plan.id", index=True)
    version: int = Field(ge=1)
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    sha256: str = Field(max_length=64)
    reason: str = Field(default="", max_length=2000)
    created_by: str = Field(max_length=320)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    approved_by: str | None = Field(default=None, max_length=320)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
