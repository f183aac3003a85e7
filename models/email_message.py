"""The outbox log: one row per email, keyed by its stable Message-ID."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from models.common import UTCDateTime, utcnow


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
