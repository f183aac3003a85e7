"""The chase of an open invitation: reminders, the escalation ladder and expiry at the deadline.

The run loop sleeps until `next_wake` (workflows/chasing.py) and then calls `_chase`, which
performs the one step due now. Deterministic code, a base class of PledgeWorkflow.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.records import InvitationEvent, RecordActivities, RecordEscalationInput
    from models.email_message import EmailKind
    from models.email_params import EscalationParams, ReminderParams
    from workflows.chasing import Step, due_now, email_date, mark_done, reminders_planned
    from workflows.pledge_calls import DB_TIMEOUT, RETRY, PledgeCalls


class PledgeChase(PledgeCalls):
    """One step of the chase at a time."""

    async def _chase(self) -> None:
        step, skipped = due_now(self._state.plan, self._state.chase, workflow.now())
        if step is None:
            return
        mark_done(self._state.chase, step, skipped)
        self._state.skipped_steps += len(skipped)
        if skipped:
            workflow.logger.info("collapsed %d missed step(s) into %s", len(skipped), step.key)
        if step.kind == "reminder":
            await self._email(
                EmailKind.reminder,
                f"reminder-{self._state.invitation_id}-{step.key}",
                ReminderParams(number=step.number, total=reminders_planned(self._state.plan)).wire(),
                planned_at=email_date(step, workflow.now()),
            )
        elif step.kind == "escalation":
            await self._escalate(step)
        elif step.kind == "expiry":
            await self._expire(step)

    async def _escalate(self, step: Step) -> None:
        levels = len(self._state.plan.ladder)
        last = step.number == levels
        invitation_id = self._state.invitation_id
        recorded = await workflow.execute_activity_method(
            RecordActivities.record_escalation,
            RecordEscalationInput(
                invitation_id=invitation_id,
                level=step.number,
                role=step.recipient,
                workflow_id=workflow.info().workflow_id,
                at=workflow.now(),
                last_level=last,
            ),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=RETRY,
        )
        await self._email(
            EmailKind.escalation,
            f"escalation-{invitation_id}-{step.number}",
            EscalationParams(
                escalation_id=recorded.escalation_id, levels=levels, role=step.recipient, last_level=last
            ).wire(),
            planned_at=email_date(step, workflow.now()),
        )
        if last:
            await self._tell_campaign("unresponsive", invitation_id, workflow.now())

    async def _expire(self, step: Step) -> None:
        self._state.status = "expired"
        invitation_id = self._state.invitation_id
        now = workflow.now()
        await workflow.execute_activity_method(
            RecordActivities.expire_invitation,
            InvitationEvent(invitation_id=invitation_id, at=now),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=RETRY,
        )
        await self._tell_campaign("expired", invitation_id, now)
        await self._mail(
            EmailKind.expiry_notice,
            f"expiry-{invitation_id}-{self._state.reopenings}",
            {},
            planned_at=email_date(step, now),
        )
