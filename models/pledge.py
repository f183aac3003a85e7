"""Pledges: the versioned text that signatories commit to."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from datetime import datetime
from typing import Any

from pydantic import BaseModel, field_validator, model_validator
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel, UniqueConstraint

from models.arusha import ArushaFactor
from models.common import UTCDateTime, reject_bidi_controls, utcnow


class Commitment(BaseModel):
    """One commitment of a pledge, tagged with the Arusha key factors it serves."""

    key: str = PydanticField(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    text: str = PydanticField(min_length=1, max_length=4000)
    factors: list[ArushaFactor]

    @field_validator("factors", mode="before")
    @classmethod
    def _parse_factors(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [ArushaFactor.parse(v) if isinstance(v, str | int) else v for v in value]
        return value

    @field_validator("factors")
    @classmethod
    def _at_least_one_factor(cls, value: list[ArushaFactor]) -> list[ArushaFactor]:
        # Said in the programme's words (pydantic's "List should have at least 1 item" is not).
        if not value:
            raise ValueError("choose at least one Arusha key factor")
        return value

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("commitment text must not be blank")
        return value.strip()


class PledgeBase(SQLModel):
    title: str = Field(min_length=1, max_length=300)
    introduction: str = Field(default="", max_length=20000)


class Pledge(PledgeBase, table=True):
    __table_args__ = (UniqueConstraint("campaign_id", "version", name="uq_pledge_campaign_version"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    version: int = Field(ge=1)
    commitments: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    sha256: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    def commitment_models(self) -> list[Commitment]:
        """The stored commitments, parsed."""
        return [Commitment.model_validate(c) for c in self.commitments]


class PledgeCreate(PledgeBase):
    commitments: list[Commitment] = Field(min_length=1)

    # Here rather than on PledgeBase or Commitment, which also read stored versions back.
    @field_validator("title", "introduction")
    @classmethod
    def _no_bidi_controls(cls, value: str) -> str | None:
        return reject_bidi_controls(value)

    @field_validator("commitments")
    @classmethod
    def _commitments_no_bidi_controls(cls, value: list[Commitment]) -> list[Commitment]:
        for index, commitment in enumerate(value):
            try:
                reject_bidi_controls(commitment.text)
            except ValueError as exc:
                raise ValueError(f"commitments[{index}].text {exc}") from exc
        return value

    @model_validator(mode="after")
    def _keys_unique(self) -> PledgeCreate:
        keys = [c.key for c in self.commitments]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"commitment keys must be unique; repeated: {', '.join(duplicates)}")
        return self


class PledgePublic(PledgeBase):
    id: int
    campaign_id: int
    version: int
    commitments: list[Commitment]
    sha256: str
    created_at: datetime


def canonical_pledge_text(title: str, introduction: str, commitments: list[Commitment]) -> str:
    """The exact text whose hash identifies a pledge version: NFC, sorted keys, no spacing."""
    document = {
        "title": title,
        "introduction": introduction,
        "commitments": [
            {"key": c.key, "text": c.text, "factors": [f.value for f in c.factors]} for c in commitments
        ],
    }
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return unicodedata.normalize("NFC", text)


def pledge_sha256(title: str, introduction: str, commitments: list[Commitment]) -> str:
    """SHA-256, hex, of the canonical text."""
    canonical = canonical_pledge_text(title, introduction, commitments)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
