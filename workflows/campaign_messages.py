"""What CampaignWorkflow takes, returns, queries and carries over: plain dataclasses.

Outside the workflow module for the same reason as workflows/pledge_messages.py: the sandbox
proxies `datetime`, so dataclasses with datetime fields must be imported through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from workflows.quorum import GroupRule


@dataclass
class InvitationRange:
    first_id: int
    last_id: int
    count: int


@dataclass
class Member:
    """One invited organisation as the campaign workflow tracks it."""

    organisation_id: int
    kind: str
    invitation_id: int
    status: str = "invited"  # invited, undeliverable, signed, declined, ...


@dataclass
class LifecycleEvent:
    """Who did what to the campaign, and when."""

    action: str
    actor: str
    at: datetime
    detail: str = ""


@dataclass
class CampaignState:
    """What survives continue-as-new; every field has a default so old payloads decode."""

    planned: bool = False
    ranges: list[InvitationRange] = field(default_factory=list)
    next_range: int = 0
    members: list[Member] = field(default_factory=list)
    delegated: int = 0
    status: str = "launched"  # launched, in_force, closed, cancelled
    rules: list[GroupRule] = field(default_factory=list)
    timezone: str = "UTC"
    in_force_at: datetime | None = None
    notices: list[str] = field(default_factory=list)  # notices already sent, e.g. "brokers:33"
    quorum_broken: bool = False
    history: list[LifecycleEvent] = field(default_factory=list)
    review_cycle_opened: int = 0  # the last review cycle a coordinator opened ahead of its date


@dataclass
class CampaignInput:
    campaign_id: int
    task_queue: str = "pledgeflow"
    email_task_queue: str = "pledgeflow-email"
    state: CampaignState | None = None


@dataclass
class GroupProgress:
    name: str
    rule: str
    members: int
    signed: int
    target: int
    met: bool
    impossible: bool


@dataclass
class CampaignProgress:
    campaign_id: int
    status: str
    launch_complete: bool
    invitations_planned: int
    invited: int
    signed: int
    declined: int
    delegated: int
    undeliverable: int
    open: int
    withdrawn: int = 0
    expired: int = 0
    in_force_at: datetime | None = None
    quorum_broken: bool = False
    groups: list[GroupProgress] = field(default_factory=list)


@dataclass
class AddInvitees:
    organisation_ids: list[int]
    contact_ids: list[int | None]
    actor: str


@dataclass
class AddInviteesResult:
    invitations: int


@dataclass
class ExtendDeadline:
    deadline: str  # ISO date, in the campaign's time zone
    actor: str
    notify: bool = True  # False: the deadline moves and no one is emailed


@dataclass
class RemindNow:
    """Remind now: the named open invitations, or every open one (None)."""

    actor: str
    invitation_ids: list[int] | None = None
    # One per request: the reminders' Message-IDs derive from it, so a retry sends nothing twice.
    request_id: str = ""


@dataclass
class RemindNowResult:
    reminded: int


@dataclass
class OpenReviewCycle:
    """Open the next review cycle of every signatory now, instead of at its date."""

    actor: str


@dataclass
class EndCampaign:
    actor: str
    reason: str = ""
