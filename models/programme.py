"""Programmes (for example the WCO's A-CIP programme) and the countries they serve."""

from __future__ import annotations

from datetime import datetime

from pydantic import field_validator
from sqlmodel import Field, SQLModel, UniqueConstraint

from models.common import UTCDateTime, reject_bidi_controls, utcnow, validate_country


class ProgrammeBase(SQLModel):
    slug: str = Field(
        min_length=2, max_length=60, regex=r"^[a-z0-9][a-z0-9-]*$", description="In URLs: a-cip"
    )
    name: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=4000)
    # The open-data export's licence (SPDX identifier or URL): what others may do with the figures.
    licence: str = Field(default="CC-BY-4.0", min_length=1, max_length=200)
    # How far (percent of the way from baseline to target) a value may trail the planned path and
    # still be "on track"; twice that is "at risk", beyond it "off track" (services/plans/progress.py).
    tolerance_percent: int = Field(default=10, ge=0, le=100)

    @field_validator("name", "description")
    @classmethod
    def _no_bidi(cls, value: str) -> str:
        return reject_bidi_controls(value) or value


class Programme(ProgrammeBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(min_length=2, max_length=60, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProgrammeCountry(SQLModel, table=True):
    """A beneficiary country of a programme."""

    __tablename__ = "programme_country"
    __table_args__ = (UniqueConstraint("programme_id", "country", name="uq_programme_country"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2 code")

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        return validate_country(value)


class ProgrammeCreate(ProgrammeBase):
    countries: list[str] = Field(default_factory=list, description="ISO 3166-1 alpha-2 codes")

    @field_validator("countries")
    @classmethod
    def _countries(cls, value: list[str]) -> list[str]:
        return sorted({validate_country(code) for code in value})
