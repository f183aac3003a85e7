"""The audit checkpoint: verify the chain, then email its head to every auditor."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio import activity

from activities.email import EmailDelivery, EmailJob
from models.email_message import EmailKind
from models.user import Role, User
from pledgeflow.db import session_scope
from services import audit
from workflows.checkpoint_messages import CheckpointInput, CheckpointResult


class AuditActivities:
    def __init__(self, *, engine: Engine, delivery: EmailDelivery) -> None:
        self._engine = engine
        self._delivery = delivery

    def _verify(self) -> tuple[audit.ChainVerdict, list[str]]:
        with Session(self._engine) as session:
            verdict = audit.verify(session)
            auditors = list(
                session.exec(select(User.email).where(User.role == Role.auditor).order_by(User.email))
            )
        return verdict, auditors

    def _record(self, verdict: audit.ChainVerdict, auditors: list[str], at: datetime) -> None:
        with session_scope(self._engine) as session:
            audit.append(
                session,
                kind="audit.checkpoint",
                data={
                    "head_seq": verdict.head_seq,
                    "head_hash": verdict.head_hash,
                    "intact": verdict.ok,
                    "problem": verdict.problem,
                    "emailed_to": auditors,
                },
                at=at,
            )

    @activity.defn(name="email_checkpoint")
    async def email_checkpoint(self, request: CheckpointInput) -> CheckpointResult:
        """Recheck the whole chain and email the head hash (and any break) to each auditor."""
        assert request.taken_at is not None
        verdict, auditors = await asyncio.to_thread(self._verify)
        step = f"checkpoint-{verdict.head_seq}-{verdict.head_hash[:16]}"
        jobs = [
            EmailJob(
                kind=EmailKind.audit_checkpoint,
                message_id=self._delivery.message_id(
                    request.checkpoint_id or "audit-checkpoint", f"{step}-{a}"
                ),
                planned_at=request.taken_at,
                params={
                    "auditor": auditor_email,
                    "head_seq": verdict.head_seq,
                    "head_hash": verdict.head_hash,
                    "intact": verdict.ok,
                    "first_bad_seq": verdict.first_bad_seq,
                    "problem": verdict.problem or "",
                    "taken_at": request.taken_at.isoformat(timespec="seconds"),
                },
            )
            for a, auditor_email in enumerate(auditors)
        ]
        await self._delivery.deliver(jobs, heartbeat=True)
        # Recorded after the emails: the checkpoint names the head as it was when emailed.
        await asyncio.to_thread(self._record, verdict, auditors, request.taken_at)
        return CheckpointResult(
            verdict.head_seq, verdict.head_hash, verdict.ok, verdict.problem or "", auditors
        )
