"""Chasing policy: deadline reminders, the escalation ladder and quiet hours, per campaign."""

from __future__ import annotations

import re
from datetime import date, time
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field, WithJsonSchema, field_validator, model_validator

from pledgeflow.errors import FieldProblem, InvalidInput


class RecipientRole(StrEnum):
    """Who an escalation level writes to."""

    contact = "contact"
    escalation_contact = "escalation_contact"  # the contact's supervisor or the head of the organisation
    coordinator = "coordinator"
    focal_point = "focal_point"  # the regional body's focal point


# Ten years: a reminder or a level later than that is a typo, and a number of days past what a
# datetime holds would fail the chasing workflow at launch (timedelta overflow), not the request.
MAX_POLICY_DAYS = 3660

PolicyDays = Annotated[int, Field(le=MAX_POLICY_DAYS)]


class LadderLevel(BaseModel):
    after_days: int = Field(
        le=MAX_POLICY_DAYS, description="Days after the invitation when this level is reached"
    )
    recipient: RecipientRole | None = Field(description="Who is written to at this level")


CLOCK_PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


def _clock_time(value: object) -> object:
    """A time of day without a zone (the recipient's zone applies): "HH:MM" or "HH:MM:SS"."""
    if isinstance(value, time) or (isinstance(value, str) and re.fullmatch(CLOCK_PATTERN, value)):
        return value
    raise ValueError("expected a time of day as HH:MM or HH:MM:SS, without a time zone")


# JSON Schema's "time" format demands a zone offset ("19:00:00Z"), which a local quiet hour has not:
# the schema says what the API reads and writes instead, a wall-clock time in the recipient's zone.
ClockTime = Annotated[
    time,
    BeforeValidator(_clock_time),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": CLOCK_PATTERN,
            "description": "A time of day in the recipient's zone, HH:MM or HH:MM:SS",
            "examples": ["19:00"],
        }
    ),
]


class QuietHours(BaseModel):
    """No email goes out at night or at the weekend in the recipient's time zone."""

    enabled: bool = True
    start: ClockTime = time(19, 0)
    end: ClockTime = time(8, 0)
    weekend: list[int] = Field(default_factory=lambda: [5, 6], description="0 = Monday ... 6 = Sunday")


class ChasePolicy(BaseModel):
    reminder_days: list[PolicyDays] = Field(
        default_factory=lambda: [7, 14, 21], description="Reminders, in days after the invitation"
    )
    reminder_days_before_deadline: list[PolicyDays] = Field(
        default_factory=lambda: [3], description="Reminders, in days before the deadline"
    )
    ladder: list[LadderLevel] | None = Field(
        default=None, description="Escalation levels; the campaign's default ladder when omitted"
    )
    quiet_hours: QuietHours = Field(default_factory=QuietHours)

    @field_validator("reminder_days", "reminder_days_before_deadline")
    @classmethod
    def _days_sorted(cls, value: list[int]) -> list[int]:
        return sorted(set(value))

    @model_validator(mode="after")
    def _shape(self) -> ChasePolicy:
        problems = shape_problems(self)
        if problems:
            raise ValueError("; ".join(f"{p.field}: {p.reason}" for p in problems))
        return self


def shape_problems(policy: ChasePolicy) -> list[FieldProblem]:
    """Impossible values that need nothing but the policy to spot."""
    problems: list[FieldProblem] = []
    for name in ("reminder_days", "reminder_days_before_deadline"):
        for index, days in enumerate(getattr(policy, name)):
            if days <= 0:
                problems.append(
                    FieldProblem(f"policy.{name}[{index}]", f"{days} is not a positive number of days")
                )
    previous = -1
    for index, level in enumerate(policy.ladder or []):
        where = f"policy.ladder[{index}]"
        if level.recipient is None:
            problems.append(FieldProblem(f"{where}.recipient", "a ladder level needs a recipient"))
        if level.after_days < 0:
            problems.append(FieldProblem(f"{where}.after_days", f"{level.after_days} is a negative delay"))
        elif level.after_days <= previous:
            problems.append(FieldProblem(f"{where}.after_days", "levels must come later than the one before"))
        previous = max(previous, level.after_days)
    for day in policy.quiet_hours.weekend:
        if not 0 <= day <= 6:
            problems.append(FieldProblem("policy.quiet_hours.weekend", f"{day} is not a weekday (0-6)"))
    if policy.quiet_hours.start == policy.quiet_hours.end and policy.quiet_hours.enabled:
        problems.append(
            FieldProblem("policy.quiet_hours", "start and end are equal: no hour would be allowed")
        )
    return problems


def default_ladder(*, has_focal_point: bool) -> list[LadderLevel]:
    """Contact again, their supervisor, the coordinator, then the focal point when there is one."""
    levels = [
        LadderLevel(after_days=28, recipient=RecipientRole.contact),
        LadderLevel(after_days=35, recipient=RecipientRole.escalation_contact),
        LadderLevel(after_days=42, recipient=RecipientRole.coordinator),
    ]
    if has_focal_point:
        levels.append(LadderLevel(after_days=49, recipient=RecipientRole.focal_point))
    return levels


def effective_ladder(policy: ChasePolicy, *, has_focal_point: bool) -> list[LadderLevel]:
    """The ladder the campaign runs: its own, or the default one."""
    return policy.ladder if policy.ladder is not None else default_ladder(has_focal_point=has_focal_point)


def check_policy_for_campaign(
    policy: ChasePolicy,
    *,
    deadline: date | None,
    focal_point_email: str | None,
    coordinator_email: str | None,
    today: date,
) -> None:
    """Refuse a policy that cannot run in this campaign, naming every field and why."""
    problems = shape_problems(policy)
    ladder = effective_ladder(policy, has_focal_point=bool(focal_point_email))
    for index, level in enumerate(ladder):
        where = f"policy.ladder[{index}].recipient"
        if level.recipient is RecipientRole.focal_point and not focal_point_email:
            problems.append(FieldProblem(where, "the campaign has no focal_point_email to write to"))
        if level.recipient is RecipientRole.coordinator and not coordinator_email:
            problems.append(FieldProblem(where, "the campaign has no coordinator_email to write to"))
    if deadline is not None:
        days_left = (deadline - today).days
        if days_left < 0:
            problems.append(FieldProblem("signature_deadline", f"{deadline} is in the past"))
        for index, days in enumerate(policy.reminder_days):
            if days >= days_left >= 0:
                problems.append(
                    FieldProblem(
                        f"policy.reminder_days[{index}]",
                        f"a reminder {days} days after the invitation falls after the deadline {deadline}",
                    )
                )
        for index, days in enumerate(policy.reminder_days_before_deadline):
            if days >= days_left >= 0:
                problems.append(
                    FieldProblem(
                        f"policy.reminder_days_before_deadline[{index}]",
                        f"{days} days before {deadline} is already past or today",
                    )
                )
    if problems:
        raise InvalidInput(
            f"the chasing policy cannot run: {problems[0].field}: {problems[0].reason}", errors=problems
        )
