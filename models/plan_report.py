"""A plan's measurement cycles: the report an administration sends, the values and milestone states in it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from models.common import UTCDateTime, utcnow
from models.report import ReportStatus


class MilestoneState(StrEnum):
    pending = "pending"
    done = "done"
    missed = "missed"


class PlanReport(SQLModel, table=True):
    """What an administration reports for one cycle of its plan; sent back, it gets a new version."""

    __tablename__ = "plan_report"
    __table_args__ = (UniqueConstraint("plan_id", "cycle", "version", name="uq_plan_report_version"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="action_plan.id", index=True)
    plan_version: int = Field(ge=1, description="The plan version the cycle measures against")
    cycle: int = Field(ge=1)
    version: int = Field(default=1, ge=1)
    status: ReportStatus = Field(default=ReportStatus.draft, index=True)
    period_start: date
    period_end: date
    due_at: datetime = Field(sa_type=UTCDateTime)
    reporter_email: str = Field(max_length=320)
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by: str | None = Field(default=None, max_length=320)
    decision_note: str | None = Field(default=None, max_length=4000)


class IndicatorReading(SQLModel, table=True):
    """The measured value of one indicator in one report version (None: not measured this cycle)."""

    __tablename__ = "indicator_reading"
    __table_args__ = (UniqueConstraint("report_id", "indicator_key", name="uq_indicator_reading"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="plan_report.id", index=True)
    indicator_key: str = Field(max_length=40)
    value: float | None = None
    measured_on: date | None = None
    evidence: str = Field(default="", max_length=4000, description="Links or where the figure is kept")


class MilestoneUpdate(SQLModel, table=True):
    __tablename__ = "milestone_update"
    __table_args__ = (UniqueConstraint("report_id", "milestone_key", name="uq_milestone_update"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="plan_report.id", index=True)
    milestone_key: str = Field(max_length=40)
    state: MilestoneState = MilestoneState.pending
    completed_on: date | None = None
    evidence: str = Field(default="", max_length=4000)
