"""A commitment of a pledge: its key, its text and the Arusha key factors it serves."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, field_validator
from pydantic import Field as PydanticField

from models.arusha import ArushaFactor


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
