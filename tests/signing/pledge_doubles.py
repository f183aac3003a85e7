"""Stand-ins for what PledgeWorkflow calls: activities under their real names, and a campaign.

Registered on a time-skipping worker, they let the state machine run in milliseconds with no
database and no SMTP server. Each double records what it was asked, so a test can assert on
the calls as well as on the workflow's query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from activities.email import SendEmailInput, SendEmailResult
    from activities.records import (
        DelegateInvitationInput,
        DelegateInvitationResult,
        InvitationEvent,
        RecordDeclineInput,
        RecordEscalationInput,
        RecordEscalationResult,
    )
    from activities.signing import CompleteSignatureInput
    from workflows.pledge_messages import MemberChange

SUCCESSOR_ID = 900


@dataclass
class Call:
    """One activity call a double received."""

    name: str
    request: Any


@dataclass
class PledgeActivityDoubles:
    """Every activity PledgeWorkflow runs before a review cycle, answering as the real ones would."""

    calls: list[Call] = field(default_factory=list)

    def named(self, name: str) -> list[Any]:
        """The requests of every call to one activity, in order."""
        return [c.request for c in self.calls if c.name == name]

    def emails(self) -> list[str]:
        """The kinds of email sent, in order."""
        return [str(r.kind) for r in self.named("send_email")]

    def activities(self) -> list[Any]:
        """The doubles, for a worker."""
        return [
            self.send_email,
            self.complete_signature,
            self.record_decline,
            self.delegate_invitation,
            self.record_escalation,
            self.expire_invitation,
            self.reopen_invitation,
            self.set_invitation_deadline,
            self.record_withdrawal,
            self.close_invitation,
        ]

    @activity.defn(name="send_email")
    async def send_email(self, request: SendEmailInput) -> SendEmailResult:
        self.calls.append(Call("send_email", request))
        return SendEmailResult(message_id=f"<{request.step}@test>", outcome="accepted")

    @activity.defn(name="complete_signature")
    async def complete_signature(self, request: CompleteSignatureInput) -> str:
        self.calls.append(Call("complete_signature", request))
        return request.signature.receipt_id

    @activity.defn(name="record_decline")
    async def record_decline(self, request: RecordDeclineInput) -> None:
        self.calls.append(Call("record_decline", request))

    @activity.defn(name="delegate_invitation")
    async def delegate_invitation(self, request: DelegateInvitationInput) -> DelegateInvitationResult:
        self.calls.append(Call("delegate_invitation", request))
        return DelegateInvitationResult(invitation_id=SUCCESSOR_ID, contact_id=1, contact_timezone="UTC")

    @activity.defn(name="record_escalation")
    async def record_escalation(self, request: RecordEscalationInput) -> RecordEscalationResult:
        self.calls.append(Call("record_escalation", request))
        return RecordEscalationResult(
            escalation_id=100 + request.level, recipient_role=request.role, recipient_email="x@test.example"
        )

    @activity.defn(name="expire_invitation")
    async def expire_invitation(self, request: InvitationEvent) -> None:
        self.calls.append(Call("expire_invitation", request))

    @activity.defn(name="reopen_invitation")
    async def reopen_invitation(self, request: InvitationEvent) -> None:
        self.calls.append(Call("reopen_invitation", request))

    @activity.defn(name="set_invitation_deadline")
    async def set_invitation_deadline(self, request: InvitationEvent) -> None:
        self.calls.append(Call("set_invitation_deadline", request))

    @activity.defn(name="record_withdrawal")
    async def record_withdrawal(self, request: InvitationEvent) -> None:
        self.calls.append(Call("record_withdrawal", request))

    @activity.defn(name="close_invitation")
    async def close_invitation(self, request: InvitationEvent) -> None:
        self.calls.append(Call("close_invitation", request))


@workflow.defn(name="CampaignWorkflow")
class CampaignListener:
    """Stands in for the campaign: keeps what the pledge told it."""

    def __init__(self) -> None:
        self._changes: list[MemberChange] = []

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.signal
    def member_changed(self, change: MemberChange) -> None:
        self._changes.append(change)

    @workflow.query
    def changes(self) -> list[MemberChange]:
        return list(self._changes)
