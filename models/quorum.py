"""Stakeholder groups and their quorum rules, as coordinators define them."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, model_validator

from models.organisation import OrganisationKind


class RuleKind(StrEnum):
    all = "all"  # every member of the group
    at_least = "at_least"  # at least n members
    percent = "percent"  # at least this share of those invited


class StakeholderGroup(BaseModel):
    """A group, by organisation kind or as a named list, with the rule that makes it join."""

    name: str = Field(min_length=1, max_length=120)
    kinds: list[OrganisationKind] = Field(default_factory=list)
    organisation_ids: list[int] = Field(default_factory=list)
    rule: RuleKind = RuleKind.all
    n: int | None = Field(default=None, description="For 'at_least'")
    percent: float | None = Field(default=None, description="For 'percent', 0 < percent <= 100")
    required: list[int] = Field(default_factory=list, description="Organisations that must sign")

    @model_validator(mode="after")
    def _consistent(self) -> StakeholderGroup:
        if bool(self.kinds) == bool(self.organisation_ids):
            raise ValueError("define the group by 'kinds' or by 'organisation_ids', exactly one of them")
        if self.rule is RuleKind.at_least and (self.n is None or self.n < 1):
            raise ValueError("rule 'at_least' needs n, how many must sign: 1 or more")
        if self.rule is RuleKind.percent and (self.percent is None or not 0 < self.percent <= 100):
            raise ValueError("rule 'percent' needs percent, the share that must sign: above 0, at most 100")
        if self.organisation_ids and len(set(self.organisation_ids)) != len(self.organisation_ids):
            raise ValueError("organisation_ids lists an organisation twice")
        if (
            self.organisation_ids
            and self.rule is RuleKind.at_least
            and (self.n or 0) > len(self.organisation_ids)
        ):
            raise ValueError(f"at least {self.n} of a list of {len(self.organisation_ids)} can never be met")
        stray = set(self.required) - set(self.organisation_ids) if self.organisation_ids else set()
        if stray:
            raise ValueError(f"required organisations {sorted(stray)} are not in the group's list")
        return self


def check_groups(groups: list[StakeholderGroup]) -> list[StakeholderGroup]:
    """Group names are unique."""
    names = [g.name for g in groups]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"group names must be unique; repeated: {', '.join(repeated)}")
    return groups
