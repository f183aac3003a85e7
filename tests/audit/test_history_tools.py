"""Auditors' tools: export, replay and timeline of workflow histories; the audit log's chain."""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import text
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Worker
from typer.testing import CliRunner

import workflows.registry
from api.app import create_app
from models.email_message import EmailKind
from models.user import Role
from pledgeflow.cli.main import app as cli
from pledgeflow.config import get_settings
from pledgeflow.dev.binaries import temporal_cli
from services.audit.history import export, replay, upload
from services.audit.history.timeline import chain_timeline
from tests import factories
from tests.helpers import eventually, running_workers
from workflows import client as workflow_client
from workflows.campaign import CampaignWorkflow
from workflows.ids import pledge_workflow_id
from workflows.pledge import PledgeWorkflow
from workflows.pledge_effects import Signed
from workflows.pledge_messages import DelegateRequest, PledgeInput, PledgeView, SignRequest

HISTORIES = Path(__file__).parent / "histories"
SIGNED = HISTORIES / "sign-pledge.json"


# ---- deliberately non-deterministic copies of PledgeWorkflow (same workflow name) ---------


@workflow.defn(name="PledgeWorkflow", sandboxed=False)
class ReceiptBeforeRecord(PledgeWorkflow):
    """Emails the receipt before recording the signature: a different activity comes first."""

    @workflow.run
    async def run(self, request: PledgeInput) -> PledgeView:
        return await super().run(request)

    async def _after_signing(self, effect: Signed) -> None:
        await self._email(EmailKind.signature_confirmation, "receipt-first", {})
        await super()._after_signing(effect)


@workflow.defn(name="PledgeWorkflow", sandboxed=False)
class EmailsOnStart(PledgeWorkflow):
    """Sends an email before anything else: its very first command differs."""

    @workflow.run
    async def run(self, request: PledgeInput) -> PledgeView:
        self._email_queue = request.email_task_queue
        await self._email(EmailKind.invitation, "extra-on-start", {})
        return await super().run(request)


@workflow.defn(name="PledgeWorkflow", sandboxed=False)
class BrokenSigning(PledgeWorkflow):
    """Raises where it should record the signature: the code fails rather than diverges."""

    @workflow.run
    async def run(self, request: PledgeInput) -> PledgeView:
        return await super().run(request)

    async def _after_signing(self, effect: Signed) -> None:
        raise RuntimeError("a bug in the new code")


@dataclass
class CountdownInput:
    left: int


@workflow.defn(sandboxed=False)
class Countdown:
    """Continues as new until it reaches zero: a chain of runs."""

    @workflow.run
    async def run(self, request: CountdownInput) -> int:
        await workflow.sleep(timedelta(seconds=1))
        if request.left > 0:
            workflow.continue_as_new(CountdownInput(request.left - 1))
        return request.left


# ---- helpers ------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def api(ts_env, settings, db) -> AsyncIterator[httpx.AsyncClient]:
    async def connect():
        return ts_env.client

    app = create_app(settings, engine=db, connect_temporal=connect)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_for(db, role: Role) -> str:
    _, token = factories.coordinator(db, email=f"{role.value}-{uuid.uuid4().hex[:6]}@example.org", role=role)
    return token


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert {"type", "title", "status", "detail", "errors"} <= set(body) and body["status"] == status
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


async def launch_one(ts_env, settings, db, mailbox):
    """A launched campaign with one invited organisation whose invitation has arrived."""
    seeded = factories.campaign_with_invitees(db, count=1)
    factories.launch(db, seeded.campaign.id)
    await workflow_client.start_campaign(ts_env.client, settings, seeded.campaign.id)
    assert await mailbox.wait_for_async(1)
    return seeded


def pledge_id(seeded):
    return pledge_workflow_id(seeded.campaign.id, seeded.organisations[0].id)


def first_event(history: WorkflowHistory, event_type: int, **attributes: str) -> int:
    """The id of the first event of this type (whose activity type is the one given, if any)."""
    for event in history.events:
        if event.event_type != event_type:
            continue
        if "activity_type" in attributes and (
            event.activity_task_scheduled_event_attributes.activity_type.name != attributes["activity_type"]
        ):
            continue
        return event.event_id
    raise AssertionError(f"no event {event_type} {attributes}")


def upload_of(data: bytes, name: str = "history.json") -> dict[str, Any]:
    return {"files": {"file": (name, data, "application/json")}}


# ---- export ------------------------------------------------------------------------------


@pytest.mark.any_database  # a Temporal history; the database only holds the set-up
async def test_export_round_trips_through_from_json(api, ts_env, settings, db, mailbox):
    auditor = token_for(db, Role.auditor)
    async with running_workers(ts_env.client, settings, db):
        seeded = await launch_one(ts_env, settings, db, mailbox)
        handle = ts_env.client.get_workflow_handle(pledge_id(seeded))
        await handle.execute_update(
            PledgeWorkflow.sign,
            SignRequest(
                seeded.invitations[0].id, signer_name="Kwame Mensah", signer_title="Director", consent=True
            ),
        )
        await mailbox.wait_for_async(1, subject_contains="Receipt")
        response = await api.get(f"/audit/workflows/{pledge_id(seeded)}/history", headers=bearer(auditor))
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment;")
    fetched = await handle.fetch_history()
    exported = WorkflowHistory.from_json(pledge_id(seeded), response.text)
    assert response.headers["x-temporal-run-id"] == exported.run_id == fetched.run_id
    assert list(exported.events)[: len(fetched.events)] == list(fetched.events)[: len(exported.events)]
    assert json.loads(response.text)["events"][0]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"
    assert (
        await replay.replay(upload.read_history(response.content), workflows=workflows.registry.WORKFLOWS)
    ).clean


@pytest.mark.devserver
async def test_export_is_what_the_temporal_cli_prints(dev_env):
    task_queue = f"tq-{uuid.uuid4().hex[:8]}"
    workflow_id = f"countdown-{uuid.uuid4().hex[:8]}"
    async with Worker(dev_env.client, task_queue=task_queue, workflows=[Countdown]):
        await dev_env.client.execute_workflow(
            Countdown.run, CountdownInput(0), id=workflow_id, task_queue=task_queue
        )
    ours = export.to_json(await export.fetch_run(dev_env.client, workflow_id))
    printed = subprocess.run(
        [
            temporal_cli(),
            "workflow",
            "show",
            "--workflow-id",
            workflow_id,
            "--output",
            "json",
            "--address",
            dev_env.client.service_client.config.target_host,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert json.loads(ours) == json.loads(printed)  # 2 == 2.0: the CLI drops the ".0" of floats
    assert upload.read_history(printed.encode()).events == WorkflowHistory.from_json(workflow_id, ours).events


@pytest.mark.any_database  # a Temporal history; the database only holds the set-up
async def test_a_continued_workflow_is_exported_run_by_run(api, ts_env, db):
    task_queue = f"tq-{uuid.uuid4().hex[:8]}"
    workflow_id = f"countdown-{uuid.uuid4().hex[:8]}"
    async with Worker(ts_env.client, task_queue=task_queue, workflows=[Countdown]):
        await ts_env.client.execute_workflow(
            Countdown.run, CountdownInput(2), id=workflow_id, task_queue=task_queue
        )
    chain = await export.fetch_chain(ts_env.client, workflow_id)
    runs = [export.run_info(h) for h in chain]
    assert [r.closed_as for r in runs] == ["continued_as_new", "continued_as_new", "completed"]
    assert runs[0].continued_from is None
    assert [r.continued_from for r in runs[1:]] == [r.run_id for r in runs[:-1]]
    assert [r.next_run_id for r in runs[:-1]] == [r.run_id for r in runs[1:]]
    for history in chain:
        assert WorkflowHistory.from_json(workflow_id, export.to_json(history)).events == history.events
    listed = await api.get(
        f"/audit/workflows/{workflow_id}/runs", headers=bearer(token_for(db, Role.auditor))
    )
    assert [r["run_id"] for r in listed.json()] == [r.run_id for r in runs]
    kinds = [e.kind for e in chain_timeline(chain)]
    assert kinds.count("continued_as_new") == 2 and kinds[-1] == "workflow_completed"


# ---- replay ------------------------------------------------------------------------------


@pytest.mark.any_database  # a Temporal history; the database only holds the set-up
async def test_a_stored_history_replays_cleanly(api, db):
    verdict = await replay.replay(upload.read_history_file(SIGNED), workflows=workflows.registry.WORKFLOWS)
    assert verdict.clean and verdict.describe().startswith("replayed cleanly")
    response = await api.post(
        "/audit/replay", headers=bearer(token_for(db, Role.auditor)), **upload_of(SIGNED.read_bytes())
    )
    assert response.status_code == 200, response.text
    assert (
        response.json()["clean"] is True and response.json()["runs"][0]["workflow_type"] == "PledgeWorkflow"
    )


async def test_replay_names_the_event_where_the_code_diverges():
    history = upload.read_history_file(SIGNED)
    verdict = await replay.replay(history, workflows=[ReceiptBeforeRecord, CampaignWorkflow])
    assert not verdict.clean and verdict.divergence is not None
    # The message does not say which event: the prefixes find it.
    assert "HistoryEvent(id" not in verdict.divergence.message
    expected = first_event(
        history, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, activity_type="complete_signature"
    )
    assert verdict.divergence.event_id == expected
    assert verdict.divergence.event_type == "ActivityTaskScheduled" and verdict.divergence.nondeterminism
    assert f"diverges at event {expected}" in verdict.describe()


async def test_replay_reads_the_event_from_the_message_when_it_is_there():
    history = upload.read_history_file(SIGNED)
    verdict = await replay.replay(history, workflows=[EmailsOnStart, CampaignWorkflow])
    assert verdict.divergence is not None and "HistoryEvent(id" in verdict.divergence.message
    completed = first_event(history, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
    assert verdict.divergence.event_id == completed + 1  # the first command the code no longer issues first


async def test_replay_locates_code_that_fails_at_its_workflow_task():
    history = upload.read_history_file(SIGNED)
    verdict = await replay.replay(history, workflows=[BrokenSigning, CampaignWorkflow])
    assert verdict.divergence is not None and not verdict.divergence.nondeterminism
    assert "a bug in the new code" in verdict.divergence.message
    accepted = first_event(history, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
    task_started = max(
        e.event_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED and e.event_id < accepted
    )
    assert verdict.divergence.event_id == task_started
    assert verdict.describe().startswith(f"fails at event {task_started} (WorkflowTaskStarted)")


@pytest.mark.any_database  # a Temporal history; the database only holds the set-up
async def test_replay_endpoint_reports_a_divergence_and_keeps_working(api, db, monkeypatch):
    auditor = bearer(token_for(db, Role.auditor))
    expected = first_event(
        upload.read_history_file(SIGNED),
        EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
        activity_type="complete_signature",
    )
    monkeypatch.setattr(workflows.registry, "WORKFLOWS", [ReceiptBeforeRecord, CampaignWorkflow])
    for _ in range(2):
        response = await api.post("/audit/replay", headers=auditor, **upload_of(SIGNED.read_bytes()))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["clean"] is False and body["runs"][0]["divergence"]["event_id"] == expected
        assert f"diverges at event {expected}" in body["summary"]
    monkeypatch.undo()
    response = await api.post("/audit/replay", headers=auditor, **upload_of(SIGNED.read_bytes()))
    assert response.status_code == 200 and response.json()["clean"] is True


@pytest.mark.any_database  # a Temporal history; the database only holds the set-up
async def test_replay_of_a_running_workflow_by_id(api, ts_env, settings, db, mailbox):
    async with running_workers(ts_env.client, settings, db):
        seeded = await launch_one(ts_env, settings, db, mailbox)
        response = await api.post(
            "/audit/replay",
            headers=bearer(token_for(db, Role.auditor)),
            data={"workflow_id": f"campaign-{seeded.campaign.id}"},
        )
    assert response.status_code == 200, response.text
    assert (
        response.json()["clean"] is True and response.json()["runs"][0]["workflow_type"] == "CampaignWorkflow"
    )


@pytest.mark.any_database  # a Temporal history; the database only holds the set-up
async def test_bad_uploads_are_problems_that_name_the_field(api, db):
    auditor = bearer(token_for(db, Role.auditor))
    stored = json.loads(SIGNED.read_text())
    mystery = json.loads(SIGNED.read_text())
    mystery["events"][0]["workflowExecutionStartedEventAttributes"]["workflowType"]["name"] = (
        "MysteryWorkflow"
    )
    headless = {"events": stored["events"][1:]}
    cases = {
        b"": "empty",
        b"   \n": "empty",
        b"\xff\xfe\x00garbage": "not UTF-8",
        b"this is not json": "not JSON",
        b"[1, 2, 3]": "not a Temporal history",
        b'{"history": []}': "not a Temporal history",
        b'{"events": []}': "no events",
        b'{"events": [{"eventId": "1", "eventType": "EVENT_TYPE_NO_SUCH_THING"}]}': "WorkflowExecutionStarted",
        b'{"events": [{"eventId": "one"}]}': "not a Temporal history",
        b'{"events": [{"eventId": "1"}]}': "WorkflowExecutionStarted",
        json.dumps(
            {"events": [*stored["events"][:1], {"eventId": "2"}]}
        ).encode(): "event 2 has no event type",
        json.dumps({"events": [*stored["events"][:1], *stored["events"][2:]]}).encode(): "event 2 is missing",
        json.dumps(headless).encode(): "WorkflowExecutionStarted",
        json.dumps(mystery).encode(): "unknown workflow type 'MysteryWorkflow'",
    }
    for data, reason in cases.items():
        body = assert_problem(
            await api.post("/audit/replay", headers=auditor, **upload_of(data)), 422, "file"
        )
        assert reason in body["errors"][0]["reason"], (data[:40], body)
    assert_problem(await api.post("/audit/replay", headers=auditor, data={}), 422, "file")
    assert_problem(
        await api.post(
            "/audit/replay",
            headers=auditor,
            data={"workflow_id": "pledge-1-1"},
            **upload_of(SIGNED.read_bytes()),
        ),
        422,
        "workflow_id",
    )
    assert_problem(
        await api.post(
            "/audit/replay", headers=auditor, data={"workflow_id": f"pledge-{uuid.uuid4().int % 10**9}-1"}
        ),
        404,
    )


# ---- who may read what -------------------------------------------------------------------


async def test_auditors_read_every_history_and_coordinators_only_their_campaigns(
    api, ts_env, settings, db, mailbox
):
    async with running_workers(ts_env.client, settings, db):
        seeded = await launch_one(ts_env, settings, db, mailbox)
        owner = bearer(seeded.token)
        auditor = bearer(token_for(db, Role.auditor))
        other = bearer(token_for(db, Role.coordinator))
        reviewer = bearer(token_for(db, Role.reviewer))
        campaign_id = f"campaign-{seeded.campaign.id}"
        for path in (
            f"/audit/workflows/{campaign_id}/history",
            f"/audit/workflows/{pledge_id(seeded)}/timeline",
        ):
            assert (await api.get(path, headers=auditor)).status_code == 200
            assert (await api.get(path, headers=owner)).status_code == 200
            assert_problem(await api.get(path, headers=other), 404)
            assert_problem(await api.get(path, headers=reviewer), 403)
        assert_problem(
            await api.get("/audit/workflows/campaign-99999999/history", headers=auditor), 404, "workflow_id"
        )
        assert_problem(await api.get("/audit/workflows/campaign-99999999/history", headers=owner), 404)
        assert_problem(await api.get("/audit/workflows/not-ours/timeline", headers=owner), 404)
        assert_problem(await api.post("/audit/replay", headers=owner, data={"workflow_id": campaign_id}), 403)
        assert_problem(await api.get("/audit/verify", headers=owner), 403)
        assert_problem(await api.get("/audit/verify", headers=reviewer), 403)
        assert_problem(await api.get(f"/audit/workflows/{campaign_id}/history"), 401)


# ---- timeline ----------------------------------------------------------------------------


async def test_timeline_tells_a_pledge_life_in_order(api, ts_env, settings, db, mailbox):
    auditor = bearer(token_for(db, Role.auditor))
    async with running_workers(ts_env.client, settings, db):
        seeded = await launch_one(ts_env, settings, db, mailbox)
        workflow_id = pledge_id(seeded)
        old = seeded.invitations[0].id
        handle = ts_env.client.get_workflow_handle(workflow_id)
        await handle.execute_update(
            PledgeWorkflow.delegate,
            DelegateRequest(
                invitation_id=old, name="Ama Owusu", email="ama@org1.example", title="Compliance"
            ),
        )

        async def timeline() -> list[str]:
            response = await api.get(f"/audit/workflows/{workflow_id}/timeline", headers=auditor)
            return [e["summary"] for e in response.json()["entries"]]

        lines = await eventually(timeline, lambda s: any(x.startswith("Invitation emailed") for x in s))
        new = (await handle.query(PledgeWorkflow.view)).invitation_id
        await handle.execute_update(
            PledgeWorkflow.sign,
            SignRequest(invitation_id=new, signer_name="Ama Owusu", signer_title="Compliance", consent=True),
        )
        lines = await eventually(timeline, lambda s: any(x.startswith("Signature recorded for") for x in s))
        body = (await api.get(f"/audit/workflows/{workflow_id}/timeline", headers=auditor)).json()
    expected = [
        f"Invited: pledge opened for organisation {seeded.organisations[0].id} of campaign {seeded.campaign.id}",
        f"Delegated through invitation {old} to Ama Owusu <ama@org1.example>",
        f"Invitation {old} handed to Ama Owusu <ama@org1.example>; their invitation is {new}",
        f"Invitation emailed (invitation {new})",
        f"Signed by Ama Owusu (Compliance) through invitation {new}; receipt PF-",
        "Signature recorded for Ama Owusu, campaign told, receipt PF-",
    ]
    positions = [next((i for i, line in enumerate(lines) if line.startswith(e)), -1) for e in expected]
    assert -1 not in positions and positions == sorted(positions), "\n".join(lines)
    assert body["workflow_type"] == "PledgeWorkflow" and len(body["runs"]) == 1
    sign = next(e for e in body["entries"] if e["kind"] == "update" and e["details"]["update"] == "sign")
    assert (
        sign["details"]["input"][0]["signer_name"] == "Ama Owusu" and sign["details"]["result"]["receipt_id"]
    )
    told = [e for e in body["entries"] if e["kind"] == "signal_sent"]
    # The delegation tells the campaign by signal; a signature does it inside complete_signature.
    assert [e["details"]["input"][0]["event"] for e in told] == ["delegated"]
    assert all(e["details"]["delivered"] for e in told)
    assert [e["event_id"] for e in body["entries"]] == sorted(e["event_id"] for e in body["entries"])


def test_unknown_names_still_read_as_sentences():
    history = upload.read_history_file(SIGNED)
    for event in history.events:
        if event.HasField("activity_task_scheduled_event_attributes"):
            event.activity_task_scheduled_event_attributes.activity_type.name = "send_fax"
        if event.HasField("workflow_execution_update_accepted_event_attributes"):
            event.workflow_execution_update_accepted_event_attributes.accepted_request.input.name = (
                "countersign"
            )
    lines = [e.summary for e in chain_timeline([history])]
    assert any(line.startswith("Activity “send_fax” completed (") for line in lines), lines
    assert any(line.startswith("Update “countersign” accepted (invitation ") for line in lines), lines


# ---- the audit log's chain -----------------------------------------------------------------


async def test_verify_names_the_first_altered_entry(api, cli_db):
    db = cli_db
    factories.campaign_with_invitees(db, count=2)
    auditor = bearer(token_for(db, Role.auditor))
    intact = (await api.get("/audit/verify", headers=auditor)).json()
    assert intact["ok"] is True and intact["entries_checked"] >= 3 and intact["summary"].startswith("intact")
    result = CliRunner().invoke(cli, ["audit", "verify"])
    assert result.exit_code == 0 and "intact" in result.output, result.output

    with db.begin() as connection:
        connection.execute(text("UPDATE audit_entry SET actor = 'forged' WHERE seq = 2"))
    broken = (await api.get("/audit/verify", headers=auditor)).json()
    assert broken["ok"] is False and broken["first_bad_seq"] == 2 and "entry 2" in broken["summary"]
    result = CliRunner().invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1 and "broken at entry 2" in result.output, result.output


# ---- the command line ----------------------------------------------------------------------


def test_cli_replays_a_file_and_refuses_a_bad_one(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["audit", "replay", str(SIGNED)])
    assert result.exit_code == 0 and "replayed cleanly" in result.output, result.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"events": "nope"}')
    result = runner.invoke(cli, ["audit", "replay", str(bad)])
    assert result.exit_code == 2 and "not a Temporal history" in result.output, result.output
    assert runner.invoke(cli, ["audit", "replay"]).exit_code == 2
    assert runner.invoke(cli, ["audit", "replay", str(tmp_path / "missing.json")]).exit_code == 2


def test_cli_reports_a_divergence_with_exit_1(monkeypatch):
    monkeypatch.setattr(workflows.registry, "WORKFLOWS", [ReceiptBeforeRecord, CampaignWorkflow])
    result = CliRunner().invoke(cli, ["audit", "replay", str(SIGNED)])
    assert result.exit_code == 1 and "diverges at event" in result.output, result.output


@pytest.mark.any_database  # a Temporal history; the database only holds the set-up
def test_cli_exports_replays_and_tells_a_running_workflow(
    ts_env, settings, cli_db, mailbox, monkeypatch, tmp_path
):
    db = cli_db
    address = ts_env.client.service_client.config.target_host

    async def launch():
        # Its own client: this test runs the command line, which runs its own event loops.
        client = await Client.connect(address, namespace=ts_env.client.namespace)
        async with running_workers(client, settings, db):
            seeded = factories.campaign_with_invitees(db, count=1)
            factories.launch(db, seeded.campaign.id)
            await workflow_client.start_campaign(client, settings, seeded.campaign.id)
            assert await mailbox.wait_for_async(1)
            await asyncio.sleep(0.5)
            return pledge_id(seeded)

    workflow_id = asyncio.run(launch())
    monkeypatch.setenv("PLEDGEFLOW_TEMPORAL_ADDRESS", address)
    get_settings.cache_clear()
    runner = CliRunner()
    out = tmp_path / "pledge.json"
    result = runner.invoke(cli, ["audit", "export", workflow_id, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert upload.read_history_file(out).events[
        0
    ].workflow_execution_started_event_attributes.workflow_type.name == ("PledgeWorkflow")
    result = runner.invoke(cli, ["audit", "replay", str(out)])
    assert result.exit_code == 0 and "replayed cleanly" in result.output, result.output
    result = runner.invoke(cli, ["audit", "replay", "--workflow-id", workflow_id])
    assert result.exit_code == 0 and "replayed cleanly" in result.output, result.output
    result = runner.invoke(cli, ["audit", "timeline", workflow_id])
    assert result.exit_code == 0 and "Invited: pledge opened" in result.output, result.output
    result = runner.invoke(cli, ["audit", "timeline", workflow_id, "--json"])
    rows = json.loads(result.output)
    assert rows[0]["kind"] == "workflow_started" and {"event_id", "time", "summary", "details"} <= set(
        rows[0]
    )
    result = runner.invoke(cli, ["audit", "export", "pledge-99999999-1"])
    assert result.exit_code == 2 and "error" in result.output, result.output
