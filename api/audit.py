"""Auditors: workflow histories (export, replay, timeline) and the audit log's hash chain.

Admins and auditors use every route. A coordinator reads the history, runs and timeline of the
workflows of campaigns they can see (404 for others, so ids do not leak); replay and verify are
for admins and auditors. Coordinators, like auditors, may take a checkpoint now (it only emails
the chain's head to the auditors). Reviewers get 403.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import Session
from temporalio.client import WorkflowHistory

from api.deps import MAX_RECORD_ID, ContextDep, SessionDep, UserDep, can_see_campaign, require_role
from api.responses import Problem
from models.campaign import Campaign
from models.user import Role, User
from pledgeflow.errors import InvalidInput, not_found
from services import audit
from services.audit.history import export, replay, upload
from services.audit.history.owner import campaign_of
from services.audit.history.timeline import TimelineEntry, chain_timeline
from workflows import client as workflow_client

router = APIRouter(prefix="/audit", tags=["audit"])

AUDITORS = (Role.admin, Role.auditor)
READERS = (Role.admin, Role.auditor, Role.coordinator)
RunIdQuery = Annotated[
    str | None,
    Query(description="One run of the workflow; by default the newest (and, for the timeline, all)"),
]


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {"application/problem+json": {}}}


ERRORS_AUDIT: dict[int | str, dict[str, Any]] = {
    401: _problem("No or unknown API token"),
    403: _problem("The token's role may not audit"),
    404: _problem("Unknown workflow, or not visible to this token"),
    422: _problem("Invalid fields; each is named with its reason"),
    503: _problem("Temporal is unreachable; retry"),
}


class RunPublic(BaseModel):
    """One run of a workflow (a workflow that continued as new has several)."""

    run_id: str
    workflow_type: str
    events: int
    started_at: datetime
    continued_from: str | None
    closed_as: str | None
    closed_at: datetime | None
    next_run_id: str | None


class TimelineEntryPublic(BaseModel):
    event_id: int
    time: datetime
    kind: str
    summary: str
    details: dict[str, Any]
    run_id: str


class TimelinePublic(BaseModel):
    workflow_id: str
    workflow_type: str
    runs: list[RunPublic]
    entries: list[TimelineEntryPublic]


class DivergencePublic(BaseModel):
    event_id: int | None
    event_type: str
    nondeterminism: bool
    message: str


class RunReplayPublic(BaseModel):
    workflow_id: str
    run_id: str
    workflow_type: str
    events: int
    clean: bool
    summary: str
    divergence: DivergencePublic | None


class ReplayReport(BaseModel):
    """Whether the current code replays the history; if not, where it first departs."""

    clean: bool
    summary: str
    runs: list[RunReplayPublic]


class CheckpointStarted(BaseModel):
    """A checkpoint taken now: its workflow emails the chain's head to every auditor."""

    workflow_id: str


class ChainVerdictPublic(BaseModel):
    ok: bool
    summary: str
    entries_checked: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None
    problem: str | None


def _may_read(session: Session, user: User, workflow_id: str) -> None:
    """Auditors read any workflow; a coordinator only those of campaigns they can see."""
    require_role(user, *READERS)
    if user.role in AUDITORS:
        return
    campaign_id = campaign_of(workflow_id)
    # An id past what the table holds names no campaign (and would make the driver fail).
    campaign = (
        session.get(Campaign, campaign_id)
        if campaign_id is not None and 1 <= campaign_id <= MAX_RECORD_ID
        else None
    )
    if campaign is None or not can_see_campaign(session, user, campaign):
        raise not_found("workflow", workflow_id)


def _run_public(history: WorkflowHistory) -> RunPublic:
    info = export.run_info(history)
    return RunPublic(
        run_id=info.run_id,
        workflow_type=info.workflow_type,
        events=info.events,
        started_at=info.started_at,
        continued_from=info.continued_from,
        closed_as=info.closed_as,
        closed_at=info.closed_at,
        next_run_id=info.next_run_id,
    )


def _entry_public(entry: TimelineEntry) -> TimelineEntryPublic:
    return TimelineEntryPublic(
        event_id=entry.event_id,
        time=entry.time,
        kind=entry.kind,
        summary=entry.summary,
        details=entry.details,
        run_id=entry.run_id,
    )


def _verdict_public(verdict: replay.ReplayVerdict) -> RunReplayPublic:
    d = verdict.divergence
    return RunReplayPublic(
        workflow_id=verdict.workflow_id,
        run_id=verdict.run_id,
        workflow_type=verdict.workflow_type,
        events=verdict.events,
        clean=verdict.clean,
        summary=verdict.describe(),
        divergence=None
        if d is None
        else DivergencePublic(
            event_id=d.event_id, event_type=d.event_type, nondeterminism=d.nondeterminism, message=d.message
        ),
    )


@router.get(
    "/workflows/{workflow_id}/history",
    response_class=Response,
    responses={
        200: {
            "description": "The run's event history as `temporal workflow show --output json` prints it",
            "content": {"application/json": {}},
        },
        **ERRORS_AUDIT,
    },
)
async def download_history(
    workflow_id: str, session: SessionDep, user: UserDep, context: ContextDep, run_id: RunIdQuery = None
) -> Response:
    """Download one run's history (the newest by default); `/runs` lists the others."""
    _may_read(session, user, workflow_id)
    history = await export.fetch_run(await context.temporal(), workflow_id, run_id)
    return Response(
        content=export.to_json(history),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{export.file_name(history)}"',
            "X-Temporal-Run-Id": history.run_id,
        },
    )


@router.get("/workflows/{workflow_id}/runs", response_model=list[RunPublic], responses=ERRORS_AUDIT)
async def list_runs(
    workflow_id: str, session: SessionDep, user: UserDep, context: ContextDep
) -> list[RunPublic]:
    """The workflow's runs, oldest first: one, or a chain when it continued as new."""
    _may_read(session, user, workflow_id)
    chain = await export.fetch_chain(await context.temporal(), workflow_id)
    return [_run_public(h) for h in chain]


@router.get("/workflows/{workflow_id}/timeline", response_model=TimelinePublic, responses=ERRORS_AUDIT)
async def read_timeline(
    workflow_id: str, session: SessionDep, user: UserDep, context: ContextDep, run_id: RunIdQuery = None
) -> TimelinePublic:
    """What happened, in sentences, from the history: every run, or the one asked for."""
    _may_read(session, user, workflow_id)
    client = await context.temporal()
    if run_id:
        chain = [await export.fetch_run(client, workflow_id, run_id)]
    else:
        chain = await export.fetch_chain(client, workflow_id)
    return TimelinePublic(
        workflow_id=workflow_id,
        workflow_type=replay.workflow_type_of(chain[-1]),
        runs=[_run_public(h) for h in chain],
        entries=[_entry_public(e) for e in chain_timeline(chain)],
    )


async def _uploaded(file: UploadFile) -> WorkflowHistory:
    data = await file.read(upload.MAX_BYTES + 1)
    return upload.read_history(data, field="file")


@router.post("/replay", response_model=ReplayReport, responses=ERRORS_AUDIT)
async def replay_history(
    session: SessionDep,
    user: UserDep,
    context: ContextDep,
    file: Annotated[
        UploadFile | None, File(description="A history: `temporal workflow show --output json`, or an export")
    ] = None,
    workflow_id: Annotated[
        str | None, Form(description="Or: fetch this workflow's runs and replay them")
    ] = None,
    run_id: Annotated[str | None, Form(description="With workflow_id: only this run")] = None,
) -> ReplayReport:
    """Replay a history against the current workflow code: clean, or the first event where it diverges."""
    require_role(user, *AUDITORS)
    workflows = workflow_client.registered_workflows()
    if file is not None and workflow_id:
        raise InvalidInput.for_field("workflow_id", "give a file or a workflow_id, not both")
    if file is not None:
        histories = [await _uploaded(file)]
        field = "file"
    elif workflow_id:
        client = await context.temporal()
        if run_id:
            histories = [await export.fetch_run(client, workflow_id, run_id)]
        else:
            histories = await export.fetch_chain(client, workflow_id)
        field = "workflow_id"
    else:
        raise InvalidInput.for_field(
            "file", "upload a history file (multipart field 'file') or give a workflow_id"
        )
    for history in histories:
        replay.check_replayable(history, workflows, field=field)
    verdicts = await replay.replay_all(histories, workflows=workflows)
    return ReplayReport(
        clean=all(v.clean for v in verdicts),
        summary=replay.summarise(verdicts),
        runs=[_verdict_public(v) for v in verdicts],
    )


@router.get("/verify", response_model=ChainVerdictPublic, responses=ERRORS_AUDIT)
def verify_audit_log(session: SessionDep, user: UserDep) -> ChainVerdictPublic:
    """Recheck the audit log's hash chain from the first entry; name the first entry that fails."""
    require_role(user, *AUDITORS)
    verdict = audit.verify(session)
    return ChainVerdictPublic(
        ok=verdict.ok,
        summary=verdict.describe(),
        entries_checked=verdict.entries_checked,
        head_seq=verdict.head_seq,
        head_hash=verdict.head_hash,
        first_bad_seq=verdict.first_bad_seq,
        problem=verdict.problem,
    )


@router.post("/checkpoints", response_model=CheckpointStarted, status_code=202, responses=ERRORS_AUDIT)
async def checkpoint_now(user: UserDep, context: ContextDep) -> CheckpointStarted:
    """Take a checkpoint now, as a run of its own (never skipped while another one runs)."""
    require_role(user, *READERS)
    workflow_id = await workflow_client.checkpoint_now(await context.temporal(), context.settings)
    return CheckpointStarted(workflow_id=workflow_id)
