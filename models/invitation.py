"""Invitations: one contact asked to sign on behalf of one organisation."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel
from sqlmodel import Field, SQLModel

from models.common import UTCDateTime, utcnow


class InvitationStatus(StrEnum):
    pending = "pending"  # chosen, not yet emailed
    sent = "sent"  # emailed; the link is open
    signed = "signed"
    declined = "declined"
    delegated = "delegated"  # handed to a colleague; this link no longer works
    expired = "expired"
    unresponsive = "unresponsive"
    withdrawn = "withdrawn"
    cancelled = "cancelled"
    undeliverable = "undeliverable"  # the SMTP server refused the invitation for good (5xx)


OPEN_STATUSES = frozenset({InvitationStatus.pending, InvitationStatus.sent})


class Invitation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    status: InvitationStatus = Field(default=InvitationStatus.pending, index=True)
    delegated_from_id: int | None = Field(default=None, foreign_key="invitation.id")
    delegated_by_contact_id: int | None = Field(default=None, foreign_key="contact.id")
    decline_reason: str | None = Field(default=None, max_length=2000)
    deadline: date | None = Field(default=None, description="This organisation's own deadline, if extended")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The first time the signatory opened the link's page (the funnel's "opened"); later visits leave it.
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class InviteeChoice(BaseModel):
    """Who to invite: an organisation, through one of its contacts (its first one if not named)."""

    organisation_id: int
    contact_id: int | None = None


class InvitationPublic(SQLModel):
    id: int
    campaign_id: int
    organisation_id: int
    organisation_name: str
    contact_id: int
    contact_name: str
    contact_email: str
    status: InvitationStatus
    delegated_from_id: int | None
    delegated_by_contact_id: int | None
    decline_reason: str | None
    deadline: date | None
    created_at: datetime
    sent_at: datetime | None
    responded_at: datetime | None
    opened_at: datetime | None = None
