"""Escalations: a level of the ladder reached for an invitation (or a report), open until handled."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from models.common import UTCDateTime, utcnow


class EscalationStatus(StrEnum):
    open = "open"
    handled = "handled"


class Escalation(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("subject", "level", name="uq_escalation_subject_level"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    invitation_id: int | None = Field(default=None, foreign_key="invitation.id", index=True)
    subject: str = Field(max_length=80, description="'invitation:12' or 'report:7': what is overdue")
    workflow_id: str = Field(max_length=200, description="The workflow whose ladder this is")
    level: int
    recipient_role: str = Field(max_length=40)
    recipient_email: str = Field(max_length=320)
    cc: str | None = Field(default=None, max_length=1000)
    status: EscalationStatus = Field(default=EscalationStatus.open, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    handled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    handled_by: str | None = Field(default=None, max_length=320)
    note: str | None = Field(default=None, max_length=2000)


class EscalationPublic(SQLModel):
    id: int
    campaign_id: int
    organisation_id: int
    organisation_name: str
    invitation_id: int | None
    subject: str
    level: int
    recipient_role: str
    recipient_email: str
    cc: str | None
    status: EscalationStatus
    created_at: datetime
    handled_at: datetime | None
    handled_by: str | None
    note: str | None


class EscalationHandle(SQLModel):
    note: str = Field(min_length=1, max_length=2000)
