"""The outbox log: one row per email, keyed by its stable Message-ID."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from models.common import UTCDateTime, utcnow


class EmailKind(StrEnum):
    """Every kind of email; each names its templates and its composer (the column stays a string)."""

    # signing
    invitation = "invitation"
    signature_confirmation = "signature_confirmation"
    decline_notice = "decline_notice"
    delegation_notice = "delegation_notice"
    reminder = "reminder"
    escalation = "escalation"
    expiry_notice = "expiry_notice"
    deadline_extended = "deadline_extended"
    withdrawal_notice = "withdrawal_notice"
    campaign_cancelled = "campaign_cancelled"
    pact_in_force = "pact_in_force"
    # campaigns, to the coordinator
    progress_notice = "progress_notice"
    quorum_unreachable = "quorum_unreachable"
    quorum_broken = "quorum_broken"
    # audit
    audit_checkpoint = "audit_checkpoint"
    # reviews
    report_request = "report_request"
    report_reminder = "report_reminder"
    report_escalation = "report_escalation"
    review_request = "review_request"
    review_reminder = "review_reminder"
    report_accepted = "report_accepted"
    report_sent_back = "report_sent_back"
    standing_changed = "standing_changed"
    # staff
    sign_in_link = "sign_in_link"
    staff_invitation = "staff_invitation"


class EmailStatus(StrEnum):
    sending = "sending"
    accepted = "accepted"  # the SMTP server took it
    failed = "failed"


class EmailMessage(SQLModel, table=True):
    __tablename__ = "email_message"

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(max_length=200, unique=True, index=True)
    kind: str = Field(max_length=60)
    recipient: str = Field(max_length=320)
    cc: str | None = Field(default=None, max_length=1000)
    subject: str = Field(max_length=500)
    campaign_id: int | None = Field(default=None, index=True)
    invitation_id: int | None = Field(default=None, index=True)
    status: EmailStatus = Field(default=EmailStatus.sending)
    attempts: int = 0
    smtp_response: str | None = Field(default=None, max_length=500)
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
