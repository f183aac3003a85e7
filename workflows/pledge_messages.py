"""What PledgeWorkflow takes, returns, queries and signals: plain dataclasses.

They live outside workflows/pledge.py because the workflow sandbox proxies `datetime`, and a
dataclass defined inside a sandboxed module could not decode its datetime fields (state carried
over continue-as-new, signals). Imported through the sandbox, they decode normally. New fields
always get defaults, so running workflows keep decoding old payloads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from workflows.chasing import ChasePlan, ChaseState
from workflows.quiet_hours import HeldEmail

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PledgeBroadcast(StrEnum):
    """The signals CampaignWorkflow sends to every pledge, by the names PledgeWorkflow declares them.

    A broadcast travels inside an activity's input (histories keep it), so it is named, not a
    method reference; the values are the wire names and must not change.
    """

    pact_in_force = "pact_in_force"
    campaign_deadline_changed = "campaign_deadline_changed"
    campaign_ended = "campaign_ended"
    remind_now = "remind_now"
    open_review_cycle = "open_review_cycle"


class Rejection:
    """Error types that update validators raise; the API maps each to a page or a problem."""

    invalid = "InvalidRequest"
    already_signed = "AlreadySigned"
    already_declined = "AlreadyDeclined"
    stale_link = "StaleLink"
    busy = "Busy"
    closed = "CampaignEnded"
    expired = "Expired"
    not_signed = "NotSigned"
    not_expired = "NotExpired"


@dataclass
class Signer:
    """The facts of the person who signs, as they typed them and as the request arrived."""

    name: str
    title: str
    publish_name: bool = False
    ip: str | None = None
    user_agent: str | None = None
    pledge_language: str | None = None  # the text they read and signed; None: the original

    def stripped(self) -> Signer:
        """The same facts with the typed name and title trimmed."""
        return replace(self, name=self.name.strip(), title=self.title.strip())


@dataclass
class SignRequest:
    """The sign update's input. Its fields stay flat: recorded histories carry this shape."""

    invitation_id: int
    signer_name: str
    signer_title: str
    consent: bool
    publish_name: bool = False
    ip: str | None = None
    user_agent: str | None = None
    # Added with pledge translations: recorded histories have no such field and signed the original.
    pledge_language: str | None = None

    @classmethod
    def of(cls, invitation_id: int, signer: Signer, *, consent: bool) -> SignRequest:
        """The request that carries this signer's facts."""
        return cls(
            invitation_id=invitation_id,
            signer_name=signer.name,
            signer_title=signer.title,
            consent=consent,
            publish_name=signer.publish_name,
            ip=signer.ip,
            user_agent=signer.user_agent,
            pledge_language=signer.pledge_language,
        )

    @property
    def signer(self) -> Signer:
        """The signer's facts this request carries."""
        return Signer(
            self.signer_name,
            self.signer_title,
            self.publish_name,
            self.ip,
            self.user_agent,
            self.pledge_language,
        )


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
class WithdrawRequest:
    invitation_id: int
    reason: str


@dataclass
class WithdrawResult:
    withdrawn_at: datetime
    after_in_force: bool


@dataclass
class DeadlineChange:
    """A new deadline (ISO date) in the campaign's time zone, for one organisation or all."""

    deadline: str
    timezone: str = "UTC"
    actor: str = "system"
    notify: bool = True  # False: re-plan the chase without a deadline_extended email


@dataclass
class ReminderNow:
    """A coordinator's reminder to this invitation now, once per request."""

    invitation_id: int
    request_id: str
    actor: str = "system"


@dataclass
class ReviewCycleNow:
    """Open review cycle `cycle` now (when this signatory waits for it), not at its date."""

    cycle: int
    actor: str = "system"


@dataclass
class ReopenRequest:
    deadline: str  # ISO date
    timezone: str = "UTC"
    actor: str = "system"


@dataclass
class ReopenResult:
    invitation_id: int
    deadline: str


@dataclass
class EscalationHandled:
    escalation_id: int
    actor: str = "system"


@dataclass
class CampaignEnded:
    reason: str  # "closed" or "cancelled"
    note: str = ""  # the coordinator's words, passed on to those invited


@dataclass
class InvitationUndeliverable:
    """The SMTP server refused the invitation email for good (5xx): there is no link to chase."""

    invitation_id: int
    detail: str = ""


@dataclass
class PactInForce:
    at: datetime


@dataclass
class MemberChange:
    """Sent to the campaign workflow when an organisation's answer changes."""

    organisation_id: int
    invitation_id: int
    event: str  # "signed", "declined", "delegated", "withdrawn", "expired", "reopened"
    at: datetime


@dataclass
class PledgeState:
    """What survives continue-as-new; every field has a default so old payloads decode."""

    status: str = "open"  # open, signed, declined, expired, withdrawn, undeliverable
    invitation_id: int = 0
    superseded_invitation_ids: list[int] = field(default_factory=list)
    delegations: int = 0
    receipt_id: str = ""
    signer_name: str = ""
    signed_at: datetime | None = None
    declined_at: datetime | None = None
    withdrawn_at: datetime | None = None
    pact_in_force_at: datetime | None = None
    campaign_ended: str = ""
    plan: ChasePlan = field(default_factory=ChasePlan)
    chase: ChaseState = field(default_factory=ChaseState)
    skipped_steps: int = 0  # steps that fell due while no worker ran, collapsed into one
    reopenings: int = 0
    cycles_done: int = 0  # review cycles finished; each one ends in continue-as-new
    standing: str = "good"
    problems: list[str] = field(default_factory=list)
    held: list[HeldEmail] = field(default_factory=list)  # emails waiting for the recipient's morning
    cycle_opened_now: int = 0  # the highest review cycle a coordinator opened ahead of its date
    reminded_now: list[str] = field(default_factory=list)  # the latest reminder-now request ids


@dataclass
class PledgeInput:
    campaign_id: int
    organisation_id: int
    invitation_id: int
    email_task_queue: str = "pledgeflow-email"
    plan: ChasePlan | None = None
    state: PledgeState | None = None
    # Set when the launch fell in the contact's quiet hours: the workflow sends its own invitation then.
    invite_at: datetime | None = None


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
    reminders_sent: int
    escalation_level: int
    next_step_at: datetime | None
    deadline_at: datetime | None
    chase_started_at: datetime | None
    pact_in_force_at: datetime | None
    problems: list[str]
