"""Signatures: the record that a person signed a pledge version for an organisation."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.common import UTCDateTime, utcnow


class Signature(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    receipt_id: str = Field(max_length=40, unique=True, index=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    invitation_id: int = Field(foreign_key="invitation.id", unique=True)
    contact_id: int = Field(foreign_key="contact.id")
    delegated_by_contact_id: int | None = Field(default=None, foreign_key="contact.id")
    signer_name: str = Field(max_length=200)
    signer_title: str = Field(max_length=200)
    # Facts as they were when signing, so renaming the organisation or readdressing the contact
    # later cannot rewrite what the receipt and the register say was signed. Empty on rows
    # recorded before they were copied: those fall back to the organisation's current record.
    signer_email: str | None = Field(default=None, max_length=320)
    organisation_name: str | None = Field(default=None, max_length=200)
    organisation_kind: str | None = Field(default=None, max_length=40)
    organisation_country: str | None = Field(default=None, max_length=2)
    publish_name: bool = Field(default=False, description="Signer agreed to appear on the register")
    pledge_id: int = Field(foreign_key="pledge.id")
    pledge_version: int
    pledge_sha256: str = Field(max_length=64)  # of the text in `pledge_language`, the one signed
    # The language of the text signed; rows from before pledges had translations signed the
    # original, which was English.
    pledge_language: str = Field(default="en", max_length=35)
    signed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=500)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawal_reason: str | None = Field(default=None, max_length=2000)


class SignaturePublic(SQLModel):
    receipt_id: str
    campaign_id: int
    organisation_id: int
    organisation_name: str
    organisation_country: str
    invitation_id: int
    signer_name: str
    signer_title: str
    signer_email: str | None
    on_behalf_of: str
    delegated_by: str | None
    pledge_version: int
    pledge_language: str
    pledge_sha256: str
    signed_at: datetime
    ip: str | None
    user_agent: str | None
    withdrawn_at: datetime | None
