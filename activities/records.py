"""Activities that write what signatories did into the records (idempotent under retry)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Engine
from temporalio import activity

from activities.errors import domain_errors_are_final
from models.contact import Contact
from pledgeflow.db import session_scope
from pledgeflow.observability import metrics
from services import escalations, invitations, signatures
from workflows.pledge_messages import Signer


@dataclass
class RecordSignatureInput:
    """An activity input already in histories: the signer's facts stay flat on the wire."""

    invitation_id: int
    receipt_id: str
    signer_name: str
    signer_title: str
    signed_at: datetime
    publish_name: bool = False
    ip: str | None = None
    user_agent: str | None = None
    pledge_language: str | None = None  # added with translations: None in histories, the original

    @classmethod
    def of(
        cls, invitation_id: int, receipt_id: str, signer: Signer, signed_at: datetime
    ) -> RecordSignatureInput:
        """The input that records this signer's facts."""
        return cls(
            invitation_id=invitation_id,
            receipt_id=receipt_id,
            signer_name=signer.name,
            signer_title=signer.title,
            signed_at=signed_at,
            publish_name=signer.publish_name,
            ip=signer.ip,
            user_agent=signer.user_agent,
            pledge_language=signer.pledge_language,
        )

    @property
    def signer(self) -> Signer:
        """The signer's facts this input carries."""
        return Signer(
            self.signer_name,
            self.signer_title,
            self.publish_name,
            self.ip,
            self.user_agent,
            self.pledge_language,
        )


@dataclass
class RecordSignatureResult:
    receipt_id: str
    signature_id: int


@dataclass
class RecordDeclineInput:
    invitation_id: int
    reason: str
    declined_at: datetime


@dataclass
class DelegateInvitationInput:
    invitation_id: int
    name: str
    email: str
    delegated_at: datetime
    title: str | None = None
    locale: str = "en"


@dataclass
class DelegateInvitationResult:
    invitation_id: int
    contact_id: int
    contact_timezone: str = ""


@dataclass
class RecordEscalationInput:
    invitation_id: int
    level: int
    role: str
    workflow_id: str
    at: datetime
    last_level: bool = False
    subject: str = ""  # "report:7" for a report's ladder; the invitation's when empty


@dataclass
class RecordEscalationResult:
    escalation_id: int
    recipient_role: str
    recipient_email: str


@dataclass
class InvitationEvent:
    """An invitation-level change made by a workflow, with who asked for it."""

    invitation_id: int
    at: datetime
    deadline: str = ""  # ISO date, for reopen and extension
    reason: str = ""
    actor: str = "system"
    after_in_force: bool = False


class RecordActivities:
    """Database writes for signature, decline and delegation."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def write_signature(self, request: RecordSignatureInput) -> RecordSignatureResult:
        """Write the signature record once (blocking; for activities that combine steps)."""
        return self._record_signature(request)

    def _record_signature(self, request: RecordSignatureInput) -> RecordSignatureResult:
        with session_scope(self._engine) as session:
            first_time = signatures.for_invitation(session, request.invitation_id) is None
            signature = signatures.record(
                session,
                invitation_id=request.invitation_id,
                receipt_id=request.receipt_id,
                signer=request.signer,
                signed_at=request.signed_at,
            )
        if first_time:
            metrics.signature_recorded()
        return RecordSignatureResult(signature.receipt_id, signature.id or 0)

    @activity.defn(name="record_signature")
    @domain_errors_are_final
    async def record_signature(self, request: RecordSignatureInput) -> RecordSignatureResult:
        """Write the signature record once; a retry returns the first one."""
        return await asyncio.to_thread(self._record_signature, request)

    def _record_decline(self, request: RecordDeclineInput) -> None:
        with session_scope(self._engine) as session:
            invitations.record_decline(
                session, invitation_id=request.invitation_id, reason=request.reason, at=request.declined_at
            )

    @activity.defn(name="record_decline")
    @domain_errors_are_final
    async def record_decline(self, request: RecordDeclineInput) -> None:
        """Mark the invitation declined with its reason."""
        await asyncio.to_thread(self._record_decline, request)

    def _delegate(self, request: DelegateInvitationInput) -> DelegateInvitationResult:
        with session_scope(self._engine) as session:
            successor = invitations.delegate(
                session,
                invitation_id=request.invitation_id,
                name=request.name,
                email=request.email,
                title=request.title,
                locale=request.locale,
                at=request.delegated_at,
            )
            contact = session.get(Contact, successor.contact_id)
            zone = (contact.timezone if contact else None) or ""
            return DelegateInvitationResult(successor.id or 0, successor.contact_id, zone)

    @activity.defn(name="delegate_invitation")
    @domain_errors_are_final
    async def delegate_invitation(self, request: DelegateInvitationInput) -> DelegateInvitationResult:
        """Close the old invitation and open one for the colleague."""
        return await asyncio.to_thread(self._delegate, request)

    def _record_escalation(self, request: RecordEscalationInput) -> RecordEscalationResult:
        with session_scope(self._engine) as session:
            row = escalations.record(
                session,
                invitation_id=request.invitation_id,
                level=request.level,
                role=request.role,
                workflow_id=request.workflow_id,
                last_level=request.last_level,
                at=request.at,
                subject=request.subject,
            )
            return RecordEscalationResult(row.id or 0, row.recipient_role, row.recipient_email)

    @activity.defn(name="record_escalation")
    @domain_errors_are_final
    async def record_escalation(self, request: RecordEscalationInput) -> RecordEscalationResult:
        """Record a ladder level once, resolving who it goes to."""
        return await asyncio.to_thread(self._record_escalation, request)

    def _invitation_event(self, name: str, request: InvitationEvent) -> None:
        with session_scope(self._engine) as session:
            if name == "expire":
                invitations.expire(session, invitation_id=request.invitation_id, at=request.at)
            elif name == "reopen":
                invitations.reopen(
                    session,
                    invitation_id=request.invitation_id,
                    deadline=date.fromisoformat(request.deadline),
                    actor=request.actor,
                    at=request.at,
                )
            elif name == "set_deadline":
                invitations.set_deadline(
                    session,
                    invitation_id=request.invitation_id,
                    deadline=date.fromisoformat(request.deadline),
                    actor=request.actor,
                    at=request.at,
                )
            elif name == "withdraw":
                signatures.withdraw(
                    session,
                    invitation_id=request.invitation_id,
                    reason=request.reason,
                    at=request.at,
                    after_in_force=request.after_in_force,
                )
            elif name == "close":
                invitations.close_unanswered(session, invitation_id=request.invitation_id, at=request.at)
            else:  # pragma: no cover - a programming error
                raise ValueError(f"unknown invitation event {name}")

    @activity.defn(name="expire_invitation")
    @domain_errors_are_final
    async def expire_invitation(self, request: InvitationEvent) -> None:
        """The deadline passed unanswered."""
        await asyncio.to_thread(self._invitation_event, "expire", request)

    @activity.defn(name="reopen_invitation")
    @domain_errors_are_final
    async def reopen_invitation(self, request: InvitationEvent) -> None:
        """An expired invitation is open again until a new deadline."""
        await asyncio.to_thread(self._invitation_event, "reopen", request)

    @activity.defn(name="set_invitation_deadline")
    @domain_errors_are_final
    async def set_invitation_deadline(self, request: InvitationEvent) -> None:
        """One organisation's deadline is extended."""
        await asyncio.to_thread(self._invitation_event, "set_deadline", request)

    @activity.defn(name="record_withdrawal")
    @domain_errors_are_final
    async def record_withdrawal(self, request: InvitationEvent) -> None:
        """A signatory withdrew its signature, with a reason."""
        await asyncio.to_thread(self._invitation_event, "withdraw", request)

    @activity.defn(name="close_invitation")
    @domain_errors_are_final
    async def close_invitation(self, request: InvitationEvent) -> None:
        """The campaign ended before the invitation was answered."""
        await asyncio.to_thread(self._invitation_event, "close", request)

    def activities(self) -> list[Callable[..., Any]]:
        """Every activity of this class, for the worker."""
        return [
            self.record_signature,
            self.record_decline,
            self.delegate_invitation,
            self.record_escalation,
            self.expire_invitation,
            self.reopen_invitation,
            self.set_invitation_deadline,
            self.record_withdrawal,
            self.close_invitation,
        ]
