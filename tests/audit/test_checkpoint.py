"""The audit checkpoint: a Temporal Schedule emails the chain's head hash to every auditor."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from models.audit import AuditEntry
from pledgeflow.db import session_scope
from services import audit
from tests import factories
from tests.helpers import eventually, running_workers
from workflows import client as workflow_client
from workflows.checkpoint_messages import CheckpointResult

pytestmark = pytest.mark.devserver


async def test_the_schedule_emails_the_head_hash_and_a_break(dev_env, settings, db, mailbox):
    factories.campaign_with_invitees(db, count=2)
    _, _ = factories.coordinator(db, email="auditor-one@oversight.example", role=factories.Role.auditor)
    _, _ = factories.coordinator(db, email="auditor-two@oversight.example", role=factories.Role.auditor)
    async with running_workers(dev_env.client, settings, db):
        await workflow_client.ensure_checkpoint_schedule(dev_env.client, settings)
        await workflow_client.ensure_checkpoint_schedule(dev_env.client, settings)  # idempotent
        schedule = dev_env.client.get_schedule_handle(workflow_client.CHECKPOINT_SCHEDULE_ID)
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
        # "Checkpoint now" while the scheduled run may still be open: a run of its own, not skipped.
        await workflow_client.checkpoint_now(dev_env.client, settings)
        broken = await mailbox.wait_for_async(2, subject_contains="BROKEN")
        assert "entry 3" in broken[0].subject and "altered" in broken[0].text


async def test_two_checkpoints_pressed_back_to_back_both_email(dev_env, settings, db, mailbox):
    """The second press lands while the first run is open; both reach every auditor."""
    factories.campaign_with_invitees(db, count=1)
    _, _ = factories.coordinator(db, email="auditor-one@oversight.example", role=factories.Role.auditor)
    async with running_workers(dev_env.client, settings, db):
        first = await workflow_client.checkpoint_now(dev_env.client, settings)
        second = await workflow_client.checkpoint_now(dev_env.client, settings)
        assert first != second and first.startswith(workflow_client.MANUAL_CHECKPOINT_PREFIX)
        mails = await mailbox.wait_for_async(2, subject_contains="Audit checkpoint")
        results = [
            await dev_env.client.get_workflow_handle(w, result_type=CheckpointResult).result()
            for w in (first, second)
        ]

    assert [m.recipients for m in mails] == [["auditor-one@oversight.example"]] * 2
    assert len({m.message_id for m in mails}) == 2
    assert [(r.intact, r.auditors) for r in results] == [(True, ["auditor-one@oversight.example"])] * 2
    with Session(db) as session:
        recorded = session.exec(select(AuditEntry).where(AuditEntry.kind == "audit.checkpoint")).all()
    assert len(recorded) == 2


async def test_a_checkpoint_history_is_for_auditors_not_the_owner_of_a_campaign_of_that_number(
    dev_env, settings, db, mailbox
):
    """ "audit-checkpoint-2026-..." names no campaign: campaign 2026's coordinator gets 404."""
    import httpx
    from sqlalchemy import text

    from api.app import create_app
    from workflows.checkpoint import AuditCheckpointWorkflow
    from workflows.checkpoint_messages import CheckpointInput

    seeded = factories.campaign_with_invitees(db, count=0, with_pledge=False)
    with db.begin() as connection:  # the campaign a scheduled checkpoint's id seems to name
        connection.execute(text("UPDATE campaign SET id = 2026 WHERE id = :id"), {"id": seeded.campaign.id})
    _, auditor = factories.coordinator(db, email="auditor@oversight.example", role=factories.Role.auditor)
    _, admin = factories.coordinator(db, email="admin@wco.example", role=factories.Role.admin)
    scheduled_id = "audit-checkpoint-2026-12-01T09:00:00Z"  # as the Schedule names its runs
    async with running_workers(dev_env.client, settings, db):
        await dev_env.client.execute_workflow(
            AuditCheckpointWorkflow.run,
            CheckpointInput(email_task_queue=settings.email_task_queue),
            id=scheduled_id,
            task_queue=settings.task_queue,
        )
        manual_id = await workflow_client.checkpoint_now(dev_env.client, settings)
        await dev_env.client.get_workflow_handle(manual_id).result()

    async def connect():
        return dev_env.client

    app = create_app(settings, engine=db, connect_temporal=connect)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as api:
        for workflow_id in (scheduled_id, manual_id):
            for route in ("history", "runs", "timeline"):
                path = f"/audit/workflows/{workflow_id}/{route}"
                owner = await api.get(path, headers={"Authorization": f"Bearer {seeded.token}"})
                assert (owner.status_code, owner.headers["content-type"]) == (404, "application/problem+json")
                for token in (auditor, admin):
                    response = await api.get(path, headers={"Authorization": f"Bearer {token}"})
                    assert response.status_code == 200, (path, response.text)


async def test_checkpoint_now_through_the_api_for_coordinators_and_auditors(dev_env, settings, db, mailbox):
    """Pressed twice back to back by two people, both checkpoints reach the auditor; reviewers 403."""
    import httpx

    from api.app import create_app

    _, coordinator = factories.coordinator(db, email="amina@wco.example")
    _, auditor = factories.coordinator(db, email="auditor@oversight.example", role=factories.Role.auditor)
    _, reviewer = factories.coordinator(db, email="reviewer@wco.example", role=factories.Role.reviewer)

    async def connect():
        return dev_env.client

    app = create_app(settings, engine=db, connect_temporal=connect)
    async with (
        running_workers(dev_env.client, settings, db),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as api,
    ):
        answers = [
            await api.post("/audit/checkpoints", headers={"Authorization": f"Bearer {token}"})
            for token in (coordinator, auditor, reviewer)
        ]
        assert [a.status_code for a in answers] == [202, 202, 403]
        started = [a.json()["workflow_id"] for a in answers[:2]]
        mails = await mailbox.wait_for_async(2, subject_contains="Audit checkpoint")
        for workflow_id in started:
            await dev_env.client.get_workflow_handle(workflow_id).result()
    assert [m.recipients for m in mails] == [["auditor@oversight.example"]] * 2
    assert answers[2].headers["content-type"] == "application/problem+json"
