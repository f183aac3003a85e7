"""What follows each answer or event of a pledge, performed by the workflow's main loop in order.

An update or signal changes the state at once and queues one effect (a typed record of what
happened); the loop then performs it as activities: records, the campaign's tally, emails.
Deterministic code, a base class of PledgeWorkflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, assert_never

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.records import (
        DelegateInvitationInput,
        InvitationEvent,
        RecordActivities,
        RecordDeclineInput,
        RecordSignatureInput,
    )
    from activities.signing import CompleteSignatureInput, SigningActivities
    from models.email_message import EmailKind
    from models.email_params import (
        CancellationParams,
        DeadlineParams,
        InvitationParams,
        ReminderParams,
        WithdrawalParams,
    )
    from workflows.chasing import reminders_planned
    from workflows.ids import campaign_workflow_id
    from workflows.pledge_calls import DB_TIMEOUT, EMAIL_TIMEOUT, RETRY, PledgeCalls
    from workflows.pledge_messages import (
        DeadlineChange,
        DeclineRequest,
        DelegateRequest,
        ReminderNow,
        ReopenRequest,
        SignRequest,
        SignResult,
        WithdrawRequest,
    )


@dataclass
class Signed:
    kind: ClassVar[str] = "sign"
    at: datetime
    request: SignRequest
    result: SignResult


@dataclass
class Declined:
    kind: ClassVar[str] = "decline"
    at: datetime
    request: DeclineRequest


@dataclass
class Delegated:
    kind: ClassVar[str] = "delegate"
    at: datetime
    request: DelegateRequest


@dataclass
class Withdrawn:
    kind: ClassVar[str] = "withdraw"
    at: datetime
    request: WithdrawRequest
    after_in_force: bool


@dataclass
class Reopened:
    kind: ClassVar[str] = "reopen"
    at: datetime
    request: ReopenRequest


@dataclass
class DeadlineMoved:
    kind: ClassVar[str] = "deadline"
    at: datetime
    change: DeadlineChange
    individual: bool  # this organisation's own deadline, not the campaign's


@dataclass
class CampaignClosed:
    kind: ClassVar[str] = "ended"
    at: datetime
    reason: str  # "closed" or "cancelled"
    note: str


@dataclass
class InForce:
    kind: ClassVar[str] = "in_force"
    at: datetime


@dataclass
class RemindedNow:
    kind: ClassVar[str] = "remind_now"
    at: datetime
    reminder: ReminderNow


# `kind` names the effect in the problems a query shows ("withdraw: ...").
Effect = (
    Signed
    | Declined
    | Delegated
    | Withdrawn
    | Reopened
    | DeadlineMoved
    | CampaignClosed
    | InForce
    | RemindedNow
)


class PledgeEffects(PledgeCalls):
    """The handler of each effect."""

    _effects: list[Effect]

    async def _perform(self, effect: Effect) -> None:
        try:
            match effect:
                case Signed():
                    await self._after_signing(effect)
                case Declined():
                    await self._after_declining(effect)
                case Delegated():
                    await self._after_delegating(effect)
                case Withdrawn():
                    await self._after_withdrawing(effect)
                case Reopened():
                    await self._after_reopening(effect)
                case DeadlineMoved():
                    await self._after_deadline_change(effect)
                case CampaignClosed():
                    await self._after_campaign_ended(effect)
                case InForce():
                    await self._after_in_force(effect)
                case RemindedNow():
                    await self._after_remind_now(effect)
                case _:
                    assert_never(effect)
        except ActivityError as err:
            # A domain refusal from the records (they disagree with this workflow). Keep it
            # visible in the query rather than failing the whole pledge.
            message = f"{effect.kind}: {err.cause or err}"
            workflow.logger.error("pledge effect failed: %s", message)
            self._state.problems.append(message)

    async def _after_signing(self, effect: Signed) -> None:
        await workflow.execute_activity_method(
            SigningActivities.complete_signature,
            CompleteSignatureInput(
                signature=RecordSignatureInput.of(
                    effect.request.invitation_id,
                    effect.result.receipt_id,
                    effect.request.signer.stripped(),
                    effect.result.signed_at,
                ),
                campaign_id=self._campaign_id,
                organisation_id=self._organisation_id,
                workflow_id=workflow.info().workflow_id,
            ),
            task_queue=self._email_queue,
            start_to_close_timeout=EMAIL_TIMEOUT,
            retry_policy=RETRY,
        )

    async def _after_declining(self, effect: Declined) -> None:
        request = effect.request
        await workflow.execute_activity_method(
            RecordActivities.record_decline,
            RecordDeclineInput(
                invitation_id=request.invitation_id, reason=request.reason.strip(), declined_at=effect.at
            ),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=RETRY,
        )
        await self._tell_campaign("declined", request.invitation_id, effect.at)
        await self._email(EmailKind.decline_notice, f"decline-notice-{request.invitation_id}", {})

    async def _after_delegating(self, effect: Delegated) -> None:
        request = effect.request
        try:
            successor = await workflow.execute_activity_method(
                RecordActivities.delegate_invitation,
                DelegateInvitationInput(
                    invitation_id=request.invitation_id,
                    name=request.name.strip(),
                    email=request.email.strip().lower(),
                    title=(request.title or "").strip() or None,
                    locale=request.locale,
                    delegated_at=effect.at,
                ),
                start_to_close_timeout=DB_TIMEOUT,
                retry_policy=RETRY,
            )
        finally:
            self._handing_over = False
        self._state.invitation_id = successor.invitation_id
        self._state.delegations += 1
        # The colleague is chased afresh from now, in their own time zone.
        self._restart_chase(effect.at, contact_zone=successor.contact_timezone)
        new_id = successor.invitation_id
        await self._tell_campaign("delegated", new_id, effect.at)
        # The colleague's invitation waits for their working hours; the delegator's confirmation
        # answers their own action and goes at once.
        await self._mail(EmailKind.invitation, f"invitation-{new_id}", {})
        await self._email(EmailKind.delegation_notice, f"delegation-notice-{new_id}", {})

    async def _after_withdrawing(self, effect: Withdrawn) -> None:
        request = effect.request
        await workflow.execute_activity_method(
            RecordActivities.record_withdrawal,
            InvitationEvent(
                invitation_id=request.invitation_id,
                at=effect.at,
                reason=request.reason.strip(),
                after_in_force=effect.after_in_force,
            ),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=RETRY,
        )
        await self._tell_campaign("withdrawn", request.invitation_id, effect.at)
        await self._email(
            EmailKind.withdrawal_notice,
            f"withdrawal-{request.invitation_id}",
            WithdrawalParams(after_in_force=effect.after_in_force).wire(),
        )

    async def _after_reopening(self, effect: Reopened) -> None:
        invitation_id = self._state.invitation_id
        await workflow.execute_activity_method(
            RecordActivities.reopen_invitation,
            InvitationEvent(
                invitation_id=invitation_id,
                at=effect.at,
                deadline=effect.request.deadline,
                actor=effect.request.actor,
            ),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=RETRY,
        )
        await self._tell_campaign("reopened", invitation_id, effect.at)
        await self._mail(
            EmailKind.invitation,
            f"invitation-{invitation_id}-reopened-{self._state.reopenings}",
            InvitationParams(reopened=True).wire(),
        )

    async def _after_deadline_change(self, effect: DeadlineMoved) -> None:
        change = effect.change
        invitation_id = self._state.invitation_id
        if effect.individual:
            await workflow.execute_activity_method(
                RecordActivities.set_invitation_deadline,
                InvitationEvent(
                    invitation_id=invitation_id, at=effect.at, deadline=change.deadline, actor=change.actor
                ),
                start_to_close_timeout=DB_TIMEOUT,
                retry_policy=RETRY,
            )
        if self._state.status == "open" and change.notify:
            await self._mail(
                EmailKind.deadline_extended,
                f"deadline-{invitation_id}-{change.deadline}",
                DeadlineParams(deadline=change.deadline).wire(),
            )

    async def _after_campaign_ended(self, effect: CampaignClosed) -> None:
        invitation_id = self._state.invitation_id
        # A contact whose invitation was still held never heard of the campaign: no notice.
        never_invited = any(m.step == f"invitation-{invitation_id}" for m in self._state.held)
        if self._state.status in ("open", "expired"):
            await workflow.execute_activity_method(
                RecordActivities.close_invitation,
                InvitationEvent(invitation_id=invitation_id, at=effect.at),
                start_to_close_timeout=DB_TIMEOUT,
                retry_policy=RETRY,
            )
        if effect.reason == "cancelled" and not never_invited:
            await self._mail(
                EmailKind.campaign_cancelled,
                f"cancelled-{invitation_id}",
                CancellationParams(reason=effect.note).wire(),
            )

    async def _after_in_force(self, effect: InForce) -> None:
        # The same Message-ID the campaign's batch announcement used: one email either way.
        await self._mail(
            EmailKind.pact_in_force,
            f"in-force-{self._state.invitation_id}",
            {},
            workflow_id=campaign_workflow_id(self._campaign_id),
        )

    async def _after_remind_now(self, effect: RemindedNow) -> None:
        s = self._state
        if s.status != "open" or s.campaign_ended or effect.reminder.invitation_id != s.invitation_id:
            return  # answered (or handed over) since the coordinator asked
        # Now, not held for the morning: the coordinator asked for it now. The step names the
        # request, so the same request again (or a retry) finds the email already sent.
        number = s.chase.reminders_sent + 1
        await self._email(
            EmailKind.reminder,
            f"remind-now-{effect.reminder.request_id}-{s.invitation_id}",
            ReminderParams(number=number, total=max(number, reminders_planned(s.plan))).wire(),
        )
