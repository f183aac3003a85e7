"""Periodic self-assessment reports, their items and evidence, and each signatory's standing."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from models.common import UTCDateTime, utcnow


class ReportStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"  # locked: waiting for a reviewer
    accepted = "accepted"
    sent_back = "sent_back"  # a new version is being revised


class ItemStatus(StrEnum):
    not_started = "not_started"
    in_progress = "in_progress"
    implemented = "implemented"
    not_applicable = "not_applicable"


class Standing(StrEnum):
    good = "good"
    overdue = "overdue"
    non_compliant = "non_compliant"
    lapsed = "lapsed"


class Report(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("campaign_id", "organisation_id", "cycle", "version", name="uq_report_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    invitation_id: int = Field(foreign_key="invitation.id")
    cycle: int = Field(ge=1)
    version: int = Field(default=1, ge=1)
    status: ReportStatus = Field(default=ReportStatus.draft, index=True)
    period_start: datetime = Field(sa_type=UTCDateTime)
    period_end: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime)
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    on_time: bool | None = None
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by: str | None = Field(default=None, max_length=320)
    decision_note: str | None = Field(default=None, max_length=4000)


class ReportItem(SQLModel, table=True):
    __tablename__ = "report_item"
    __table_args__ = (UniqueConstraint("report_id", "commitment_key", name="uq_report_item"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    commitment_key: str = Field(max_length=40)
    status: ItemStatus | None = None
    narrative: str = Field(default="", max_length=20000)
    links: str = Field(default="", max_length=4000, description="Evidence links, one per line")
    reviewer_comment: str | None = Field(default=None, max_length=4000)


class Evidence(SQLModel, table=True):
    """An uploaded file, stored by its SHA-256 (the same file twice is stored once)."""

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    commitment_key: str = Field(max_length=40)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=120)
    size: int
    sha256: str = Field(max_length=64, index=True)
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SignatoryStanding(SQLModel, table=True):
    """The current standing of one signatory in one campaign (history is in the audit log)."""

    __tablename__ = "signatory_standing"
    __table_args__ = (UniqueConstraint("campaign_id", "organisation_id", name="uq_standing"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    standing: Standing = Standing.good
    since: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReportItemPublic(SQLModel):
    commitment_key: str
    status: ItemStatus | None
    narrative: str
    links: list[str]
    reviewer_comment: str | None
    evidence: list[EvidencePublic]


class EvidencePublic(SQLModel):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


class ReportPublic(SQLModel):
    id: int
    campaign_id: int
    organisation_id: int
    organisation_name: str
    cycle: int
    version: int
    status: ReportStatus
    period_start: datetime
    period_end: datetime
    due_at: datetime
    submitted_at: datetime | None
    on_time: bool | None
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str | None
    items: list[ReportItemPublic]


ReportItemPublic.model_rebuild()
