"""The audit checkpoint: a Temporal Schedule emails the chain's head hash to every auditor."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from models.audit import AuditEntry
from pledgeflow import orchestration
from pledgeflow.db import session_scope
from services import audit
from tests import factories
from tests.helpers import eventually, running_workers

pytestmark = pytest.mark.devserver


async def test_the_schedule_emails_the_head_hash_and_a_break(dev_env, settings, db, mailbox):
    factories.campaign_with_invitees(db, count=2)
    _, _ = factories.coordinator(db, email="auditor-one@oversight.example", role=factories.Role.auditor)
    _, _ = factories.coordinator(db, email="auditor-two@oversight.example", role=factories.Role.auditor)
    async with running_workers(dev_env.client, settings, db):
        await orchestration.ensure_checkpoint_schedule(dev_env.client, settings)
        await orchestration.ensure_checkpoint_schedule(dev_env.client, settings)  # idempotent
        schedule = dev_env.client.get_schedule_handle(orchestration.CHECKPOINT_SCHEDULE_ID)
        described = await schedule.describe()
        assert (
            described.schedule.spec.intervals[0].every.total_seconds()
            == settings.audit_checkpoint_hours * 3600
        )
        with Session(db) as session:
            head = audit.verify(session)
        await schedule.trigger()
        mails = await mailbox.wait_for_async(2, subject_contains="Audit checkpoint")
        assert sorted(r for m in mails for r in m.recipients) == [
            "auditor-one@oversight.example",
            "auditor-two@oversight.example",
        ]
        assert head.head_hash in mails[0].text and f"entry {head.head_seq}" in mails[0].subject

        async def checkpoints():
            with Session(db) as session:
                return session.exec(select(AuditEntry).where(AuditEntry.kind == "audit.checkpoint")).all()

        [recorded] = await eventually(checkpoints, lambda rows: len(rows) == 1)
        assert recorded.data["head_hash"] == head.head_hash

        with session_scope(db) as session:
            entry = session.exec(select(AuditEntry).where(AuditEntry.seq == 3)).one()
            entry.data = {**entry.data, "forged": True}
            session.add(entry)
        mailbox.clear()
        await schedule.trigger()
        broken = await mailbox.wait_for_async(2, subject_contains="BROKEN")
        assert "entry 3" in broken[0].subject and "altered" in broken[0].text
