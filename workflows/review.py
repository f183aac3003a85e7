"""ReviewCycleWorkflow: one signatory's report for one cycle, from request to acceptance.

Started by the pledge workflow as a child, one per cycle, so each cycle's events live in their own
short history. It requests the report, chases it with the campaign's own mechanism (reminders and
the escalation ladder, workflows/chasing.py), moves the standing along as the report is late, hands
the submitted report to the reviewers (who have their own deadline and reminders), and on a send-back
opens a new version with its own deadline. It ends when a report is accepted, or when the next cycle
opens.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.email import EmailActivities, SendEmailInput
    from activities.records import RecordActivities, RecordEscalationInput
    from activities.reviews import NewVersionInput, OpenReportInput, ReviewActivities, StandingInput
    from models.email_message import EmailKind
    from workflows.chasing import (
        ChaseState,
        Step,
        due_now,
        email_date,
        mark_done,
        next_wake,
        reminders_planned,
    )
    from workflows.quiet_hours import (
        QUIET_HOURS_PATCH,
        HeldEmail,
        held_date,
        held_wake,
        hold_until,
        take_due,
    )
    from workflows.review_messages import (
        ReportDecided,
        ReportSubmitted,
        ReviewCycleInput,
        ReviewCycleResult,
        ReviewCycleState,
        ReviewCycleView,
    )

DB_TIMEOUT = timedelta(seconds=60)
EMAIL_TIMEOUT = timedelta(minutes=2)
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=5),
    non_retryable_error_types=["Conflict", "NotFound", "InvalidInput", "Forbidden"],
)
REVIEW_REMINDER_DAYS = [3, 1]
STANDINGS = ["good", "overdue", "non_compliant", "lapsed"]


@workflow.defn
class ReviewCycleWorkflow:
    def __init__(self) -> None:
        self._input: ReviewCycleInput | None = None
        self._state = ReviewCycleState()
        self._events: list[ReportSubmitted | ReportDecided] = []

    # ---- run -------------------------------------------------------------------------

    @workflow.run
    async def run(self, request: ReviewCycleInput) -> ReviewCycleResult:
        self._input = request
        s = self._state
        s.standing = request.standing
        s.report_id = await workflow.execute_activity_method(
            ReviewActivities.open_cycle_report,
            OpenReportInput(
                campaign_id=request.campaign_id,
                organisation_id=request.organisation_id,
                invitation_id=request.invitation_id,
                times=request.times,
                at=workflow.now(),
            ),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=RETRY,
        )
        await self._mail(EmailKind.report_request, f"request-{s.report_id}", {})
        self._await_report(request.times.due_at)
        with contextlib.suppress(asyncio.CancelledError):
            # Cancelled when the signatory withdraws or the campaign ends: stop quietly.
            while s.phase not in ("accepted", "closed"):
                await self._sleep_until_something_happens()
                await self._send_held()
                while self._events:
                    await self._handle(self._events.pop(0))
                if s.phase in ("awaiting_report", "awaiting_review"):
                    await self._on_time_passing()
            # The last answers (acceptance, standing) may still wait for the morning.
            while s.held:
                wake = held_wake(s.held, workflow.now())
                if wake:
                    await workflow.sleep(wake)
                await self._send_held()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return ReviewCycleResult(
            cycle=request.times.cycle,
            standing=s.standing,
            accepted=s.phase == "accepted",
            report_id=s.report_id,
            versions=s.version,
        )

    def _await_report(self, due_at: datetime) -> None:
        """Chase the signatory for the current version, due at `due_at`."""
        assert self._input is not None
        s = self._state
        s.phase, s.due_at = "awaiting_report", due_at
        s.plan = replace(
            self._input.terms.report_plan,
            started_at=workflow.now(),
            due_at=due_at,
            ladder_anchor=due_at,
            deadline_at=None,
        )
        s.chase = ChaseState()

    def _await_review(self) -> None:
        """Remind the reviewers before their own deadline."""
        assert self._input is not None
        s = self._state
        s.phase = "awaiting_review"
        s.review_due_at = workflow.now() + timedelta(days=self._input.terms.review_days)
        s.plan = replace(
            self._input.terms.report_plan,
            started_at=workflow.now(),
            due_at=s.review_due_at,
            reminder_days=[],
            reminder_days_before_deadline=[
                d for d in REVIEW_REMINDER_DAYS if d < self._input.terms.review_days
            ],
            ladder=[],
            deadline_at=None,
        )
        s.chase = ChaseState()

    # ---- waiting ---------------------------------------------------------------------

    def _next_standing_change(self) -> tuple[datetime, str] | None:
        """When the late report moves the standing down next, and to what."""
        assert self._input is not None
        s, terms = self._state, self._input.terms
        if s.phase != "awaiting_report" or s.due_at is None:
            return None
        steps = [
            (s.due_at, "overdue"),
            (s.due_at + timedelta(days=terms.grace_days), "non_compliant"),
            (s.due_at + timedelta(days=terms.grace_days + terms.lapse_days), "lapsed"),
        ]
        for moment, standing in steps:
            if STANDINGS.index(standing) > STANDINGS.index(s.standing):
                return moment, standing
        return None

    def _wake_in(self) -> timedelta:
        assert self._input is not None
        now = workflow.now()
        candidates = [self._input.times.closes_at - now]
        chase = next_wake(self._state.plan, self._state.chase, now)
        if chase is not None:
            candidates.append(chase)
        change = self._next_standing_change()
        if change is not None:
            candidates.append(change[0] - now)
        held = held_wake(self._state.held, now)
        if held is not None:
            candidates.append(held)
        return max(min(candidates), timedelta(0))

    async def _sleep_until_something_happens(self) -> None:
        wake = self._wake_in()
        if wake > timedelta(0):
            with contextlib.suppress(asyncio.TimeoutError):
                await workflow.wait_condition(lambda: bool(self._events), timeout=wake)

    async def _on_time_passing(self) -> None:
        assert self._input is not None
        now = workflow.now()
        change = self._next_standing_change()
        if change is not None and change[0] <= now:
            await self._set_standing(change[1], "report overdue")
        step, skipped = due_now(self._state.plan, self._state.chase, now)
        if step is not None:
            mark_done(self._state.chase, step, skipped)
            await self._chase(step)
        if now >= self._input.times.closes_at:
            self._state.phase = "closed"

    async def _chase(self, step: Step) -> None:
        s = self._state
        total = reminders_planned(s.plan)
        if s.phase == "awaiting_review":
            for reviewer in self._input.terms.reviewers if self._input else []:
                await self._email(
                    EmailKind.review_reminder,
                    f"review-reminder-{s.report_id}-{reviewer}-{step.key}",
                    {
                        "reviewer": reviewer,
                        "number": step.number,
                        "total": total,
                        "review_due_at": _iso(s.review_due_at),
                    },
                    planned_at=email_date(step, workflow.now()),
                )
            return
        if step.kind == "reminder":
            await self._email(
                EmailKind.report_reminder,
                f"report-reminder-{s.report_id}-{step.key}",
                {"number": step.number, "total": total},
                planned_at=email_date(step, workflow.now()),
            )
        elif step.kind == "escalation":
            await self._escalate(step)

    async def _escalate(self, step: Step) -> None:
        assert self._input is not None
        s = self._state
        recorded = await workflow.execute_activity_method(
            RecordActivities.record_escalation,
            RecordEscalationInput(
                invitation_id=self._input.invitation_id,
                level=step.number,
                role=step.recipient,
                workflow_id=workflow.info().workflow_id,
                at=workflow.now(),
                last_level=step.number == len(s.plan.ladder),
                subject=f"report:{s.report_id}",
            ),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=RETRY,
        )
        await self._email(
            EmailKind.report_escalation,
            f"report-escalation-{s.report_id}-{step.number}",
            {
                "escalation_id": recorded.escalation_id,
                "level": step.number,
                "levels": len(s.plan.ladder),
                "role": step.recipient,
            },
            planned_at=email_date(step, workflow.now()),
        )

    # ---- what the signatory and the reviewers did ------------------------------------

    async def _handle(self, event: ReportSubmitted | ReportDecided) -> None:
        assert self._input is not None
        s = self._state
        if isinstance(event, ReportSubmitted):
            s.submissions += 1
            self._await_review()
            for reviewer in self._input.terms.reviewers:
                await self._mail(
                    EmailKind.review_request,
                    f"review-request-{s.report_id}-{reviewer}",
                    {"reviewer": reviewer, "review_due_at": _iso(s.review_due_at)},
                    reviewer=True,
                )
            return
        if event.accepted:
            s.phase = "accepted"
            await self._mail(EmailKind.report_accepted, f"accepted-{s.report_id}", {})
            if s.standing != "good":
                await self._set_standing("good", "report accepted")
            return
        s.sent_back += 1
        due = workflow.now() + timedelta(days=self._input.terms.revision_days)
        s.report_id = await workflow.execute_activity_method(
            ReviewActivities.new_report_version,
            NewVersionInput(report_id=event.report_id, due_at=due, at=workflow.now()),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=RETRY,
        )
        s.version += 1
        self._await_report(due)
        await self._mail(EmailKind.report_sent_back, f"sent-back-{s.report_id}", {"due_at": due.isoformat()})

    @workflow.update
    def report_submitted(self, event: ReportSubmitted) -> ReviewCycleView:
        """The records hold a submitted (locked) version: hand it to the reviewers."""
        self._state.phase = "submitting"  # answers again only once the reviewers are told
        self._events.append(event)
        return self.view()

    @report_submitted.validator
    def _validate_submitted(self, event: ReportSubmitted) -> None:
        s = self._state
        if s.phase != "awaiting_report" or event.report_id != s.report_id:
            raise ApplicationError(
                f"this cycle is {s.phase.replace('_', ' ')} (report {s.report_id}); report {event.report_id} "
                "is not awaited",
                type="Conflict",
            )

    @workflow.update
    def report_decided(self, event: ReportDecided) -> ReviewCycleView:
        """A reviewer decided: accept ends the cycle, a send-back opens a new version."""
        self._state.phase = "deciding"
        self._events.append(event)
        return self.view()

    @report_decided.validator
    def _validate_decided(self, event: ReportDecided) -> None:
        s = self._state
        if s.phase != "awaiting_review" or event.report_id != s.report_id:
            raise ApplicationError(
                f"report {event.report_id} is not awaiting a review "
                f"(the cycle is {s.phase.replace('_', ' ')})",
                type="Conflict",
            )
        # Who may decide is the records' call (the campaign's reviewers now, checked before this
        # update); the cycle only checks that it is waiting for this decision.

    @workflow.query
    def view(self) -> ReviewCycleView:
        s = self._state
        return ReviewCycleView(
            cycle=self._input.times.cycle if self._input else 0,
            phase=s.phase,
            report_id=s.report_id,
            version=s.version,
            due_at=s.due_at,
            review_due_at=s.review_due_at,
            standing=s.standing,
            reminders_sent=s.chase.reminders_sent,
            escalation_level=s.chase.level,
        )

    # ---- effects ---------------------------------------------------------------------

    async def _set_standing(self, standing: str, reason: str) -> None:
        assert self._input is not None
        previous, self._state.standing = self._state.standing, standing
        await workflow.execute_activity_method(
            ReviewActivities.set_standing,
            StandingInput(
                campaign_id=self._input.campaign_id,
                organisation_id=self._input.organisation_id,
                standing=standing,
                reason=reason,
                at=workflow.now(),
            ),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=RETRY,
        )
        for audience in ("signatory", "coordinator"):
            step = f"standing-{self._state.report_id}-{standing}-{audience}"
            params = {"from": previous, "to": standing, "audience": audience}
            if audience == "signatory":
                await self._mail(EmailKind.standing_changed, step, params)
            else:
                await self._email(EmailKind.standing_changed, step, params)

    async def _mail(self, kind: EmailKind, step: str, params: dict[str, Any], reviewer: bool = False) -> None:
        """An email to the signatory (or a reviewer): now, or held for their morning."""
        assert self._input is not None
        now = workflow.now()
        if workflow.patched(QUIET_HOURS_PATCH):
            plan = self._input.terms.report_plan
            # Reviewers have no zone of their own on file: the campaign's.
            zone = plan.timezones.get("coordinator" if reviewer else "contact", "UTC")
            send_at = hold_until(now, zone, plan.quiet)
            if send_at is not None:
                # The report id is part of the email as it is now (a later version has its own).
                params = {"report_id": self._state.report_id, **params}
                self._state.held.append(HeldEmail(kind, step, send_at, params))
                return
        await self._email(kind, step, params)

    async def _send_held(self) -> None:
        now = workflow.now()
        for mail in take_due(self._state.held, now):
            await self._email(mail.kind, mail.step, mail.params, held_date(mail, now))

    async def _email(
        self, kind: EmailKind, step: str, params: dict[str, Any], planned_at: datetime | None = None
    ) -> None:
        assert self._input is not None
        try:
            await self._send(kind, step, params, planned_at or workflow.now())
        except ActivityError as err:
            # A refused email (no address on file, a composer's domain error) must not end the
            # cycle: the report and its standing go on, and the failure is in the outbox and logs.
            workflow.logger.error("email %s for report %s failed: %s", kind, self._state.report_id, err.cause)

    async def _send(self, kind: EmailKind, step: str, params: dict[str, Any], planned_at: datetime) -> None:
        assert self._input is not None
        await workflow.execute_activity_method(
            EmailActivities.send_email,
            SendEmailInput(
                kind=kind,
                workflow_id=workflow.info().workflow_id,
                step=step,
                planned_at=planned_at,
                invitation_id=self._input.invitation_id,
                campaign_id=self._input.campaign_id,
                params={"report_id": self._state.report_id, **params},
            ),
            task_queue=self._input.email_task_queue,
            start_to_close_timeout=EMAIL_TIMEOUT,
            retry_policy=RETRY,
        )


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""
