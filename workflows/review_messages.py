"""What ReviewCycleWorkflow takes, returns and receives: plain dataclasses (outside the sandbox,
like workflows/pledge_messages.py, so datetime fields decode)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from workflows.chasing import ChasePlan, ChaseState
from workflows.quiet_hours import HeldEmail


@dataclass
class CycleTimes:
    """One review cycle's calendar."""

    cycle: int
    period_start: datetime
    period_end: datetime
    opens_at: datetime  # the report request goes out
    due_at: datetime  # the report is due
    closes_at: datetime  # the next cycle opens: this one stops waiting


@dataclass
class ReviewTerms:
    """The campaign's review settings as the workflow needs them."""

    review_days: int = 14
    revision_days: int = 14
    grace_days: int = 30
    lapse_days: int = 60
    reminder_days_before_due: list[int] = field(default_factory=lambda: [7, 1])
    reviewers: list[str] = field(default_factory=list)
    report_plan: ChasePlan = field(default_factory=ChasePlan)  # ladder and quiet hours to reuse


@dataclass
class ReviewCycleInput:
    campaign_id: int
    organisation_id: int
    invitation_id: int
    times: CycleTimes
    terms: ReviewTerms
    standing: str = "good"
    email_task_queue: str = "pledgeflow-email"


@dataclass
class ReviewCycleState:
    phase: str = "opening"  # opening, awaiting_report, awaiting_review, accepted, closed
    report_id: int = 0
    version: int = 1
    due_at: datetime | None = None
    review_due_at: datetime | None = None
    standing: str = "good"
    chase: ChaseState = field(default_factory=ChaseState)
    plan: ChasePlan = field(default_factory=ChasePlan)
    submissions: int = 0
    sent_back: int = 0
    held: list[HeldEmail] = field(default_factory=list)  # emails waiting for the recipient's morning


@dataclass
class ReviewCycleResult:
    cycle: int
    standing: str
    accepted: bool
    report_id: int
    versions: int


@dataclass
class ReportSubmitted:
    """The signatory submitted (and the records locked) this report version."""

    report_id: int
    version: int
    on_time: bool
    actor: str = ""


@dataclass
class ReportDecided:
    """A reviewer decided (and the records hold) accept or send back."""

    report_id: int
    accepted: bool
    reviewer: str


@dataclass
class ReviewCycleView:
    cycle: int
    phase: str
    report_id: int
    version: int
    due_at: datetime | None
    review_due_at: datetime | None
    standing: str
    reminders_sent: int
    escalation_level: int
