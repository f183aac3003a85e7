"""Organisations: the parties that sign on their own behalf."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import EmailStr, ValidationInfo, field_validator
from sqlmodel import Field, SQLModel, UniqueConstraint

from models.common import UTCDateTime, reject_bidi_controls, reject_null, utcnow, validate_country


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
    # Names are unique within one coordinator's directory: two coordinators may each keep their
    # own "Ghana Customs" without seeing (or learning of) the other's.
    __table_args__ = (
        UniqueConstraint("owner_id", "name", "country", name="uq_organisation_owner_name_country"),
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int | None = Field(
        default=None,
        foreign_key="user.id",
        index=True,
        description="The coordinator whose directory holds it; empty: only admins (old rows)",
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrganisationCreate(OrganisationBase):
    """What is written (API, import): validated here, so a stored row read back never fails."""

    @field_validator("name", "head_name")
    @classmethod
    def _no_bidi_controls(cls, value: str | None) -> str | None:
        return reject_bidi_controls(value)


class OrganisationUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: OrganisationKind | None = None
    country: str | None = None
    external_ref: str | None = None
    head_name: str | None = None
    head_email: EmailStr | None = None

    @field_validator("name", "kind", "country", mode="before")
    @classmethod
    def _required_not_null(cls, value: object, info: ValidationInfo) -> object:
        return reject_null(value, info.field_name or "field")

    @field_validator("country")
    @classmethod
    def _country_is_iso(cls, value: str | None) -> str | None:
        return None if value is None else validate_country(value)

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("name must not be blank")
        return None if value is None else value.strip()

    @field_validator("name", "head_name")
    @classmethod
    def _no_bidi_controls(cls, value: str | None) -> str | None:
        return reject_bidi_controls(value)


class OrganisationPublic(OrganisationBase):
    id: int
    owner_id: int | None = None
    head_email: str | None = None
    created_at: datetime
