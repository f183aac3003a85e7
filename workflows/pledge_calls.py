"""What every part of PledgeWorkflow asks of the world: emails (held for quiet hours), telling the campaign.

A base class of the workflow, deterministic like it: the effect handlers (workflows/pledge_effects.py)
and the chase (workflows/pledge_chase.py) build on these calls and on the state declared here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.email import EmailActivities, SendEmailInput, SendEmailResult
    from models.email_message import EmailKind
    from workflows.campaign import CampaignWorkflow
    from workflows.chasing import ChaseState, deadline_moment
    from workflows.ids import campaign_workflow_id
    from workflows.pledge_messages import MemberChange, PledgeState
    from workflows.quiet_hours import QUIET_HOURS_PATCH, HeldEmail, held_wake, hold_until

DB_TIMEOUT = timedelta(seconds=60)
EMAIL_TIMEOUT = timedelta(minutes=2)
# Keep trying through an outage of the database or the SMTP server; nothing is lost.
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=5),
    non_retryable_error_types=["Conflict", "NotFound", "InvalidInput"],
)


class PledgeCalls:
    """The state a pledge keeps, and the activity and signal calls its parts share."""

    _campaign_id: int
    _organisation_id: int
    _email_queue: str
    _state: PledgeState
    _handing_over: bool
    _replan: bool

    def _restart_chase(
        self, now: datetime, *, deadline: str | None = None, zone: str = "UTC", contact_zone: str = ""
    ) -> None:
        """Chase afresh from now: a reopened invitation, or a colleague's in their own zone."""
        plan = replace(self._state.plan, started_at=now)
        if deadline is not None:
            plan.deadline_at = deadline_moment(deadline, zone)
        if contact_zone:
            plan.timezones = {**plan.timezones, "contact": contact_zone, "escalation_contact": contact_zone}
        self._state.plan = plan
        self._state.chase = ChaseState()
        self._replan = True

    def _held_wake(self) -> timedelta | None:
        return held_wake(self._state.held, workflow.now())

    async def _mail(
        self,
        kind: EmailKind,
        step: str,
        params: dict[str, Any],
        planned_at: datetime | None = None,
        workflow_id: str = "",
    ) -> None:
        """An email to the contact: now, or held for their morning when it is night where they are."""
        now = workflow.now()
        if workflow.patched(QUIET_HOURS_PATCH):
            plan = self._state.plan
            send_at = hold_until(now, plan.timezones.get("contact", "UTC"), plan.quiet)
            if send_at is not None:
                self._state.held.append(
                    HeldEmail(kind, step, send_at, params, self._state.invitation_id, workflow_id)
                )
                return
        await self._email(kind, step, params, planned_at=planned_at, workflow_id=workflow_id)

    async def _email(
        self,
        kind: EmailKind,
        step: str,
        params: dict[str, Any],
        planned_at: datetime | None = None,
        workflow_id: str = "",
        invitation_id: int = 0,
    ) -> SendEmailResult:
        return await workflow.execute_activity_method(
            EmailActivities.send_email,
            SendEmailInput(
                kind=kind,
                workflow_id=workflow_id or workflow.info().workflow_id,
                step=step,
                planned_at=planned_at or workflow.now(),
                invitation_id=invitation_id or self._state.invitation_id,
                campaign_id=self._campaign_id,
                params=params,
            ),
            task_queue=self._email_queue,
            start_to_close_timeout=EMAIL_TIMEOUT,
            retry_policy=RETRY,
        )

    async def _tell_campaign(self, event: str, invitation_id: int, at: datetime) -> None:
        handle = workflow.get_external_workflow_handle(campaign_workflow_id(self._campaign_id))
        try:
            await handle.signal(
                CampaignWorkflow.member_changed, MemberChange(self._organisation_id, invitation_id, event, at)
            )
        except ApplicationError as err:
            self._state.problems.append(f"could not tell the campaign: {err}")
