"""The coordinator's actions from the command line, against the real workers and servers."""

from __future__ import annotations

import asyncio
import json

import pytest
from typer.testing import CliRunner

from pledgeflow.cli.main import app
from pledgeflow.config import get_settings
from pledgeflow.db import get_engine
from tests import factories
from tests.helpers import eventually, running_workers
from workflows.pledge import PledgeWorkflow
from workflows.pledge_messages import DeclineRequest


@pytest.fixture
def cli_env(monkeypatch, ts_env, settings, database_url, db):
    monkeypatch.setenv("PLEDGEFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("PLEDGEFLOW_TEMPORAL_ADDRESS", ts_env.client.service_client.config.target_host)
    monkeypatch.setenv("PLEDGEFLOW_TASK_QUEUE", settings.task_queue)
    monkeypatch.setenv("PLEDGEFLOW_EMAIL_TASK_QUEUE", settings.email_task_queue)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield
    get_settings.cache_clear()
    get_engine.cache_clear()


async def cli(*args: str) -> tuple[int, str]:
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args))
    return result.exit_code, result.output


async def test_launch_follow_and_cancel_from_the_command_line(cli_env, ts_env, settings, db, mailbox):
    seeded = factories.campaign_with_invitees(db, count=2)
    extra = factories.campaign_with_invitees(db, count=1, prefix="Late ")
    cid = str(seeded.campaign.id)
    async with running_workers(ts_env.client, settings, db):
        code, out = await cli("campaign", "launch", cid)
        assert code == 0, out
        await mailbox.wait_for_async(2)
        code, out = await cli("campaign", "add-invitees", cid, str(extra.organisations[0].id))
        assert code == 0 and "invited 1" in out, out
        await mailbox.wait_for_async(1, to=extra.contacts[0].email)

        async def progress():
            code, out = await cli("campaign", "progress", cid)
            assert code == 0, out
            return json.loads(out)

        await eventually(progress, lambda p: p["invited"] == 3)
        code, out = await cli("campaign", "extend-deadline", cid, "not-a-date")
        assert code == 2 and "YYYY-MM-DD" in out
        code, out = await cli("campaign", "extend-deadline", cid, "2020-01-01")  # the API's rule
        assert code == 2 and "not in the future" in out, out
        await eventually(
            lambda: asyncio.to_thread(_invitation_statuses, db, seeded.campaign.id),
            lambda statuses: statuses == ["sent", "sent", "sent"],
        )
        code, out = await cli("campaign", "remind", cid, "--", str(seeded.invitations[0].id))
        assert code == 0 and "reminded 1 invitation(s)" in out, out
        await mailbox.wait_for_async(1, to=seeded.contacts[0].email, subject_contains="Reminder")
        code, out = await cli("campaign", "next-review-cycle", cid)
        assert code == 2 and "in force" in out, out
        code, out = await cli("campaign", "add-invitees", cid, str(extra.organisations[0].id))
        assert code == 2 and "already invited" in out
        code, out = await cli("campaign", "cancel", cid, "--reason", "postponed")
        assert code == 0, out
        code, out = await cli("campaign", "lifecycle", cid)
        actions = [e["action"] for e in json.loads(out)]
        assert actions == ["add_invitees", "remind_now", "cancelled"] and "cli:" in out
        await eventually(progress, lambda p: p["status"] == "cancelled")


def _invitation_statuses(db, campaign_id):
    from sqlmodel import Session

    from services import invitations

    with Session(db) as session:
        return [i.status.value for i in invitations.list_for_campaign(session, campaign_id=campaign_id)]


async def test_escalations_listed_and_handled_from_the_command_line(cli_env, ts_env, settings, db, mailbox):
    from models.common import utcnow
    from pledgeflow.db import session_scope
    from services import escalations
    from workflows import client as workflow_client

    seeded = factories.campaign_with_invitees(db, count=1)
    async with running_workers(ts_env.client, settings, db):
        code, out = await cli("campaign", "launch", str(seeded.campaign.id))
        await mailbox.wait_for_async(1)
        handle = workflow_client.pledge_handle(ts_env.client, seeded.campaign.id, seeded.organisations[0].id)
        with session_scope(db) as session:
            row = escalations.record(
                session,
                invitation_id=seeded.invitations[0].id,
                level=3,
                role="coordinator",
                workflow_id=handle.id,
                last_level=False,
                at=utcnow(),
            )
        code, out = await cli("escalations", "list", "--status", "open")
        assert code == 0 and f"#{row.id}" in out and "coordinator" in out
        code, out = await cli("escalations", "handle", str(row.id), "--note", "Called the director")
        assert code == 0, out
        code, out = await cli("escalations", "list", "--json", "--status", "handled")
        [handled] = json.loads(out)
        assert handled["note"] == "Called the director" and handled["handled_by"].startswith("cli:")
        code, out = await cli("escalations", "handle", str(row.id), "--note", "again")
        assert code == 2 and "already handled" in out
        view = await handle.query(PledgeWorkflow.view)
        assert view.status == "open"
        await handle.execute_update(
            PledgeWorkflow.decline, DeclineRequest(invitation_id=seeded.invitations[0].id, reason="no")
        )


async def test_progress_prints_each_group_as_a_json_object(cli_env, ts_env, settings, db, mailbox):
    from models.organisation import OrganisationKind
    from models.quorum import RuleKind, StakeholderGroup

    seeded = factories.campaign_with_invitees(
        db,
        count=2,
        quorum=[
            StakeholderGroup(name="Brokers", kinds=[OrganisationKind.trade_association], rule=RuleKind.all)
        ],
    )
    cid = str(seeded.campaign.id)
    async with running_workers(ts_env.client, settings, db):
        code, out = await cli("campaign", "launch", cid)
        assert code == 0, out
        await mailbox.wait_for_async(2)

        async def progress():
            code, out = await cli("campaign", "progress", cid)
            assert code == 0, out
            return json.loads(out)

        shown = await eventually(progress, lambda p: p["invited"] == 2)
    assert shown["groups"] == [
        {
            "name": "Brokers",
            "rule": "all",
            "members": 2,
            "signed": 0,
            "target": 2,
            "met": False,
            "impossible": False,
        }
    ]
