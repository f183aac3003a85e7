"""Quorum rules: when does a collective-action pact come in force? Pure, deterministic code."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

SIGNED = "signed"
# Answers after which a member will not sign (an expired invitation may be reopened, and counts
# again when it is).
LOST = frozenset({"declined", "withdrawn", "undeliverable", "expired"})


@dataclass
class GroupRule:
    """A stakeholder group and its rule; every field has a default so old payloads decode."""

    name: str = ""
    kinds: list[str] = field(default_factory=list)  # members by organisation kind ...
    organisation_ids: list[int] = field(default_factory=list)  # ... or a named list
    rule: str = "all"  # "all", "at_least" (n) or "percent" (percent of those invited)
    n: int = 0
    percent: float = 0.0
    required: list[int] = field(default_factory=list)  # organisations that must sign


@dataclass
class MemberState:
    organisation_id: int
    kind: str
    status: str  # "invited", "signed", "declined", "withdrawn", "undeliverable", "expired", ...


@dataclass
class GroupStatus:
    name: str
    rule: str
    members: int
    signed: int
    lost: int
    target: int
    met: bool
    impossible: bool
    missing_required: list[int] = field(default_factory=list)

    @property
    def progress(self) -> float:
        """Signed as a share of the target (0 when the target is 0)."""
        return self.signed / self.target if self.target else 0.0


EVERYONE = GroupRule(name="all invited", rule="all")


def members_of(rule: GroupRule, members: list[MemberState]) -> list[MemberState]:
    """The members the rule counts."""
    if rule.organisation_ids:
        wanted = set(rule.organisation_ids)
        return [m for m in members if m.organisation_id in wanted]
    if rule.kinds:
        kinds = set(rule.kinds)
        return [m for m in members if m.kind in kinds]
    return list(members)


def target_of(rule: GroupRule, size: int) -> int:
    """How many signatures the rule needs from a group of this size."""
    if rule.rule == "at_least":
        return rule.n
    if rule.rule == "percent":
        return math.ceil(size * rule.percent / 100 - 1e-9)
    return size


def evaluate(rule: GroupRule, members: list[MemberState]) -> GroupStatus:
    """Where one group stands."""
    group = members_of(rule, members)
    signed = {m.organisation_id for m in group if m.status == SIGNED}
    lost = {m.organisation_id for m in group if m.status in LOST}
    target = target_of(rule, len(group))
    missing = [o for o in rule.required if o not in signed]
    required_lost = any(o in lost for o in rule.required) or any(
        o not in {m.organisation_id for m in group} for o in rule.required
    )
    met = bool(group) and len(signed) >= target and not missing
    impossible = not met and (len(group) - len(lost) < target or required_lost or not group)
    return GroupStatus(
        name=rule.name,
        rule=rule.rule,
        members=len(group),
        signed=len(signed),
        lost=len(lost),
        target=target,
        met=met,
        impossible=impossible,
        missing_required=missing,
    )


def evaluate_all(rules: list[GroupRule], members: list[MemberState]) -> list[GroupStatus]:
    """Every group's standing; a campaign without rules needs everyone invited."""
    return [evaluate(rule, members) for rule in (rules or [EVERYONE])]


def pact_holds(statuses: list[GroupStatus]) -> bool:
    """True when every group's rule is met."""
    return all(s.met for s in statuses)


def progress_marks(status: GroupStatus, marks: tuple[int, ...] = (33, 66)) -> list[int]:
    """The progress notices (in percent of the target) a group has reached."""
    return [mark for mark in marks if status.target and status.signed * 100 >= mark * status.target]
