"""PledgeWorkflow: one organisation's answer to a campaign's invitation, and what follows.

The signatory's actions arrive as updates. Each update is validated (a bad or second
signature never reaches history), changes the workflow's state at once and returns, so the
page answers quickly; the main loop then performs the effects (records, emails, telling the
campaign) as activities, in order. While the invitation is open the loop also chases: one
timer to the next reminder, escalation level or expiry (see workflows/chasing.py), re-planned
whenever the deadline moves.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.reviews import CyclePlanInput, ReviewActivities
    from models.email_message import EmailKind
    from workflows.chasing import ChasePlan, deadline_moment, next_wake
    from workflows.ids import review_workflow_id
    from workflows.pledge_calls import DB_TIMEOUT, RETRY
    from workflows.pledge_chase import PledgeChase
    from workflows.pledge_effects import (
        CampaignClosed,
        DeadlineMoved,
        Declined,
        Delegated,
        Effect,
        InForce,
        PledgeEffects,
        RemindedNow,
        Reopened,
        Signed,
        Withdrawn,
    )
    from workflows.pledge_messages import (
        DATE_PATTERN,
        EMAIL_PATTERN,
        CampaignEnded,
        DeadlineChange,
        DeclineRequest,
        DeclineResult,
        DelegateRequest,
        DelegateResult,
        EscalationHandled,
        InvitationUndeliverable,
        PactInForce,
        PledgeInput,
        PledgeState,
        PledgeView,
        Rejection,
        ReminderNow,
        ReopenRequest,
        ReopenResult,
        ReviewCycleNow,
        SignRequest,
        SignResult,
        WithdrawRequest,
        WithdrawResult,
    )
    from workflows.quiet_hours import (
        IN_FORCE_BY_PLEDGE_PATCH,
        HeldEmail,
        earliest,
        held_date,
        take_due,
    )
    from workflows.review import ReviewCycleWorkflow
    from workflows.review_messages import ReviewCycleInput

MAX_NAME = 200
MAX_REASON = 2000
REMEMBERED_REMINDERS = 20  # request ids kept to refuse a repeat (the Message-ID refuses older ones)


@workflow.defn
class PledgeWorkflow(PledgeEffects, PledgeChase):
    def __init__(self) -> None:
        self._campaign_id = 0
        self._organisation_id = 0
        self._email_queue = ""
        self._state = PledgeState()
        self._effects: list[Effect] = []
        self._handing_over = False
        self._replan = False

    # ---- run -------------------------------------------------------------------------

    @workflow.run
    async def run(self, request: PledgeInput) -> PledgeView:
        self._campaign_id = request.campaign_id
        self._organisation_id = request.organisation_id
        self._email_queue = request.email_task_queue
        self._state = request.state or PledgeState(
            invitation_id=request.invitation_id, plan=request.plan or ChasePlan()
        )
        if request.state is None and request.invite_at is not None:
            # The launch fell in the contact's quiet hours: the invitation waits for their morning.
            self._state.held.append(
                HeldEmail(
                    EmailKind.invitation,
                    f"invitation-{request.invitation_id}",
                    request.invite_at,
                    invitation_id=request.invitation_id,
                )
            )
        while not self._finished():
            wake = earliest(self._next_wake(), self._held_wake())
            if wake is None or wake > timedelta(0):
                # One timer to the next chase step; a new deadline or an answer wakes it early.
                with contextlib.suppress(asyncio.TimeoutError):
                    await workflow.wait_condition(
                        lambda: bool(self._effects) or self._replan or self._finished() or self._reviewing(),
                        timeout=wake,
                    )
            self._replan = False
            # Held emails first: an invitation goes before any notice that followed it.
            await self._send_held()
            while self._effects:
                await self._perform(self._effects.pop(0))
            if self._chasing():
                await self._chase()
            if self._reviewing():
                await self._review_cycle()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    def _finished(self) -> bool:
        return bool(self._state.campaign_ended) and not self._effects and not self._state.held

    def _chasing(self) -> bool:
        return self._state.status == "open" and not self._handing_over and not self._state.campaign_ended

    def _reviewing(self) -> bool:
        s = self._state
        return s.status == "signed" and s.pact_in_force_at is not None and not s.campaign_ended

    def _next_wake(self) -> timedelta | None:
        if not self._chasing():
            return None
        return next_wake(self._state.plan, self._state.chase, workflow.now())

    # ---- queries ---------------------------------------------------------------------

    @workflow.query
    def view(self) -> PledgeView:
        s = self._state
        wake = self._next_wake()
        return PledgeView(
            campaign_id=self._campaign_id,
            organisation_id=self._organisation_id,
            status=s.status,
            invitation_id=s.invitation_id,
            delegations=s.delegations,
            receipt_id=s.receipt_id,
            signer_name=s.signer_name,
            signed_at=s.signed_at,
            reminders_sent=s.chase.reminders_sent,
            escalation_level=s.chase.level,
            next_step_at=workflow.now() + wake if wake is not None else None,
            deadline_at=s.plan.deadline_at,
            chase_started_at=s.plan.started_at,
            pact_in_force_at=s.pact_in_force_at,
            problems=list(s.problems),
        )

    # ---- updates from the signatory --------------------------------------------------

    def _require_open_for(self, invitation_id: int) -> None:
        s = self._state
        if s.campaign_ended:
            raise ApplicationError(f"the campaign was {s.campaign_ended}", type=Rejection.closed)
        if s.status in ("signed", "withdrawn"):
            raise ApplicationError(
                "this pledge was already signed",
                {"signer_name": s.signer_name, "signed_at": s.signed_at.isoformat() if s.signed_at else ""},
                type=Rejection.already_signed,
            )
        if s.status == "declined":
            raise ApplicationError("this invitation was declined", type=Rejection.already_declined)
        if invitation_id in s.superseded_invitation_ids or self._handing_over:
            raise ApplicationError("this link was handed to a colleague", type=Rejection.stale_link)
        if invitation_id != s.invitation_id:
            raise ApplicationError("this link does not belong to this pledge", type=Rejection.stale_link)
        if s.status == "expired":
            raise ApplicationError("this invitation expired at its deadline", type=Rejection.expired)
        if s.status != "open":
            raise ApplicationError("another answer is being recorded", type=Rejection.busy)

    @workflow.update
    def sign(self, request: SignRequest) -> SignResult:
        """Accept a signature; the record, the campaign and the receipt email follow."""
        self._state.status = "signed"
        signed_at = workflow.now()
        receipt_id = "PF-" + workflow.uuid4().hex[:16].upper()
        self._state.receipt_id = receipt_id
        self._state.signer_name = request.signer_name.strip()
        self._state.signed_at = signed_at
        result = SignResult(receipt_id=receipt_id, signed_at=signed_at, invitation_id=request.invitation_id)
        self._effects.append(Signed(signed_at, request, result))
        return result

    @sign.validator
    def _validate_sign(self, request: SignRequest) -> None:
        self._require_open_for(request.invitation_id)
        problems = []
        if not request.signer_name.strip():
            problems.append("full name is required")
        if not request.signer_title.strip():
            problems.append("title is required")
        if len(request.signer_name) > MAX_NAME or len(request.signer_title) > MAX_NAME:
            problems.append(f"name and title are limited to {MAX_NAME} characters")
        if not request.consent:
            problems.append("consent must be given to sign")
        if problems:
            raise ApplicationError("; ".join(problems), type=Rejection.invalid)

    @workflow.update
    def decline(self, request: DeclineRequest) -> DeclineResult:
        """Record a refusal with its reason; the coordinator is told by email."""
        self._state.status = "declined"
        declined_at = workflow.now()
        self._state.declined_at = declined_at
        self._effects.append(Declined(declined_at, request))
        return DeclineResult(declined_at=declined_at)

    @decline.validator
    def _validate_decline(self, request: DeclineRequest) -> None:
        self._require_open_for(request.invitation_id)
        _require_reason(request.reason, "decline")

    @workflow.update
    def delegate(self, request: DelegateRequest) -> DelegateResult:
        """Hand the invitation to a colleague: the old link stops working now."""
        self._state.superseded_invitation_ids.append(request.invitation_id)
        self._handing_over = True
        delegated_at = workflow.now()
        self._effects.append(Delegated(delegated_at, request))
        return DelegateResult(delegated_at=delegated_at, delegate_email=request.email.strip().lower())

    @delegate.validator
    def _validate_delegate(self, request: DelegateRequest) -> None:
        self._require_open_for(request.invitation_id)
        email = request.email.strip()
        if not EMAIL_PATTERN.match(email):
            raise ApplicationError(f"'{email}' is not a valid email address", type=Rejection.invalid)
        if not request.name.strip():
            raise ApplicationError("the colleague's name is required", type=Rejection.invalid)
        if len(request.name) > MAX_NAME:
            raise ApplicationError(f"the name is limited to {MAX_NAME} characters", type=Rejection.invalid)

    @workflow.update
    def withdraw(self, request: WithdrawRequest) -> WithdrawResult:
        """Withdraw a signature with a reason; after the pact is in force it is recorded as such."""
        self._state.status = "withdrawn"
        at = workflow.now()
        self._state.withdrawn_at = at
        after = self._state.pact_in_force_at is not None
        self._effects.append(Withdrawn(at, request, after_in_force=after))
        return WithdrawResult(withdrawn_at=at, after_in_force=after)

    @withdraw.validator
    def _validate_withdraw(self, request: WithdrawRequest) -> None:
        s = self._state
        if s.campaign_ended:
            raise ApplicationError(f"the campaign was {s.campaign_ended}", type=Rejection.closed)
        if s.status == "withdrawn":
            raise ApplicationError("this signature was already withdrawn", type=Rejection.not_signed)
        if s.status != "signed" or request.invitation_id != s.invitation_id:
            raise ApplicationError(
                "there is no signature to withdraw for this link", type=Rejection.not_signed
            )
        _require_reason(request.reason, "withdraw")

    # ---- updates and signals from the coordinator and the campaign -------------------

    @workflow.update
    def reopen(self, request: ReopenRequest) -> ReopenResult:
        """Open an expired invitation again until a new deadline; a fresh link is emailed."""
        now = workflow.now()
        self._state.status = "open"
        self._state.reopenings += 1
        self._restart_chase(now, deadline=request.deadline, zone=request.timezone)
        self._effects.append(Reopened(now, request))
        return ReopenResult(invitation_id=self._state.invitation_id, deadline=request.deadline)

    @reopen.validator
    def _validate_reopen(self, request: ReopenRequest) -> None:
        if self._state.campaign_ended:
            raise ApplicationError(f"the campaign was {self._state.campaign_ended}", type=Rejection.closed)
        if self._state.status != "expired":
            raise ApplicationError(
                f"the invitation is {self._state.status}; only an expired one can be reopened",
                type=Rejection.not_expired,
            )
        _require_future_date(request.deadline, request.timezone, workflow.now())

    @workflow.update
    def extend_deadline(self, change: DeadlineChange) -> str:
        """This organisation's own new deadline; reminders are re-planned, the contact is told."""
        self._apply_deadline(change, individual=True)
        return change.deadline

    @extend_deadline.validator
    def _validate_extension(self, change: DeadlineChange) -> None:
        if self._state.campaign_ended:
            raise ApplicationError(f"the campaign was {self._state.campaign_ended}", type=Rejection.closed)
        if self._state.status != "open":
            raise ApplicationError(
                f"the invitation is {self._state.status}: extend only an open one (reopen an expired one)",
                type=Rejection.busy,
            )
        moment = _require_future_date(change.deadline, change.timezone, workflow.now())
        current = self._state.plan.deadline_at
        if current is not None and moment <= current:
            raise ApplicationError(
                f"{change.deadline} is not later than the current deadline", type=Rejection.invalid
            )

    @workflow.signal
    def campaign_deadline_changed(self, change: DeadlineChange) -> None:
        """The campaign's deadline moved; open invitations re-plan and their contacts are told."""
        if self._state.status != "open" or self._state.campaign_ended:
            return
        moment = deadline_moment(change.deadline, change.timezone)
        if moment == self._state.plan.deadline_at:
            return  # a repeated broadcast
        self._apply_deadline(change, individual=False)

    def _apply_deadline(self, change: DeadlineChange, *, individual: bool) -> None:
        self._state.plan = replace(
            self._state.plan, deadline_at=deadline_moment(change.deadline, change.timezone)
        )
        self._replan = True
        self._effects.append(DeadlineMoved(workflow.now(), change, individual=individual))

    @workflow.signal
    def remind_now(self, reminder: ReminderNow) -> None:
        """A coordinator's reminder now: sent once per request while the invitation is open."""
        s = self._state
        if s.status != "open" or s.campaign_ended or reminder.invitation_id != s.invitation_id:
            return
        if reminder.request_id in s.reminded_now:
            return  # the same request again (a retried activity, a repeated call): sent already
        s.reminded_now = [*s.reminded_now[-(REMEMBERED_REMINDERS - 1) :], reminder.request_id]
        self._effects.append(RemindedNow(workflow.now(), reminder))

    @workflow.signal
    def open_review_cycle(self, event: ReviewCycleNow) -> None:
        """A coordinator opens review cycle `event.cycle` now: it starts when this signatory waits for it."""
        if event.cycle > self._state.cycle_opened_now:
            self._state.cycle_opened_now = event.cycle
            self._replan = True

    @workflow.signal
    def escalation_handled(self, event: EscalationHandled) -> None:
        """A coordinator handled the escalation: the ladder stops for this invitation."""
        self._state.chase.ladder_stopped = True
        self._replan = True

    @workflow.signal
    def invitation_undeliverable(self, event: InvitationUndeliverable) -> None:
        """The invitation email was refused for good: stop chasing, as the database records.

        The launch reports it to the campaign (as undeliverable) and records it; a new handler
        for a new signal, so no recorded history replays differently.
        """
        s = self._state
        if s.status == "open" and event.invitation_id == s.invitation_id and not self._handing_over:
            s.status = "undeliverable"
            if event.detail:
                s.problems.append(f"invitation email refused: {event.detail}"[:500])
            self._replan = True

    @workflow.signal
    def pact_in_force(self, event: PactInForce) -> None:
        """Every group's quorum is met: this signature is no longer conditional."""
        if self._state.pact_in_force_at is None:
            self._state.pact_in_force_at = event.at
            self._replan = True  # wake the loop: review cycles start
            if self._state.status == "signed" and workflow.patched(IN_FORCE_BY_PLEDGE_PATCH):
                # The signatory's announcement, in their own working hours (the campaign no
                # longer sends it to everyone at once).
                self._effects.append(InForce(workflow.now()))

    @workflow.signal
    def campaign_ended(self, event: CampaignEnded) -> None:
        """The campaign was closed or cancelled: tell the contact (if cancelled) and stop."""
        if self._state.campaign_ended:
            return
        self._state.campaign_ended = event.reason
        self._effects.append(CampaignClosed(workflow.now(), event.reason, event.note))

    # ---- review cycles ---------------------------------------------------------------

    async def _review_cycle(self) -> None:
        """One cycle: wait for it to open, run it as a child, then continue as new.

        Returns only when the signatory withdrew or the campaign ended meanwhile.
        """
        s = self._state
        assert s.pact_in_force_at is not None
        cycle = s.cycles_done + 1
        plan = await workflow.execute_activity_method(
            ReviewActivities.plan_review_cycle,
            CyclePlanInput(
                campaign_id=self._campaign_id,
                invitation_id=s.invitation_id,
                cycle=cycle,
                in_force_at=s.pact_in_force_at,
            ),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=RETRY,
        )
        while self._reviewing() and workflow.now() < plan.times.opens_at and not self._opened_now(cycle):
            await self._send_held()  # first, so the wait below is never a zero timer
            with contextlib.suppress(asyncio.TimeoutError):
                await workflow.wait_condition(
                    lambda: bool(self._effects) or not self._reviewing() or self._opened_now(cycle),
                    timeout=earliest(plan.times.opens_at - workflow.now(), self._held_wake()),
                )
            while self._effects:
                await self._perform(self._effects.pop(0))
        if not self._reviewing():
            return
        times = plan.times
        if workflow.now() < times.opens_at:
            # Opened ahead of its date by a coordinator: the report covers the period until now,
            # is due as long after now as it would have been, and the next cycle keeps its date.
            now = workflow.now()
            due = now + (times.due_at - times.opens_at)
            times = replace(
                times, period_end=now, opens_at=now, due_at=due, closes_at=max(times.closes_at, due)
            )
        child = await workflow.start_child_workflow(
            ReviewCycleWorkflow.run,
            ReviewCycleInput(
                campaign_id=self._campaign_id,
                organisation_id=self._organisation_id,
                invitation_id=s.invitation_id,
                times=times,
                terms=plan.terms,
                standing=s.standing,
                email_task_queue=self._email_queue,
            ),
            id=review_workflow_id(self._campaign_id, self._organisation_id, cycle),
        )
        while not child.done():
            await self._send_held()
            with contextlib.suppress(asyncio.TimeoutError):
                await workflow.wait_condition(
                    lambda: child.done() or bool(self._effects) or not self._reviewing(),
                    timeout=self._held_wake(),
                )
            while self._effects:
                await self._perform(self._effects.pop(0))
            if not self._reviewing() and not child.done():
                child.cancel()
                with contextlib.suppress(BaseException):
                    await child
                return
        result = await child
        s.cycles_done, s.standing = cycle, result.standing
        # A cycle is a continue-as-new boundary: a pledge that lives for years keeps a short history.
        await workflow.wait_condition(lambda: workflow.all_handlers_finished() and not self._effects)
        workflow.continue_as_new(
            PledgeInput(
                campaign_id=self._campaign_id,
                organisation_id=self._organisation_id,
                invitation_id=s.invitation_id,
                email_task_queue=self._email_queue,
                state=s,
            )
        )

    def _opened_now(self, cycle: int) -> bool:
        """Whether a coordinator opened this cycle ahead of its date."""
        return self._state.cycle_opened_now >= cycle

    def _still_wanted(self, mail: HeldEmail) -> bool:
        """Whether a held email still says something true when its morning comes."""
        s = self._state
        if mail.kind in (EmailKind.invitation, EmailKind.deadline_extended):
            return s.status == "open" and not s.campaign_ended and mail.invitation_id == s.invitation_id
        if mail.kind == EmailKind.expiry_notice:
            return s.status == "expired"
        if mail.kind == EmailKind.pact_in_force:
            return s.status == "signed"
        return True

    async def _send_held(self) -> None:
        now = workflow.now()
        for mail in take_due(self._state.held, now):
            if not self._still_wanted(mail):
                continue
            try:
                result = await self._email(
                    mail.kind,
                    mail.step,
                    mail.params,
                    planned_at=held_date(mail, now),
                    workflow_id=mail.workflow_id,
                    invitation_id=mail.invitation_id,
                )
            except ActivityError as err:
                self._state.problems.append(f"{mail.kind}: {err.cause or err}")
                continue
            if result.outcome == "refused" and mail.step == f"invitation-{mail.invitation_id}":
                # As a launch batch reports a refused invitation: the campaign counts it undeliverable
                # and this workflow stops chasing, as the database records.
                await self._tell_campaign("undeliverable", mail.invitation_id, workflow.now())
                self.invitation_undeliverable(
                    InvitationUndeliverable(invitation_id=mail.invitation_id, detail=result.detail[:300])
                )


def _require_reason(reason: str, action: str) -> None:
    if not reason.strip():
        raise ApplicationError(f"a reason is required to {action}", type=Rejection.invalid)
    if len(reason) > MAX_REASON:
        raise ApplicationError(f"the reason is limited to {MAX_REASON} characters", type=Rejection.invalid)


def _require_future_date(value: str, zone: str, now: datetime) -> datetime:
    if not DATE_PATTERN.match(value or ""):
        raise ApplicationError(f"'{value}' is not a date (YYYY-MM-DD)", type=Rejection.invalid)
    try:
        moment = deadline_moment(value, zone)
    except (ValueError, KeyError) as exc:
        raise ApplicationError(
            f"'{value}' in '{zone}' is not a valid deadline: {exc}", type=Rejection.invalid
        ) from exc
    assert moment is not None
    if moment <= now:
        raise ApplicationError(f"the deadline {value} has already passed", type=Rejection.invalid)
    return moment
