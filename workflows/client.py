"""The one way the API, the command line and activities reach a workflow.

Typed functions per domain (campaigns, pledges, review cycles, audit checkpoints) that take the
contract dataclasses of `workflows/*_messages.py` and return their results, with Temporal's
failures translated once into the domain's errors (NotFound, Unavailable, InvalidInput, Conflict).
An update that a workflow's validator rejects raises an error that carries the rejection's kind
and details (`error.kind`, `error.details`), so a page can show what the rejection means. Callers
do not catch temporalio exceptions themselves, nor import the workflow classes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ActivityError, ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from pledgeflow.config import Settings
from pledgeflow.errors import (
    Conflict,
    FieldProblem,
    InvalidInput,
    NotFound,
    Pending,
    PledgeflowError,
    Unavailable,
)
from workflows import registry
from workflows.campaign import CampaignWorkflow
from workflows.campaign_messages import (
    AddInvitees,
    AddInviteesResult,
    CampaignInput,
    CampaignProgress,
    EndCampaign,
    ExtendDeadline,
    LifecycleEvent,
    OpenReviewCycle,
    RemindNow,
    RemindNowResult,
)
from workflows.checkpoint import AuditCheckpointWorkflow
from workflows.checkpoint_messages import CheckpointInput
from workflows.ids import campaign_workflow_id, pledge_workflow_id, review_workflow_id
from workflows.pledge import PledgeWorkflow
from workflows.pledge_messages import (
    DeadlineChange,
    DeclineRequest,
    DeclineResult,
    DelegateRequest,
    DelegateResult,
    EscalationHandled,
    InvitationUndeliverable,
    MemberChange,
    PledgeBroadcast,
    PledgeInput,
    Rejection,
    ReopenRequest,
    ReopenResult,
    SignRequest,
    SignResult,
    WithdrawRequest,
    WithdrawResult,
)
from workflows.review import ReviewCycleWorkflow
from workflows.review_messages import ReportDecided, ReportSubmitted, ReviewCycleResult, ReviewCycleView
from workflows.staff_mail import StaffMailWorkflow
from workflows.staff_mail_messages import StaffMailInput

# ---- the workflow classes ---------------------------------------------------------------------


def registered_workflows() -> list[type]:
    """The workflow classes the workers run, to replay with (read at call time: tests swap them)."""
    return list(registry.WORKFLOWS)


# ---- calls and their failures -----------------------------------------------------------------

_INVALID = {"InvalidInput", Rejection.invalid}
_NOT_FOUND = {"NotFound"}


def _application_error(error: BaseException | None) -> ApplicationError | None:
    """The ApplicationError at the root of an update failure (through an activity failure)."""
    while error is not None:
        if isinstance(error, ApplicationError):
            return error
        error = error.__cause__ if not isinstance(error, ActivityError) else error.cause
    return None


def as_problem(error: WorkflowUpdateFailedError) -> PledgeflowError:
    """The domain error a failed update stands for, with its kind, details and field problems."""
    cause = _application_error(error.cause)
    if cause is None:
        return Conflict(str(error.cause or error))
    first = cause.details[0] if cause.details else None
    problems = [
        FieldProblem(str(d.get("field", "")), str(d.get("reason", "")))
        for d in (first if isinstance(first, list) else [])
        if isinstance(d, dict)
    ]
    details = first if isinstance(first, dict) else {}
    if cause.type in _INVALID:
        errors = problems or [FieldProblem("body", cause.message)]
        return InvalidInput(cause.message, errors=errors, kind=cause.type, details=details)
    if cause.type in _NOT_FOUND:
        return NotFound(cause.message, errors=problems, kind=cause.type, details=details)
    return Conflict(cause.message, errors=problems, kind=cause.type, details=details)


# How long a person's answer by link (sign, decline, hand on, withdraw) waits for its workflow.
# Those updates return at once in the workflow, so a longer wait means a busy or stalled worker;
# the page then says so (and that the answer may still be recorded) well before a browser or a
# proxy gives up on the request and shows a dropped connection.
LINK_ANSWER_WAIT = timedelta(seconds=10)


async def run_update(
    handle: WorkflowHandle[Any, Any],
    update: Any,
    argument: Any,
    *,
    update_id: str | None = None,
    wait: timedelta | None = None,
) -> Any:
    """Execute an update; rejections and Temporal trouble raise domain errors.

    An `update_id` makes a repeated call (a retried request) the same update: Temporal answers it
    with the first one's result instead of running it again. With `wait`, an update not answered
    in that time raises Pending: Temporal may still carry it out.
    """
    try:
        return await handle.execute_update(update, argument, id=update_id, rpc_timeout=wait)
    except WorkflowUpdateRPCTimeoutOrCancelledError as exc:
        raise Pending(
            f"workflow {handle.id} did not answer in time; the update may still be carried out, "
            "check its state before repeating it"
        ) from exc
    except WorkflowUpdateFailedError as exc:
        raise as_problem(exc) from exc
    except RPCError as exc:
        raise _rpc_problem(exc, handle.id) from exc


async def run_query(handle: WorkflowHandle[Any, Any], query: Any) -> Any:
    """Run a query; an unknown workflow is NotFound, other trouble Unavailable."""
    try:
        return await handle.query(query)
    except RPCError as exc:
        raise _rpc_problem(exc, handle.id) from exc


async def send_signal(handle: WorkflowHandle[Any, Any], signal: Any, argument: Any) -> None:
    """Signal a workflow; an unknown or finished one is NotFound."""
    try:
        await handle.signal(signal, argument)
    except RPCError as exc:
        raise _rpc_problem(exc, handle.id) from exc


def _rpc_problem(exc: RPCError, workflow_id: str) -> PledgeflowError:
    if exc.status == RPCStatusCode.NOT_FOUND:
        return NotFound(
            f"workflow {workflow_id} is not running", errors=[FieldProblem("id", "no running workflow")]
        )
    return Unavailable(f"Temporal did not answer: {exc.message}")


def _refused(exc: RPCError) -> Unavailable:
    """A call Temporal refused (starting a workflow, writing a schedule), said in one line."""
    first_line = exc.message.strip().splitlines()[0] if exc.message.strip() else ""
    return Unavailable(f"Temporal refused the call ({exc.status.name}): {first_line}")


def refusal(exc: BaseException) -> Unavailable | None:
    """The domain error for a Temporal failure that escaped a call made outside this module."""
    return _refused(exc) if isinstance(exc, RPCError) else None


# ---- campaigns -------------------------------------------------------------------------------


async def start_campaign(client: Client, settings: Settings, campaign_id: int) -> str:
    """Start the campaign workflow once; a second call finds the running one."""
    workflow_id = campaign_workflow_id(campaign_id)
    # If it ran and finished already, launching again must not invite twice.
    try:
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await client.start_workflow(
                CampaignWorkflow.run,
                CampaignInput(
                    campaign_id=campaign_id,
                    task_queue=settings.task_queue,
                    email_task_queue=settings.email_task_queue,
                ),
                id=workflow_id,
                task_queue=settings.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            )
    except RPCError as exc:
        raise _refused(exc) from exc
    return workflow_id


def campaign_handle(client: Client, campaign_id: int) -> WorkflowHandle[CampaignWorkflow, CampaignProgress]:
    """A handle on the campaign's workflow (whichever run is current)."""
    return client.get_workflow_handle_for(CampaignWorkflow.run, campaign_workflow_id(campaign_id))


async def campaign_progress(client: Client, campaign_id: int) -> CampaignProgress:
    """The tally kept by the campaign workflow; NotFound when it was never started."""
    try:
        return await campaign_handle(client, campaign_id).query(CampaignWorkflow.progress)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise NotFound(f"campaign {campaign_id} has no workflow; launch it first") from exc
        raise _refused(exc) from exc


async def campaign_lifecycle(client: Client, campaign_id: int) -> list[LifecycleEvent]:
    """The coordinator actions taken on the campaign, oldest first."""
    events: list[LifecycleEvent] = await run_query(
        campaign_handle(client, campaign_id), CampaignWorkflow.lifecycle
    )
    return events


async def add_invitees(client: Client, campaign_id: int, request: AddInvitees) -> AddInviteesResult:
    """Invite more organisations to a running campaign."""
    result: AddInviteesResult = await run_update(
        campaign_handle(client, campaign_id), CampaignWorkflow.add_invitees, request
    )
    return result


async def extend_campaign_deadline(client: Client, campaign_id: int, request: ExtendDeadline) -> str:
    """Move the campaign's deadline later; the new deadline is returned."""
    deadline: str = await run_update(
        campaign_handle(client, campaign_id), CampaignWorkflow.extend_deadline, request
    )
    return deadline


async def remind_now(client: Client, campaign_id: int, request: RemindNow) -> RemindNowResult:
    """Send a reminder now to the named open invitations, or to every one not answered yet.

    `request.request_id` names the request (one is made when empty): the same id again reminds
    no one twice.
    """
    request_id = request.request_id or uuid.uuid4().hex
    result: RemindNowResult = await run_update(
        campaign_handle(client, campaign_id),
        CampaignWorkflow.remind_now,
        dataclasses.replace(request, request_id=request_id),
        update_id=f"remind-now-{request_id}",
    )
    return result


async def open_next_review_cycle(client: Client, campaign_id: int, actor: str) -> int:
    """Open every signatory's next review cycle now (the pact must be in force); its number is returned."""
    cycle: int = await run_update(
        campaign_handle(client, campaign_id), CampaignWorkflow.open_next_review_cycle, OpenReviewCycle(actor)
    )
    return cycle


async def cancel_campaign(client: Client, campaign_id: int, request: EndCampaign) -> str:
    """Cancel the campaign; the workflow's answer is returned."""
    answer: str = await run_update(campaign_handle(client, campaign_id), CampaignWorkflow.cancel, request)
    return answer


async def close_campaign(client: Client, campaign_id: int, request: EndCampaign) -> str:
    """Close the campaign to further answers; the workflow's answer is returned."""
    answer: str = await run_update(campaign_handle(client, campaign_id), CampaignWorkflow.close, request)
    return answer


# ---- pledges ---------------------------------------------------------------------------------


def pledge_handle(
    client: Client, campaign_id: int, organisation_id: int
) -> WorkflowHandle[PledgeWorkflow, object]:
    """A handle on one organisation's pledge workflow."""
    return client.get_workflow_handle_for(
        PledgeWorkflow.run, pledge_workflow_id(campaign_id, organisation_id)
    )


async def sign(client: Client, campaign_id: int, organisation_id: int, request: SignRequest) -> SignResult:
    """Sign the pledge on the organisation's behalf; a rejection carries its kind."""
    result: SignResult = await run_update(
        pledge_handle(client, campaign_id, organisation_id),
        PledgeWorkflow.sign,
        request,
        wait=LINK_ANSWER_WAIT,
    )
    return result


async def decline(
    client: Client, campaign_id: int, organisation_id: int, request: DeclineRequest
) -> DeclineResult:
    """Decline the invitation, with a reason."""
    result: DeclineResult = await run_update(
        pledge_handle(client, campaign_id, organisation_id),
        PledgeWorkflow.decline,
        request,
        wait=LINK_ANSWER_WAIT,
    )
    return result


async def delegate(
    client: Client, campaign_id: int, organisation_id: int, request: DelegateRequest
) -> DelegateResult:
    """Hand the invitation to a colleague."""
    result: DelegateResult = await run_update(
        pledge_handle(client, campaign_id, organisation_id),
        PledgeWorkflow.delegate,
        request,
        wait=LINK_ANSWER_WAIT,
    )
    return result


async def withdraw(
    client: Client, campaign_id: int, organisation_id: int, request: WithdrawRequest
) -> WithdrawResult:
    """Withdraw the organisation's signature, with a reason."""
    result: WithdrawResult = await run_update(
        pledge_handle(client, campaign_id, organisation_id),
        PledgeWorkflow.withdraw,
        request,
        wait=LINK_ANSWER_WAIT,
    )
    return result


async def reopen(
    client: Client, campaign_id: int, organisation_id: int, request: ReopenRequest
) -> ReopenResult:
    """Reopen an expired invitation until a new deadline."""
    result: ReopenResult = await run_update(
        pledge_handle(client, campaign_id, organisation_id), PledgeWorkflow.reopen, request
    )
    return result


async def extend_pledge_deadline(
    client: Client, campaign_id: int, organisation_id: int, change: DeadlineChange
) -> str:
    """Extend one organisation's deadline; the new deadline is returned."""
    deadline: str = await run_update(
        pledge_handle(client, campaign_id, organisation_id), PledgeWorkflow.extend_deadline, change
    )
    return deadline


async def escalation_handled(client: Client, workflow_id: str, event: EscalationHandled) -> None:
    """Tell the workflow that raised an escalation that it was handled (its ladder stops)."""
    await send_signal(client.get_workflow_handle(workflow_id), PledgeWorkflow.escalation_handled, event)


# ---- review cycles ----------------------------------------------------------------------------


def review_handle(
    client: Client, campaign_id: int, organisation_id: int, cycle: int
) -> WorkflowHandle[ReviewCycleWorkflow, ReviewCycleResult]:
    """A handle on one organisation's review cycle."""
    return client.get_workflow_handle_for(
        ReviewCycleWorkflow.run, review_workflow_id(campaign_id, organisation_id, cycle)
    )


async def review_cycle_view(
    client: Client, campaign_id: int, organisation_id: int, cycle: int
) -> ReviewCycleView:
    """Where the review cycle stands; NotFound when it is not running."""
    view: ReviewCycleView = await run_query(
        review_handle(client, campaign_id, organisation_id, cycle), ReviewCycleWorkflow.view
    )
    return view


async def submit_report(
    client: Client, campaign_id: int, organisation_id: int, cycle: int, event: ReportSubmitted
) -> ReviewCycleView:
    """Hand a locked report version to its review cycle."""
    view: ReviewCycleView = await run_update(
        review_handle(client, campaign_id, organisation_id, cycle),
        ReviewCycleWorkflow.report_submitted,
        event,
    )
    return view


async def decide_report(
    client: Client, campaign_id: int, organisation_id: int, cycle: int, event: ReportDecided
) -> ReviewCycleView:
    """Tell the review cycle the reviewer's decision."""
    view: ReviewCycleView = await run_update(
        review_handle(client, campaign_id, organisation_id, cycle), ReviewCycleWorkflow.report_decided, event
    )
    return view


# ---- audit checkpoints ------------------------------------------------------------------------

CHECKPOINT_SCHEDULE_ID = "audit-checkpoint"
MANUAL_CHECKPOINT_PREFIX = f"{CHECKPOINT_SCHEDULE_ID}-now-"


async def ensure_checkpoint_schedule(client: Client, settings: Settings) -> None:
    """The Temporal Schedule that emails the audit chain's head to the auditors (created or updated)."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            AuditCheckpointWorkflow.run,
            CheckpointInput(email_task_queue=settings.email_task_queue),
            id=CHECKPOINT_SCHEDULE_ID,
            task_queue=settings.task_queue,
        ),
        spec=ScheduleSpec(
            intervals=[ScheduleIntervalSpec(every=timedelta(hours=settings.audit_checkpoint_hours))]
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )
    try:
        try:
            await client.create_schedule(CHECKPOINT_SCHEDULE_ID, schedule)
        except ScheduleAlreadyRunningError:
            await client.get_schedule_handle(CHECKPOINT_SCHEDULE_ID).update(
                lambda _: ScheduleUpdate(schedule=schedule)
            )
    except RPCError as exc:
        raise _refused(exc) from exc


async def checkpoint_now(client: Client, settings: Settings) -> str:
    """Take a checkpoint at once, as its own workflow run; its workflow id is returned.

    Not a trigger of the schedule: the schedule skips a run while the previous one is still
    open (its overlap policy), so a second "checkpoint now" pressed meanwhile would be dropped
    without a word. A run of its own either starts or raises.
    """
    workflow_id = f"{MANUAL_CHECKPOINT_PREFIX}{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    try:
        await client.start_workflow(
            AuditCheckpointWorkflow.run,
            CheckpointInput(email_task_queue=settings.email_task_queue),
            id=workflow_id,
            task_queue=settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except RPCError as exc:
        raise _refused(exc) from exc
    return workflow_id


# ---- staff ------------------------------------------------------------------------------------


async def send_staff_mail(
    client: Client, settings: Settings, *, kind: str, link_id: int, invited_by: str = ""
) -> str:
    """Email a sign-in link (or an invitation carrying one) through its own workflow; one per link."""
    workflow_id = f"staff-mail-{link_id}"
    try:
        await client.start_workflow(
            StaffMailWorkflow.run,
            StaffMailInput(
                kind=kind, link_id=link_id, email_task_queue=settings.email_task_queue, invited_by=invited_by
            ),
            id=workflow_id,
            task_queue=settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        pass  # the same link asked twice: its email is already on its way
    except RPCError as exc:
        raise _refused(exc) from exc
    return workflow_id


# ---- for activities ---------------------------------------------------------------------------


class ActivityWorkflowCalls:
    """The workflow calls activities make (activities.workflow_calls.WorkflowCalls), through one client.

    Temporal trouble is raised as it is, so the activity retries; a workflow that is no longer
    running needs nothing.
    """

    def __init__(self, client: Client) -> None:
        self._client = client

    async def start_pledge(self, request: PledgeInput, *, task_queue: str) -> None:
        """Start the organisation's pledge workflow once; a second start finds the first."""
        # Closed already (started by an earlier attempt and finished since): nothing to do.
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await self._client.start_workflow(
                PledgeWorkflow.run,
                request,
                id=pledge_workflow_id(request.campaign_id, request.organisation_id),
                task_queue=task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                # This worker polls that queue: take the first workflow task with the start
                # response instead of a round trip through the matching service.
                request_eager_start=True,
            )

    async def pledge_undeliverable(
        self, campaign_id: int, organisation_id: int, event: InvitationUndeliverable
    ) -> None:
        """Tell the pledge workflow its invitation was refused for good."""
        with _unless_finished():
            await pledge_handle(self._client, campaign_id, organisation_id).signal(
                PledgeWorkflow.invitation_undeliverable, event
            )

    async def member_changed(self, campaign_id: int, change: MemberChange) -> None:
        """Tell the campaign workflow an organisation's answer changed."""
        with _unless_finished():
            await campaign_handle(self._client, campaign_id).signal(CampaignWorkflow.member_changed, change)

    async def signal_pledge(
        self, campaign_id: int, organisation_id: int, signal: PledgeBroadcast, payload: dict[str, Any]
    ) -> bool:
        """Send a campaign broadcast (named as the campaign's history names it); False if not running."""
        with _unless_finished():
            await pledge_handle(self._client, campaign_id, organisation_id).signal(signal, payload)
            return True
        return False


@contextlib.contextmanager
def _unless_finished() -> Iterator[None]:
    """Skip a call to a workflow that is not running; other Temporal trouble is raised (retried)."""
    try:
        yield
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
