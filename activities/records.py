"""Activities that write what signatories did into the records (idempotent under retry)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from temporalio import activity

from activities.errors import domain_errors_are_final
from pledgeflow.db import session_scope
from services import invitations, signatures


@dataclass
class RecordSignatureInput:
    invitation_id: int
    receipt_id: str
    signer_name: str
    signer_title: str
    signed_at: datetime
    publish_name: bool = False
    ip: str | None = None
    user_agent: str | None = None


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


class RecordActivities:
    """Database writes for signature, decline and delegation."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _record_signature(self, request: RecordSignatureInput) -> RecordSignatureResult:
        with session_scope(self._engine) as session:
            signature = signatures.record(
                session,
                invitation_id=request.invitation_id,
                receipt_id=request.receipt_id,
                signer_name=request.signer_name,
                signer_title=request.signer_title,
                publish_name=request.publish_name,
                signed_at=request.signed_at,
                ip=request.ip,
                user_agent=request.user_agent,
            )
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
            return DelegateInvitationResult(successor.id or 0, successor.contact_id)

    @activity.defn(name="delegate_invitation")
    @domain_errors_are_final
    async def delegate_invitation(self, request: DelegateInvitationInput) -> DelegateInvitationResult:
        """Close the old invitation and open one for the colleague."""
        return await asyncio.to_thread(self._delegate, request)
