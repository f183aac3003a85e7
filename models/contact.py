"""Contacts: the people invited to sign for an organisation."""

from __future__ import annotations

from datetime import datetime

from pydantic import EmailStr, ValidationInfo, field_validator
from sqlmodel import Field, SQLModel, UniqueConstraint

from models.common import (
    UTCDateTime,
    reject_bidi_controls,
    reject_null,
    utcnow,
    validate_locale,
    validate_timezone,
)


class ContactBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    title: str | None = Field(default=None, max_length=200)
    locale: str = Field(default="en", max_length=16, description="Preferred language, e.g. 'fr'")
    timezone: str | None = Field(
        default=None, max_length=64, description="IANA zone for quiet hours; campaign's if empty"
    )
    escalation_name: str | None = Field(default=None, max_length=200)
    escalation_email: EmailStr | None = Field(
        default=None, description="Supervisor told when this contact does not respond"
    )

    @field_validator("locale")
    @classmethod
    def _locale_known(cls, value: str) -> str:
        return validate_locale(value)

    @field_validator("timezone")
    @classmethod
    def _timezone_known(cls, value: str | None) -> str | None:
        return None if value is None else validate_timezone(value)

    @field_validator("email", "escalation_email")
    @classmethod
    def _lower_email(cls, value: str | None) -> str | None:
        return None if value is None else value.lower()


class Contact(ContactBase, table=True):
    __table_args__ = (UniqueConstraint("organisation_id", "email", name="uq_contact_org_email"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ContactDetails(ContactBase):
    """A contact's own fields as written (API, import, delegation); a stored row is not revalidated."""

    @field_validator("name", "title", "escalation_name")
    @classmethod
    def _no_bidi_controls(cls, value: str | None) -> str | None:
        return reject_bidi_controls(value)


class ContactCreate(ContactDetails):
    organisation_id: int


class ContactUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | None = None
    title: str | None = None
    locale: str | None = None
    timezone: str | None = None
    escalation_name: str | None = None
    escalation_email: EmailStr | None = None

    @field_validator("name", "email", "locale", mode="before")
    @classmethod
    def _required_not_null(cls, value: object, info: ValidationInfo) -> object:
        return reject_null(value, info.field_name or "field")

    @field_validator("locale")
    @classmethod
    def _locale_known(cls, value: str | None) -> str | None:
        return None if value is None else validate_locale(value)

    @field_validator("timezone")
    @classmethod
    def _timezone_known(cls, value: str | None) -> str | None:
        return None if value is None else validate_timezone(value)

    @field_validator("email", "escalation_email")
    @classmethod
    def _lower_email(cls, value: str | None) -> str | None:
        return None if value is None else value.lower()

    @field_validator("name", "title", "escalation_name")
    @classmethod
    def _no_bidi_controls(cls, value: str | None) -> str | None:
        return reject_bidi_controls(value)


class ContactPublic(ContactBase):
    id: int
    email: str
    escalation_email: str | None = None
    organisation_id: int
    created_at: datetime
