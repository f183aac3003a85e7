"""What follows a signature, in one activity: the record, the campaign's tally, the receipt.

One activity instead of three steps keeps a signature's cost near that of the update itself,
so signers queue behind as little background work as possible. Each part is idempotent: the
record is written once, the tally is set (not added), the receipt has a stable Message-ID.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from temporalio import activity

from activities.email import EmailDelivery, EmailJob
from activities.errors import domain_errors_are_final
from activities.records import RecordActivities, RecordSignatureInput
from activities.workflow_calls import WorkflowCalls
from models.email_message import EmailKind
from workflows.pledge_messages import MemberChange


@dataclass
class CompleteSignatureInput:
    signature: RecordSignatureInput
    campaign_id: int
    organisation_id: int
    workflow_id: str


class SigningActivities:
    def __init__(
        self, *, records: RecordActivities, workflows: WorkflowCalls, delivery: EmailDelivery
    ) -> None:
        self._records = records
        self._workflows = workflows
        self._delivery = delivery

    @activity.defn(name="complete_signature")
    @domain_errors_are_final
    async def complete_signature(self, request: CompleteSignatureInput) -> str:
        """Record the signature, tell the campaign, email the receipt; returns the receipt id."""
        signature = request.signature
        recorded = await asyncio.to_thread(self._records.write_signature, signature)
        # A campaign without a running workflow needs no tally.
        await self._workflows.member_changed(
            request.campaign_id,
            MemberChange(request.organisation_id, signature.invitation_id, "signed", signature.signed_at),
        )
        await self._delivery.deliver(
            [
                EmailJob(
                    kind=EmailKind.signature_confirmation,
                    message_id=self._delivery.message_id(
                        request.workflow_id, f"confirmation-{signature.invitation_id}"
                    ),
                    planned_at=_now(signature.signed_at),
                    invitation_id=signature.invitation_id,
                    campaign_id=request.campaign_id,
                )
            ]
        )
        return recorded.receipt_id


def _now(fallback: datetime) -> datetime:
    """The receipt is dated when it is sent (the activity's time), not when the signer clicked."""
    info = activity.info()
    return info.current_attempt_scheduled_time or fallback
