"""What an action plan version says: its measures, their milestones and indicators.

A version is one immutable document read whole (the plan page, the public page, a cycle's
report form), so it is kept as JSON beside its hash, as a pledge version keeps its commitments;
readings and milestone updates refer to its keys, which stay stable from version to version.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, field_validator, model_validator
from pydantic import Field as PydanticField

from models.arusha import ArushaFactor
from models.uncac import UncacProvision

KEY = r"^[A-Za-z0-9_.-]+$"


class Direction(StrEnum):
    """Which way an indicator improves."""

    higher_is_better = "higher_is_better"
    lower_is_better = "lower_is_better"

    @classmethod
    def parse(cls, value: str) -> Direction:
        """Accept the slug or "higher"/"lower" (as a spreadsheet says it)."""
        cleaned = value.strip().lower().replace(" ", "_")
        for direction in cls:
            if cleaned in {direction.value, direction.value.split("_")[0]}:
                return direction
        raise ValueError(f"'{value}' is not a direction: write 'higher' or 'lower' (which is better)")


class Target(BaseModel):
    """The value an indicator should reach by a date (the end of a year, or of the plan)."""

    by: date
    value: float


class Indicator(BaseModel):
    key: str = PydanticField(min_length=1, max_length=40, pattern=KEY)
    name: str = PydanticField(min_length=1, max_length=300)
    unit: str = PydanticField(default="", max_length=60, description="%, days, cases, ...")
    direction: Direction = Direction.higher_is_better
    baseline_value: float
    baseline_on: date
    targets: list[Target] = PydanticField(min_length=1)
    source: str = PydanticField(default="", max_length=500, description="Where the measured value comes from")

    @field_validator("direction", mode="before")
    @classmethod
    def _parse_direction(cls, value: Any) -> Any:
        return Direction.parse(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _targets_after_baseline(self) -> Indicator:
        self.targets.sort(key=lambda target: target.by)
        for target in self.targets:
            if target.by <= self.baseline_on:
                raise ValueError(
                    f"indicator {self.key}: the target for {target.by} is not after "
                    f"the baseline ({self.baseline_on})"
                )
        if len({t.by for t in self.targets}) != len(self.targets):
            raise ValueError(f"indicator {self.key}: two targets for the same date")
        return self

    def final_target(self) -> Target:
        return self.targets[-1]


class Milestone(BaseModel):
    key: str = PydanticField(min_length=1, max_length=40, pattern=KEY)
    title: str = PydanticField(min_length=1, max_length=300)
    due_on: date
    deliverable: str = PydanticField(default="", max_length=1000)


class Measure(BaseModel):
    key: str = PydanticField(min_length=1, max_length=40, pattern=KEY)
    title: str = PydanticField(min_length=1, max_length=300)
    description: str = PydanticField(default="", max_length=4000)
    factors: list[ArushaFactor] = PydanticField(min_length=1)
    uncac: list[UncacProvision] = PydanticField(default_factory=list)
    responsible_unit: str = PydanticField(default="", max_length=300)
    starts_on: date
    ends_on: date
    milestones: list[Milestone] = PydanticField(default_factory=list)
    indicators: list[Indicator] = PydanticField(default_factory=list)

    @field_validator("factors", mode="before")
    @classmethod
    def _parse_factors(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [ArushaFactor.parse(v) if isinstance(v, str | int) else v for v in value]
        return value

    @field_validator("uncac", mode="before")
    @classmethod
    def _parse_uncac(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [UncacProvision.parse(v) if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _dates_in_order(self) -> Measure:
        if self.ends_on < self.starts_on:
            raise ValueError(f"measure {self.key}: ends ({self.ends_on}) before it starts ({self.starts_on})")
        return self


class PlanContent(BaseModel):
    """The measures of one version of a plan; keys are unique across the whole plan."""

    measures: list[Measure] = PydanticField(min_length=1)

    @model_validator(mode="after")
    def _keys_unique(self) -> PlanContent:
        seen: set[str] = set()
        for key in self.all_keys():
            if key in seen:
                raise ValueError(
                    f"the key '{key}' is used twice; every measure, milestone and indicator needs its own"
                )
            seen.add(key)
        return self

    def all_keys(self) -> list[str]:
        keys = []
        for measure in self.measures:
            keys.append(measure.key)
            keys += [m.key for m in measure.milestones]
            keys += [i.key for i in measure.indicators]
        return keys

    def indicators(self) -> list[tuple[Measure, Indicator]]:
        return [(measure, indicator) for measure in self.measures for indicator in measure.indicators]

    def milestones(self) -> list[tuple[Measure, Milestone]]:
        return [(measure, milestone) for measure in self.measures for milestone in measure.milestones]

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def sha256(self) -> str:
        """The hash of the canonical JSON: what the audit chain and the public page cite."""
        canonical = json.dumps(self.as_json(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()
