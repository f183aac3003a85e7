"""The set-up steps for chasing (the ChasePolicy) and reviews (the ReviewSettings).

Both pages show the values a campaign runs with, the defaults when it has set none, and save
the whole policy or settings with the API's PATCH."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData

from api.console.campaign_form_fields import (
    Values,
    checked,
    numbers,
    row_count,
    row_indexes,
    text,
    without_row,
)
from api.console.campaign_form_steps import update
from models.campaign import Campaign
from models.policy import ChasePolicy, RecipientRole
from models.review import ReviewSettings
from models.user import User
from pledgeflow.i18n import N_
from services import campaigns

WEEKDAYS = [
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
]

# The ladder's recipients in the words the default ladder's checkbox uses.
RECIPIENT_LABELS = {
    RecipientRole.contact: N_("the contact"),
    RecipientRole.escalation_contact: N_("the contact's supervisor (or the head of the organisation)"),
    RecipientRole.coordinator: N_("the coordinator"),
    RecipientRole.focal_point: N_("the regional focal point"),
}


def _days(values: list[int]) -> str:
    return ", ".join(str(d) for d in values)


@dataclass
class ChasingStep:
    key: str = "chasing"
    template: str = "console/campaigns/form/chasing.html"

    def load(self, session: Session, campaign: Campaign) -> Values:
        stored = ChasePolicy.model_validate(campaign.policy or {})
        policy = campaigns.effective_policy(campaign)
        quiet = policy.quiet_hours
        values: Values = {
            "policy.reminder_days": _days(policy.reminder_days),
            "policy.reminder_days_before_deadline": _days(policy.reminder_days_before_deadline),
            "policy.default_ladder": ["yes"] if stored.ladder is None else [],
            "policy.quiet_hours.enabled": ["yes"] if quiet.enabled else [],
            "policy.quiet_hours.start": quiet.start.strftime("%H:%M"),
            "policy.quiet_hours.end": quiet.end.strftime("%H:%M"),
            "policy.quiet_hours.weekend": [str(d) for d in quiet.weekend],
        }
        for i, level in enumerate(policy.ladder or []):
            values.update(_level(i, str(level.after_days), level.recipient.value if level.recipient else ""))
        return values

    def read(self, form: FormData) -> Values:
        values: Values = {
            name: text(form, name)
            for name in (
                "policy.reminder_days",
                "policy.reminder_days_before_deadline",
                "policy.quiet_hours.start",
                "policy.quiet_hours.end",
            )
        }
        for name in ("policy.default_ladder", "policy.quiet_hours.enabled", "policy.quiet_hours.weekend"):
            values[name] = checked(form, name)
        for new, old in enumerate(row_indexes(form, "policy.ladder", "after_days")):
            p = f"policy.ladder.{old}."
            values.update(_level(new, text(form, p + "after_days"), text(form, p + "recipient")))
        return values

    def edit(self, values: Values, action: str) -> Values | None:
        rows = row_count(values, "policy.ladder", "after_days")
        if action == "add":
            return {**values, **_level(rows, "", ""), "policy.default_ladder": []}
        if action.startswith("remove-"):
            edited = without_row(values, "policy.ladder", int(action.removeprefix("remove-")), rows)
            return {**edited, "policy.default_ladder": []}
        return None

    def save(self, session: Session, campaign: Campaign, values: Values, actor: str) -> None:
        ladder = None
        if not values["policy.default_ladder"]:
            ladder = [
                {
                    "after_days": values[f"policy.ladder.{i}.after_days"],
                    "recipient": values[f"policy.ladder.{i}.recipient"] or None,
                }
                for i in range(row_count(values, "policy.ladder", "after_days"))
            ]
        policy = {
            "reminder_days": numbers(values["policy.reminder_days"]),
            "reminder_days_before_deadline": numbers(values["policy.reminder_days_before_deadline"]),
            "ladder": ladder,
            "quiet_hours": {
                "enabled": bool(values["policy.quiet_hours.enabled"]),
                "start": values["policy.quiet_hours.start"],
                "end": values["policy.quiet_hours.end"],
                "weekend": values["policy.quiet_hours.weekend"],
            },
        }
        update(session, campaign, {"policy": policy}, actor)

    def extras(
        self, session: Session, user: User, campaign: Campaign | None, values: Values
    ) -> dict[str, Any]:
        return {
            "rows": row_count(values, "policy.ladder", "after_days"),
            "recipients": [("", "—"), *[(r.value, RECIPIENT_LABELS[r]) for r in RecipientRole]],
            "weekdays": [(str(i), day) for i, day in enumerate(WEEKDAYS)],
        }


def _level(i: int, after_days: str, recipient: str) -> Values:
    p = f"policy.ladder.{i}."
    return {p + "after_days": after_days, p + "recipient": recipient}


REVIEW_NUMBERS = ("report_due_days", "review_days", "revision_days", "grace_days", "lapse_days")


@dataclass
class ReviewsStep:
    key: str = "reviews"
    template: str = "console/campaigns/form/reviews.html"

    def load(self, session: Session, campaign: Campaign) -> Values:
        review = ReviewSettings.model_validate(campaign.review or {})
        values: Values = {f"review.{name}": str(getattr(review, name)) for name in REVIEW_NUMBERS}
        values.update(
            {
                "review.every_months": "" if review.every_months is None else str(review.every_months),
                "review.windows": "\n".join(f"{w.start} {w.end}" for w in review.windows),
                "review.reminder_days_before_due": _days(review.reminder_days_before_due),
                "review.reviewers": "\n".join(str(r) for r in review.reviewers),
                "review.template.introduction": review.template.introduction,
            }
        )
        return values

    def read(self, form: FormData) -> Values:
        names = [f"review.{n}" for n in REVIEW_NUMBERS]
        names += ["review.every_months", "review.windows", "review.reminder_days_before_due"]
        names += ["review.reviewers", "review.template.introduction"]
        return {name: text(form, name) for name in names}

    def edit(self, values: Values, action: str) -> Values | None:
        return None

    def save(self, session: Session, campaign: Campaign, values: Values, actor: str) -> None:
        stored = ReviewSettings.model_validate(campaign.review or {})
        windows = []
        for line in values["review.windows"].splitlines():
            parts = [
                p for p in re.split(r"[\s,]+", line.strip()) if p and p.lower() not in ("to", "-", "\u2013")
            ]
            if parts:
                windows.append({"start": parts[0], "end": parts[1] if len(parts) > 1 else ""})
        review: dict[str, Any] = {f"{name}": values[f"review.{name}"] for name in REVIEW_NUMBERS}
        review.update(
            {
                "every_months": values["review.every_months"] or None,
                "windows": windows,
                "reminder_days_before_due": numbers(values["review.reminder_days_before_due"]),
                "reviewers": [r.strip() for r in values["review.reviewers"].splitlines() if r.strip()],
                # The rest of the report template (prompts, files) is set through the API.
                "template": {
                    **stored.template.model_dump(mode="json"),
                    "introduction": values["review.template.introduction"],
                },
            }
        )
        update(session, campaign, {"review": review}, actor)

    def extras(
        self, session: Session, user: User, campaign: Campaign | None, values: Values
    ) -> dict[str, Any]:
        return {
            "cadences": [
                ("3", N_("Every 3 months")),
                ("6", N_("Every 6 months")),
                ("12", N_("Every 12 months")),
                ("", N_("In the calendar windows below")),
            ]
        }
