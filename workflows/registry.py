"""Every workflow class the workers run, in one list (the worker registers it; replay reads it)."""

from __future__ import annotations

from workflows.campaign import CampaignWorkflow
from workflows.checkpoint import AuditCheckpointWorkflow
from workflows.pledge import PledgeWorkflow
from workflows.review import ReviewCycleWorkflow
from workflows.staff_mail import StaffMailWorkflow

WORKFLOWS: list[type] = [
    CampaignWorkflow,
    PledgeWorkflow,
    ReviewCycleWorkflow,
    AuditCheckpointWorkflow,
    StaffMailWorkflow,
]
