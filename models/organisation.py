"""Organisations: the parties that sign on their own behalf."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import EmailStr, field_validator
from sqlmodel import Field, SQLModel, UniqueConstraint

from models.common import UTCDateTime, utcnow, validate_country


class OrganisationKind(StrEnum):
    """What sort of stakeholder an organisation is."""

    customs_administration = "customs_administration"
    trade_association = "trade_association"
    customs_broker = "customs_broker"
    freight_forwarder = "freight_forwarder"
    chamber_of_commerce = "chamber_of_commerce"
    company = "company"
    regional_body = "regional_body"
    other = "other"


class OrganisationBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    kind: OrganisationKind
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2 code")
    external_ref: str | None = Field(
        default=None, max_length=100, description="The coordinator's own key, used by imports"
    )
    head_name: str | None = Field(default=None, max_length=200)
    head_email: EmailStr | None = Field(
        default=None, description="Escalation contact when a contact has none of their own"
    )

    @field_validator("country")
    @classmethod
    def _country_is_iso(cls, value: str) -> str:
        return validate_country(value)

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name must not be blank")
        return value.strip()


class Organisation(OrganisationBase, table=True):
    __table_args__ = (UniqueConstraint("name", "country", name="uq_organisation_name_country"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrganisationCreate(OrganisationBase):
    pass


class OrganisationUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: OrganisationKind | None = None
    country: str | None = None
    external_ref: str | None = None
    head_name: str | None = None
    head_email: EmailStr | None = None

    @field_validator("country")
    @classmethod
    def _country_is_iso(cls, value: str | None) -> str | None:
        return None if value is None else validate_country(value)


class OrganisationPublic(OrganisationBase):
    id: int
    head_email: str | None = None
    created_at: datetime
