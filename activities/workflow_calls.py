"""What activities ask of workflows: start a pledge, tell a pledge or the campaign what happened.

The implementation is `workflows.client.ActivityWorkflowCalls`, which the worker builds and
hands to the activities. Activity modules do not import the client themselves: it imports the
workflow classes, which import the activities, and that would close an import cycle.
"""

from __future__ import annotations

from typing import Any, Protocol

from workflows.pledge_messages import InvitationUndeliverable, MemberChange, PledgeBroadcast, PledgeInput


class WorkflowCalls(Protocol):
    """Each call is idempotent; a workflow that is no longer running needs nothing and is skipped."""

    async def start_pledge(self, request: PledgeInput, *, task_queue: str) -> None:
        """Start the organisation's pledge workflow once; a second start finds the first."""
        ...

    async def pledge_undeliverable(
        self, campaign_id: int, organisation_id: int, event: InvitationUndeliverable
    ) -> None:
        """Tell the pledge workflow its invitation was refused for good."""
        ...

    async def member_changed(self, campaign_id: int, change: MemberChange) -> None:
        """Tell the campaign workflow an organisation's answer changed."""
        ...

    async def signal_pledge(
        self, campaign_id: int, organisation_id: int, signal: PledgeBroadcast, payload: dict[str, Any]
    ) -> bool:
        """Send a campaign broadcast (named as the campaign's history names it); False if not running."""
        ...
