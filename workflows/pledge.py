"""PledgeWorkflow: one organisation's answer to a campaign's invitation.

The signatory's actions arrive as updates. Each update is validated (a bad or second
signature never reaches history), changes the workflow's state at once and returns, so the
page answers quickly; the main loop then performs the effects (records, emails, telling the
campaign) as activities, in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.email import EmailActivities, SendEmailInput
    from activities.records import (
        DelegateInvitationInput,
        RecordActivities,
        RecordDeclineInput,
        RecordSignatureInput,
    )
    from workflows.ids import campaign_workflow_id

DB_TIMEOUT = timedelta(seconds=60)
EMAIL_TIMEOUT = timedelta(minutes=2)
# Keep trying through an outage of the database or the SMTP server; nothing is lost.
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=5),
    non_retryable_error_types=["Conflict", "NotFound", "InvalidInput"],
)
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_NAME = 200
MAX_REASON = 2000


class Rejection:
    """Error types that update validators raise; the API maps each to a page."""

    invalid = "InvalidRequest"
    already_signed = "AlreadySigned"
    already_declined = "AlreadyDeclined"
    stale_link = "StaleLink"
    busy = "Busy"
    closed = "CampaignEnded"


@dataclass
class SignRequest:
    invitation_id: int
    signer_name: str
    signer_title: str
    consent: bool
    publish_name: bool = False
    ip: str | None = None
    user_agent: str | None = None


@dataclass
class SignResult:
    receipt_id: str
    signed_at: datetime
    invitation_id: int


@dataclass
class DeclineRequest:
    invitation_id: int
    reason: str


@dataclass
class DeclineResult:
    declined_at: datetime


@dataclass
class DelegateRequest:
    invitation_id: int
    name: str
    email: str
    title: str | None = None
    locale: str = "en"


@dataclass
class DelegateResult:
    delegated_at: datetime
    delegate_email: str


@dataclass
class CampaignEnded:
    reason: str  # "closed" or "cancelled"


@dataclass
class MemberChange:
    """Sent to the campaign workflow when an organisation's answer changes."""

    organisation_id: int
    invitation_id: int
    event: str  # "signed", "declined", "delegated"
    at: datetime


@dataclass
class PledgeState:
    """What survives continue-as-new; every field has a default so old payloads decode."""

    status: str = "open"  # open, signed, declined, ended
    invitation_id: int = 0
    superseded_invitation_ids: list[int] = field(default_factory=list)
    delegations: int = 0
    receipt_id: str = ""
    signer_name: str = ""
    signed_at: datetime | None = None
    declined_at: datetime | None = None
    campaign_ended: str = ""
    problems: list[str] = field(default_factory=list)


@dataclass
class PledgeInput:
    campaign_id: int
    organisation_id: int
    invitation_id: int
    email_task_queue: str = "pledgeflow-email"
    state: PledgeState | None = None


@dataclass
class PledgeView:
    """The query answer: where this organisation stands."""

    campaign_id: int
    organisation_id: int
    status: str
    invitation_id: int
    delegations: int
    receipt_id: str
    signer_name: str
    signed_at: datetime | None
    problems: list[str]


@dataclass
class _Effect:
    kind: str
    sign: SignRequest | None = None
    sign_result: SignResult | None = None
    decline: DeclineRequest | None = None
    delegate: DelegateRequest | None = None
    at: datetime | None = None


@workflow.defn
class PledgeWorkflow:
    def __init__(self) -> None:
        self._campaign_id = 0
        self._email_queue = ""
        self._organisation_id = 0
        self._state = PledgeState()
        self._effects: list[_Effect] = []
        self._handing_over = False

    # ---- run -------------------------------------------------------------------------

    @workflow.run
    async def run(self, request: PledgeInput) -> PledgeView:
        self._campaign_id = request.campaign_id
        self._email_queue = request.email_task_queue
        self._organisation_id = request.organisation_id
        self._state = request.state or PledgeState(invitation_id=request.invitation_id)
        while True:
            await workflow.wait_condition(lambda: bool(self._effects) or self._finished())
            while self._effects:
                await self._perform(self._effects.pop(0))
            if self._finished():
                break
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    def _finished(self) -> bool:
        return bool(self._state.campaign_ended) and not self._effects

    # ---- queries ---------------------------------------------------------------------

    @workflow.query
    def view(self) -> PledgeView:
        s = self._state
        return PledgeView(
            campaign_id=self._campaign_id,
            organisation_id=self._organisation_id,
            status=s.status,
            invitation_id=s.invitation_id,
            delegations=s.delegations,
            receipt_id=s.receipt_id,
            signer_name=s.signer_name,
            signed_at=s.signed_at,
            problems=list(s.problems),
        )

    # ---- updates ---------------------------------------------------------------------

    def _require_open_for(self, invitation_id: int) -> None:
        s = self._state
        if s.campaign_ended:
            raise ApplicationError(f"the campaign was {s.campaign_ended}", type=Rejection.closed)
        if s.status == "signed":
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
        if s.status != "open":
            raise ApplicationError("another answer is being recorded", type=Rejection.busy)

    @workflow.update
    def sign(self, request: SignRequest) -> SignResult:
        """Accept a signature; the record, the receipt email and the campaign follow."""
        self._state.status = "signed"
        signed_at = workflow.now()
        receipt_id = "PF-" + workflow.uuid4().hex[:16].upper()
        self._state.receipt_id = receipt_id
        self._state.signer_name = request.signer_name.strip()
        self._state.signed_at = signed_at
        result = SignResult(receipt_id=receipt_id, signed_at=signed_at, invitation_id=request.invitation_id)
        self._effects.append(_Effect("sign", sign=request, sign_result=result, at=signed_at))
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
        self._effects.append(_Effect("decline", decline=request, at=declined_at))
        return DeclineResult(declined_at=declined_at)

    @decline.validator
    def _validate_decline(self, request: DeclineRequest) -> None:
        self._require_open_for(request.invitation_id)
        if not request.reason.strip():
            raise ApplicationError("a reason is required to decline", type=Rejection.invalid)
        if len(request.reason) > MAX_REASON:
            raise ApplicationError(
                f"the reason is limited to {MAX_REASON} characters", type=Rejection.invalid
            )

    @workflow.update
    def delegate(self, request: DelegateRequest) -> DelegateResult:
        """Hand the invitation to a colleague: the old link stops working now."""
        self._state.superseded_invitation_ids.append(request.invitation_id)
        self._handing_over = True
        delegated_at = workflow.now()
        self._effects.append(_Effect("delegate", delegate=request, at=delegated_at))
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

    # ---- signals ---------------------------------------------------------------------

    @workflow.signal
    def campaign_ended(self, event: CampaignEnded) -> None:
        """The campaign was closed or cancelled: stop waiting."""
        self._state.campaign_ended = event.reason

    # ---- effects ---------------------------------------------------------------------

    async def _perform(self, effect: _Effect) -> None:
        try:
            if effect.kind == "sign":
                await self._after_signing(effect)
            elif effect.kind == "decline":
                await self._after_declining(effect)
            elif effect.kind == "delegate":
                await self._after_delegating(effect)
        except ActivityError as err:
            # A domain refusal from the records (they disagree with this workflow). Keep it
            # visible in the query rather than failing the whole pledge.
            message = f"{effect.kind}: {err.cause or err}"
            workflow.logger.error("pledge effect failed: %s", message)
            self._state.problems.append(message)

    async def _after_signing(self, effect: _Effect) -> None:
        assert effect.sign is not None and effect.sign_result is not None and effect.at is not None
        request, result = effect.sign, effect.sign_result
        await workflow.execute_activity_method(
            RecordActivities.record_signature,
            RecordSignatureInput(
                invitation_id=request.invitation_id,
                receipt_id=result.receipt_id,
                signer_name=request.signer_name.strip(),
                signer_title=request.signer_title.strip(),
                signed_at=result.signed_at,
                publish_name=request.publish_name,
                ip=request.ip,
                user_agent=request.user_agent,
            ),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=RETRY,
        )
        await self._tell_campaign("signed", request.invitation_id, effect.at)
        await self._email(
            "signature_confirmation", request.invitation_id, f"confirmation-{request.invitation_id}"
        )

    async def _after_declining(self, effect: _Effect) -> None:
        assert effect.decline is not None and effect.at is not None
        await workflow.execute_activity_method(
            RecordActivities.record_decline,
            RecordDeclineInput(
                invitation_id=effect.decline.invitation_id,
                reason=effect.decline.reason.strip(),
                declined_at=effect.at,
            ),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=RETRY,
        )
        invitation_id = effect.decline.invitation_id
        await self._tell_campaign("declined", invitation_id, effect.at)
        await self._email("decline_notice", invitation_id, f"decline-notice-{invitation_id}")

    async def _after_delegating(self, effect: _Effect) -> None:
        assert effect.delegate is not None and effect.at is not None
        request = effect.delegate
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
        await self._tell_campaign("delegated", successor.invitation_id, effect.at)
        await self._email("invitation", successor.invitation_id, f"invitation-{successor.invitation_id}")
        await self._email(
            "delegation_notice", successor.invitation_id, f"delegation-notice-{successor.invitation_id}"
        )

    async def _email(self, kind: str, invitation_id: int, step: str) -> None:
        await workflow.execute_activity_method(
            EmailActivities.send_email,
            SendEmailInput(
                kind=kind,
                workflow_id=workflow.info().workflow_id,
                step=step,
                planned_at=workflow.now(),
                invitation_id=invitation_id,
            ),
            task_queue=self._email_queue,
            start_to_close_timeout=EMAIL_TIMEOUT,
            retry_policy=RETRY,
        )

    async def _tell_campaign(self, event: str, invitation_id: int, at: datetime) -> None:
        handle = workflow.get_external_workflow_handle(campaign_workflow_id(self._campaign_id))
        try:
            await handle.signal(
                "member_changed", MemberChange(self._organisation_id, invitation_id, event, at)
            )
        except ApplicationError as err:
            self._state.problems.append(f"could not tell the campaign: {err}")
