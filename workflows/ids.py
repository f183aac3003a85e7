"""Deterministic workflow ids, so a second launch or a retry never starts a twin."""

from __future__ import annotations


def campaign_workflow_id(campaign_id: int) -> str:
    """The id of a campaign's workflow."""
    return f"campaign-{campaign_id}"


def pledge_workflow_id(campaign_id: int, organisation_id: int) -> str:
    """The id of one organisation's pledge workflow in a campaign."""
    return f"pledge-{campaign_id}-{organisation_id}"
