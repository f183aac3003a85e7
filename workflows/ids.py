"""Deterministic workflow ids, so a second launch or a retry never starts a twin."""

from __future__ import annotations


def campaign_workflow_id(campaign_id: int) -> str:
    """The id of a campaign's workflow."""
    return f"campaign-{campaign_id}"


def review_workflow_id(campaign_id: int, organisation_id: int, cycle: int) -> str:
    """The id of one organisation's review cycle in a campaign."""
    return f"review-{campaign_id}-{organisation_id}-{cycle}"


def pledge_workflow_id(campaign_id: int, organisation_id: int) -> str:
    """The id of one organisation's pledge workflow in a campaign."""
    return f"pledge-{campaign_id}-{organisation_id}"
