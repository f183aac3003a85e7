"""Turn a campaign's chasing policy into the plan a workflow runs for one invitation."""

from __future__ import annotations

from datetime import date, datetime

from models.campaign import Campaign
from models.contact import Contact
from services.campaigns import effective_policy
from workflows.chasing import ChasePlan, LadderStep, deadline_moment
from workflows.quiet_hours import QuietWindow


def chase_plan(
    campaign: Campaign, contact: Contact, *, started_at: datetime, deadline: date | None
) -> ChasePlan:
    """The plan for chasing this contact from `started_at` until the deadline."""
    policy = effective_policy(campaign)
    contact_zone = contact.timezone or campaign.timezone
    quiet = policy.quiet_hours
    return ChasePlan(
        started_at=started_at,
        deadline_at=deadline_moment(deadline.isoformat() if deadline else None, campaign.timezone),
        reminder_days=list(policy.reminder_days),
        reminder_days_before_deadline=list(policy.reminder_days_before_deadline),
        ladder=[LadderStep(level.after_days, str(level.recipient)) for level in policy.ladder or []],
        quiet=QuietWindow(
            enabled=quiet.enabled,
            start=quiet.start.strftime("%H:%M"),
            end=quiet.end.strftime("%H:%M"),
            weekend=list(quiet.weekend),
        ),
        timezones={
            "contact": contact_zone,
            "escalation_contact": contact_zone,
            "coordinator": campaign.timezone,
            "focal_point": campaign.timezone,
        },
    )
