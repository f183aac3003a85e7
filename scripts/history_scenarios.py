"""The scenarios that scripts/record_histories.py records, and how it knows a workflow has settled.

A scenario is a campaign with one invited organisation and what happens to it (signed, declined,
delegated, withdrawn, chased to expiry and reopened, reviewed, ...); `SCENARIOS` names them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from models.email_message import EmailKind
from models.report import ItemStatus
from models.staff_session import SignInReason
from models.user import Role
from pledgeflow.db import session_scope
from pledgeflow.dev.demo import DEMO_PLEDGE
from pledgeflow.dev.mail_sink import MailSink
from services import sign_in, users
from services.audit.history import export
from services.audit.history.export import fetch_run
from services.audit.history.timeline import timeline
from services.reviews import reports
from services.reviews.calendar import add_months
from services.reviews.reports import ItemInput
from workflows import client as workflow_client
from workflows.campaign import CampaignWorkflow
from workflows.campaign_messages import EndCampaign, ExtendDeadline
from workflows.checkpoint import AuditCheckpointWorkflow
from workflows.checkpoint_messages import CheckpointInput
from workflows.ids import pledge_workflow_id
from workflows.pledge import PledgeWorkflow
from workflows.pledge_messages import (
    DeclineRequest,
    DelegateRequest,
    ReopenRequest,
    SignRequest,
    WithdrawRequest,
)
from workflows.review import ReviewCycleWorkflow
from workflows.review_messages import ReportDecided, ReportSubmitted
from workflows.staff_mail import StaffMailWorkflow
from workflows.staff_mail_messages import StaffMailInput

IDENTITY = "record_histories"  # written into the histories instead of this machine's pid@host
COORDINATOR = "coordinator@recording.example"
REVIEWER = "reviewer@recording.example"
AUDITOR = "auditor@recording.example"
TIMEZONE = "Africa/Accra"
SETTLE_TIMEOUT = 60.0
MAIL_TIMEOUT = 30.0

log = logging.getLogger("record_histories")


@dataclass
class Recording:
    """What every scenario works with: the API, Temporal, the mailbox."""

    api: httpx.AsyncClient
    token: str
    actor: str  # how the audit log names the coordinator, for lifecycle updates
    client: Client
    env: WorkflowEnvironment
    sink: MailSink
    engine: Engine
    extra_workflows: list[str] = field(default_factory=list)  # recorded too (children, one-offs)

    async def call(self, method: str, url: str, **kwargs: Any) -> Any:
        """An API call as the coordinator that must succeed; its JSON answer."""
        headers = {"Authorization": f"Bearer {self.token}"}
        response = await self.api.request(method, url, headers=headers, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {url}: {response.status_code} {response.text}")
        return response.json()

    async def mail(self, to: str) -> None:
        """Wait until an email reached this address."""
        if not await self.sink.wait_for_async(1, timeout=MAIL_TIMEOUT, to=to):
            raise RuntimeError(f"no email reached {to} within {MAIL_TIMEOUT:.0f}s")

    async def today(self) -> date:
        """Today for the workflows (the time-skipping server's clock runs ahead of the wall clock)."""
        return (await self.env.get_current_time()).date()


@dataclass
class Launched:
    """One scenario's campaign, launched, with its one invitation emailed."""

    campaign_id: int
    campaign_workflow_id: str
    organisation_id: int
    invitation_id: int
    contact_email: str

    @property
    def pledge_workflow_id(self) -> str:
        return pledge_workflow_id(self.campaign_id, self.organisation_id)


Act = Callable[[Recording, Launched], Awaitable[None]]


@dataclass(frozen=True)
class Scenario:
    """How to drive one campaign, what to create it with, and on which server."""

    act: Act
    campaign: dict[str, Any] = field(default_factory=dict)  # extra fields for POST /campaigns
    deadline_in_days: int | None = None
    time_skipping: bool = False
    # The launch falls in quiet hours: skip a day for the invitation (time-skipping server only).
    invitation_held: bool = False


async def launch_campaign(rec: Recording, name: str, scenario: Scenario) -> Launched:
    """A campaign with one organisation and contact, launched through the API."""
    email = f"contact@{name}.example"
    organisation = await rec.call(
        "POST",
        "/organisations",
        json={"name": f"{name.title()} Freight Forwarders", "kind": "freight_forwarder", "country": "GH"},
    )
    await rec.call(
        "POST",
        "/contacts",
        json={"organisation_id": organisation["id"], "name": "Efua Asante", "email": email, "locale": "en"},
    )
    body: dict[str, Any] = {
        "title": f"Recording: {name}",
        "region": "GH",
        "timezone": TIMEZONE,
        # Recorded at any hour: the invitation goes at once unless the scenario is about quiet hours.
        "policy": {"quiet_hours": {"enabled": False}},
    }
    if scenario.deadline_in_days is not None:
        deadline = await rec.today() + timedelta(days=scenario.deadline_in_days)
        body["signature_deadline"] = deadline.isoformat()
    campaign = await rec.call("POST", "/campaigns", json={**body, **scenario.campaign})
    cid = campaign["id"]
    await rec.call("PUT", f"/campaigns/{cid}/pledge", json=DEMO_PLEDGE.model_dump(mode="json"))
    [invitation] = await rec.call(
        "POST", f"/campaigns/{cid}/invitees", json={"invitees": [{"organisation_id": organisation["id"]}]}
    )
    launched = await rec.call("POST", f"/campaigns/{cid}/launch")
    if scenario.invitation_held:
        await rec.env.sleep(timedelta(days=1))
    await rec.mail(email)
    return Launched(
        campaign_id=cid,
        campaign_workflow_id=launched["workflow_id"],
        organisation_id=organisation["id"],
        invitation_id=invitation["id"],
        contact_email=email,
    )


# ---- what happens after the launch, one function per path ---------------------------------


async def nobody_answers(rec: Recording, c: Launched) -> None:
    """Invited; the pledge waits for an answer (its first reminder timer is set)."""


async def sign(
    rec: Recording, c: Launched, invitation_id: int | None = None, name: str = "Efua Asante"
) -> None:
    """The contact signs; records, the campaign (in force: everyone signed) and a receipt follow."""
    await rec.client.get_workflow_handle(c.pledge_workflow_id).execute_update(
        PledgeWorkflow.sign,
        SignRequest(
            invitation_id=invitation_id or c.invitation_id,
            signer_name=name,
            signer_title="Director General",
            consent=True,
            ip="192.0.2.10",
            user_agent=IDENTITY,
        ),
    )
    for workflow_id in (c.pledge_workflow_id, c.campaign_workflow_id, c.pledge_workflow_id):
        await settle(rec, workflow_id)


async def decline(rec: Recording, c: Launched) -> None:
    """The contact declines with a reason; the coordinator is told, the quorum is out of reach."""
    await rec.client.get_workflow_handle(c.pledge_workflow_id).execute_update(
        PledgeWorkflow.decline,
        DeclineRequest(invitation_id=c.invitation_id, reason="Outside our mandate this year"),
    )


async def delegate_then_sign(rec: Recording, c: Launched) -> None:
    """The contact hands the invitation to a colleague, who signs with their own link."""
    colleague = f"colleague@{c.contact_email.split('@')[1]}"
    await rec.client.get_workflow_handle(c.pledge_workflow_id).execute_update(
        PledgeWorkflow.delegate,
        DelegateRequest(
            invitation_id=c.invitation_id, name="Kofi Mensah", email=colleague, title="Compliance officer"
        ),
    )
    await rec.mail(colleague)
    listed = await rec.call("GET", f"/campaigns/{c.campaign_id}/invitations")
    [successor] = [i for i in listed if i["delegated_from_id"] == c.invitation_id]
    await sign(rec, c, invitation_id=successor["id"], name="Kofi Mensah")


async def sign_then_withdraw(rec: Recording, c: Launched) -> None:
    """The contact signs (the pact comes in force), then withdraws: the quorum is broken."""
    await sign(rec, c)
    await rec.client.get_workflow_handle(c.pledge_workflow_id).execute_update(
        PledgeWorkflow.withdraw,
        WithdrawRequest(invitation_id=c.invitation_id, reason="Our board did not ratify it"),
    )


async def extend_deadline(rec: Recording, c: Launched) -> None:
    """The coordinator moves the campaign's deadline; the open pledge re-plans and tells the contact."""
    later = await rec.today() + timedelta(days=90)
    await rec.client.get_workflow_handle(c.campaign_workflow_id).execute_update(
        CampaignWorkflow.extend_deadline, ExtendDeadline(deadline=later.isoformat(), actor=rec.actor)
    )


async def sign_then_close(rec: Recording, c: Launched) -> None:
    """The contact signs, then the coordinator closes the campaign: every workflow completes."""
    await sign(rec, c)
    await rec.client.get_workflow_handle(c.campaign_workflow_id).execute_update(
        CampaignWorkflow.close, EndCampaign(actor=rec.actor, reason="Signed by all")
    )
    await rec.client.get_workflow_handle(c.pledge_workflow_id).result()


async def cancel(rec: Recording, c: Launched) -> None:
    """The coordinator cancels before anyone answers: the contact is told, every workflow completes."""
    await rec.client.get_workflow_handle(c.campaign_workflow_id).execute_update(
        CampaignWorkflow.cancel, EndCampaign(actor=rec.actor, reason="Merged into the regional pact")
    )
    await rec.client.get_workflow_handle(c.pledge_workflow_id).result()


async def chase_expire_reopen_sign(rec: Recording, c: Launched) -> None:
    """Nobody answers: a reminder, two escalation levels, expiry; then reopened, and signed."""
    await rec.env.sleep(timedelta(days=10))
    await completed(rec, c.pledge_workflow_id, "expire_invitation")
    await settle(rec, c.pledge_workflow_id)
    reopen_until = await rec.today() + timedelta(days=14)
    await rec.client.get_workflow_handle(c.pledge_workflow_id).execute_update(
        PledgeWorkflow.reopen,
        ReopenRequest(deadline=reopen_until.isoformat(), timezone=TIMEZONE, actor=rec.actor),
    )
    await settle(rec, c.pledge_workflow_id)
    await sign(rec, c)


async def quiet_hours(rec: Recording, c: Launched) -> None:
    """Every hour but 23:59 is quiet: the invitation, a deadline notice and the in-force
    announcement wait for 23:59; the receipt goes at once."""
    later = await rec.today() + timedelta(days=90)
    await rec.client.get_workflow_handle(c.campaign_workflow_id).execute_update(
        CampaignWorkflow.extend_deadline, ExtendDeadline(deadline=later.isoformat(), actor=rec.actor)
    )
    await rec.env.sleep(timedelta(days=1))
    await completed(rec, c.pledge_workflow_id, "send_email")
    await sign(rec, c)
    await rec.env.sleep(timedelta(days=1))
    await settle(rec, c.pledge_workflow_id)


async def review_cycle(rec: Recording, c: Launched) -> None:
    """Signed, in force; the first review cycle: request, submit, sent back, resubmit, accepted."""
    await sign(rec, c)
    pledge = rec.client.get_workflow_handle(c.pledge_workflow_id)
    in_force = None
    for _ in range(100):
        in_force = (await pledge.query(PledgeWorkflow.view)).pact_in_force_at
        if in_force:
            break
        await asyncio.sleep(0.1)
    assert in_force is not None, "the pact did not come in force"
    await rec.env.sleep(add_months(in_force, 3) + timedelta(hours=1) - await rec.env.get_current_time())
    child = workflow_client.review_handle(rec.client, c.campaign_id, c.organisation_id, 1)
    report_id = await _awaited_report(child, version=1)
    await _submit(rec, child, report_id)
    with session_scope(rec.engine) as session:
        reports.decide(
            session,
            report=reports.get_or_raise(session, report_id),
            accept=False,
            comments={"fees": "Add the published fee schedule"},
            note="",
            reviewer_email=REVIEWER,
            at=await rec.env.get_current_time(),
        )
    await child.execute_update(ReviewCycleWorkflow.report_decided, ReportDecided(report_id, False, REVIEWER))
    revision = await _awaited_report(child, version=2)
    await _submit(rec, child, revision)
    with session_scope(rec.engine) as session:
        reports.decide(
            session,
            report=reports.get_or_raise(session, revision),
            accept=True,
            comments={},
            note="",
            reviewer_email=REVIEWER,
            at=await rec.env.get_current_time(),
        )
    await child.execute_update(ReviewCycleWorkflow.report_decided, ReportDecided(revision, True, REVIEWER))
    await child.result()
    rec.extra_workflows.append(child.id)


async def _awaited_report(child: Any, version: int) -> int:
    for _ in range(200):
        try:
            view = await child.query(ReviewCycleWorkflow.view)
            if view.phase == "awaiting_report" and view.version == version:
                return int(view.report_id)
        except Exception:  # not started yet
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"review cycle never awaited version {version}")


async def _submit(rec: Recording, child: Any, report_id: int) -> None:
    at = await rec.env.get_current_time()
    with session_scope(rec.engine) as session:
        report = reports.get_or_raise(session, report_id)
        keys = [i.commitment_key for i in reports.items_of(session, report_id)]
        reports.save_draft(
            session,
            report=report,
            actor=IDENTITY,
            items={
                k: ItemInput(status=ItemStatus.in_progress, narrative="Under way", links=[]) for k in keys
            },
        )
        reports.submit(session, report=report, at=at, actor=IDENTITY)
        version, on_time = report.version, bool(report.on_time)
    await child.execute_update(
        ReviewCycleWorkflow.report_submitted, ReportSubmitted(report_id, version, on_time)
    )


async def audit_checkpoint(rec: Recording, c: Launched) -> None:
    """The scheduled audit checkpoint, run once: verify the chain and email the auditors."""
    handle = await rec.client.start_workflow(
        AuditCheckpointWorkflow.run,
        CheckpointInput(email_task_queue="pledgeflow-email"),
        id="audit-checkpoint-recording",
        task_queue="pledgeflow",
    )
    await handle.result()
    rec.extra_workflows.append(handle.id)


async def sign_in_link(rec: Recording, c: Launched) -> None:
    """A member of staff asks for a sign-in link: StaffMailWorkflow emails it once."""
    with session_scope(rec.engine) as session:
        person = users.get_or_create_user(
            session, email="staff@wco.example", name="Staff", role=Role.coordinator, actor=IDENTITY
        )
        link = sign_in.make_link(
            session, user=person, reason=SignInReason.sign_in, lifetime=timedelta(minutes=15), actor=IDENTITY
        )
        link_id = link.id or 0
    handle = await rec.client.start_workflow(
        StaffMailWorkflow.run,
        StaffMailInput(kind=EmailKind.sign_in_link, link_id=link_id, email_task_queue="pledgeflow-email"),
        id="staff-mail-recording",
        task_queue="pledgeflow",
    )
    await handle.result()
    rec.extra_workflows.append(handle.id)


_CHASE_POLICY = {
    "policy": {
        "reminder_days": [1],
        "reminder_days_before_deadline": [2],
        "ladder": [{"after_days": 3, "recipient": "contact"}, {"after_days": 5, "recipient": "coordinator"}],
        "quiet_hours": {"enabled": False},
    }
}

SCENARIOS: dict[str, Scenario] = {
    "launch": Scenario(nobody_answers),
    "sign": Scenario(sign),
    "decline": Scenario(decline),
    "delegate-sign": Scenario(delegate_then_sign),
    "withdraw": Scenario(sign_then_withdraw),
    "extend-deadline": Scenario(extend_deadline, deadline_in_days=60),
    "close": Scenario(sign_then_close),
    "cancel": Scenario(cancel),
    "audit-checkpoint": Scenario(audit_checkpoint),
    "sign-in-link": Scenario(sign_in_link),
    "review-cycle": Scenario(
        review_cycle,
        campaign={"review": {"every_months": 3, "reviewers": [REVIEWER]}},
        time_skipping=True,
    ),
    "chase-expire-reopen": Scenario(
        chase_expire_reopen_sign, campaign=_CHASE_POLICY, deadline_in_days=8, time_skipping=True
    ),
    "quiet-hours": Scenario(
        quiet_hours,
        campaign={
            "policy": {
                "reminder_days": [],
                "reminder_days_before_deadline": [],
                "ladder": [],
                "quiet_hours": {"enabled": True, "start": "00:00", "end": "23:59", "weekend": []},
            }
        },
        deadline_in_days=30,
        time_skipping=True,
        invitation_held=True,
    ),
}


# ---- recording -------------------------------------------------------------------------------

_CLOSES_ACTIVITY = {
    EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
    EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
    EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
    EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
}
_ENDS_WORKFLOW_TASK = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
}


async def _in_flight(client: Client, workflow_id: str) -> tuple[int, bool]:
    """The history's length, and whether an activity or a workflow task is still in flight."""
    history = await fetch_run(client, workflow_id)
    open_activities: set[int] = set()
    task_open = False
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            open_activities.add(event.event_id)
        elif event.event_type in _CLOSES_ACTIVITY:
            attrs = getattr(event, event.WhichOneof("attributes") or "")
            open_activities.discard(attrs.scheduled_event_id)
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
            task_open = True
        elif event.event_type in _ENDS_WORKFLOW_TASK:
            task_open = False
    return len(history.events), bool(open_activities) or task_open


async def completed(
    rec: Recording, workflow_id: str, activity_type: str, timeout: float = SETTLE_TIMEOUT
) -> None:
    """Wait until an activity of this type has completed in the workflow."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        history = await fetch_run(rec.client, workflow_id)
        scheduled = {
            e.event_id
            for e in history.events
            if e.activity_task_scheduled_event_attributes.activity_type.name == activity_type
        }
        if any(
            e.activity_task_completed_event_attributes.scheduled_event_id in scheduled for e in history.events
        ):
            return
        ended = export.run_info(history).closed_as
        if ended:
            last = timeline(history)[-1].summary
            raise RuntimeError(f"{workflow_id} {ended} before {activity_type} completed: {last}")
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{workflow_id} did not complete {activity_type} within {timeout:.0f}s")


async def settle(rec: Recording, workflow_id: str, timeout: float = SETTLE_TIMEOUT) -> None:
    """Wait until nothing is in flight and the history stopped growing (read from the history,
    so it works the same on both servers)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last_length, quiet_polls = -1, 0
    while quiet_polls < 3:
        if loop.time() > deadline:
            raise RuntimeError(f"{workflow_id} did not settle within {timeout:.0f}s")
        length, busy = await _in_flight(rec.client, workflow_id)
        quiet_polls = quiet_polls + 1 if not busy and length == last_length else 0
        last_length = length
        await asyncio.sleep(0.2)
