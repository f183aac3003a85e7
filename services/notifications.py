"""Compose each kind of email from the records: who gets it, in which language, with what."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from models.campaign import Campaign
from models.escalation import Escalation
from models.invitation import Invitation, InvitationStatus
from models.organisation import Organisation
from models.pledge import Pledge
from pledgeflow.errors import Conflict, not_found
from pledgeflow.links import LinkPurpose, LinkSigner
from services import campaigns, invitations, signatures
from services.invitations import InvitationView

COORDINATOR_LOCALE = "en"


@dataclass
class LinkContext:
    """What composers need to build links."""

    signer: LinkSigner
    base_url: str
    ttl: timedelta


@dataclass
class MailRef:
    """What an email is about: an invitation, or (for campaign-wide notices) a campaign."""

    planned_at: datetime
    invitation_id: int = 0
    campaign_id: int = 0
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Draft:
    """An email before rendering: its kind, recipients, language and template values."""

    kind: str
    to: list[str]
    locale: str
    context: dict[str, Any]
    cc: list[str] = field(default_factory=list)
    campaign_id: int | None = None
    invitation_id: int | None = None


def pledge_context(pledge: Pledge) -> dict[str, Any]:
    """The pledge as templates show it."""
    return {
        "title": pledge.title,
        "introduction": pledge.introduction,
        "version": pledge.version,
        "sha256": pledge.sha256,
        "commitments": [
            {"key": c.key, "text": c.text, "factors": [f.value for f in c.factors]}
            for c in pledge.commitment_models()
        ],
    }


def coordinator_address(campaign: Campaign) -> str:
    """Where notices for the coordinator go."""
    if not campaign.coordinator_email:
        raise Conflict(f"campaign {campaign.id} has no coordinator email for notices")
    return str(campaign.coordinator_email)


def link(links: LinkContext, purpose: LinkPurpose, subject_id: int, issued_at: datetime, path: str) -> str:
    """A signed link for a page, valid for the configured time."""
    token = links.signer.make(subject_id, purpose, issued_at + links.ttl)
    return f"{links.base_url}/{path}/{token}"


def deadline_of(view: InvitationView) -> date | None:
    """The invitation's own deadline, or the campaign's."""
    return view.invitation.deadline or view.campaign.signature_deadline


def _invitation_basics(view: InvitationView) -> dict[str, Any]:
    deadline = deadline_of(view)
    return {
        "contact_name": view.contact.name,
        "contact_email": view.contact.email,
        "organisation_name": view.organisation.name,
        "campaign_title": view.campaign.title,
        "coordinator_email": view.campaign.coordinator_email or "",
        "deadline": deadline.isoformat() if deadline else "",
        "delegated_by": view.delegated_by.name if view.delegated_by else "",
    }


def _to_contact(kind: str, view: InvitationView, context: dict[str, Any]) -> Draft:
    return Draft(
        kind=kind,
        to=[view.contact.email],
        locale=view.contact.locale,
        campaign_id=view.campaign.id,
        invitation_id=view.invitation.id,
        context={**_invitation_basics(view), **context},
    )


def _to_coordinator(kind: str, view: InvitationView, context: dict[str, Any]) -> Draft:
    return Draft(
        kind=kind,
        to=[coordinator_address(view.campaign)],
        locale=COORDINATOR_LOCALE,
        campaign_id=view.campaign.id,
        invitation_id=view.invitation.id,
        context={**_invitation_basics(view), **context},
    )


# ---- about one invitation -------------------------------------------------------------


def invitation(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """The invitation to sign, with the link, to the invited contact."""
    view = invitations.view(session, ref.invitation_id)
    return _to_contact(
        "invitation",
        view,
        {
            "pledge": pledge_context(view.pledge),
            "link": link(links, LinkPurpose.sign, ref.invitation_id, ref.planned_at, "s"),
            "reopened": bool(ref.params.get("reopened")),
        },
    )


def signature_confirmation(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """The receipt, to the person who signed, with a link to withdraw."""
    view = invitations.view(session, ref.invitation_id)
    signature = signatures.for_invitation(session, ref.invitation_id)
    if signature is None:
        raise Conflict(f"invitation {ref.invitation_id} has no signature to confirm yet")
    return _to_contact(
        "signature_confirmation",
        view,
        {
            "signer_name": signature.signer_name,
            "signer_title": signature.signer_title,
            "receipt_id": signature.receipt_id,
            "pledge_sha256": signature.pledge_sha256,
            "pledge_version": signature.pledge_version,
            "signed_at": signature.signed_at.isoformat(timespec="seconds"),
            "receipt_link": f"{links.base_url}/receipts/{signature.receipt_id}",
            "withdraw_link": link(links, LinkPurpose.withdraw, ref.invitation_id, ref.planned_at, "w"),
        },
    )


def decline_notice(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """Tells the coordinator that an organisation declined, and why."""
    view = invitations.view(session, ref.invitation_id)
    return _to_coordinator("decline_notice", view, {"reason": view.invitation.decline_reason or ""})


def delegation_notice(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """Tells the delegating contact that their colleague now has the invitation."""
    view = invitations.view(session, ref.invitation_id)
    if view.delegated_by is None:
        raise Conflict(f"invitation {ref.invitation_id} was not delegated")
    draft = _to_contact(
        "delegation_notice",
        view,
        {
            "delegator_name": view.delegated_by.name,
            "delegate_name": view.contact.name,
            "delegate_email": view.contact.email,
        },
    )
    draft.to, draft.locale = [view.delegated_by.email], view.delegated_by.locale
    return draft


def reminder(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """Reminder number n of the planned ones, with the deadline and the link."""
    view = invitations.view(session, ref.invitation_id)
    return _to_contact(
        "reminder",
        view,
        {
            "number": int(ref.params.get("number", 1)),
            "total": int(ref.params.get("total", 1)),
            "pledge": pledge_context(view.pledge),
            "link": link(links, LinkPurpose.sign, ref.invitation_id, ref.planned_at, "s"),
        },
    )


def escalation(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """One level of the ladder, to the recipient recorded on the escalation."""
    view = invitations.view(session, ref.invitation_id)
    row = session.get(Escalation, int(ref.params["escalation_id"]))
    if row is None:
        raise not_found("escalation", ref.params["escalation_id"])
    locale = (
        view.contact.locale if row.recipient_role in ("contact", "escalation_contact") else COORDINATOR_LOCALE
    )
    return Draft(
        kind="escalation",
        to=[row.recipient_email],
        cc=[c for c in (row.cc or "").split(", ") if c],
        locale=locale,
        campaign_id=view.campaign.id,
        invitation_id=view.invitation.id,
        context={
            **_invitation_basics(view),
            "level": row.level,
            "levels": int(ref.params.get("levels", row.level)),
            "recipient_role": row.recipient_role,
            # The planned recipient had no address (no escalation contact on file): say so.
            "fallback": row.recipient_role != ref.params.get("role", row.recipient_role),
            "last_level": bool(ref.params.get("last_level")),
            "link": link(links, LinkPurpose.sign, ref.invitation_id, ref.planned_at, "s")
            if row.recipient_role == "contact"
            else "",
        },
    )


def expiry_notice(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """The invitation expired at the deadline; whom to contact."""
    return _to_contact("expiry_notice", invitations.view(session, ref.invitation_id), {})


def deadline_extended(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """The deadline moved; the new date and the link."""
    view = invitations.view(session, ref.invitation_id)
    return _to_contact(
        "deadline_extended",
        view,
        {
            "deadline": str(ref.params.get("deadline") or (deadline_of(view) or "")),
            "link": link(links, LinkPurpose.sign, ref.invitation_id, ref.planned_at, "s"),
        },
    )


def withdrawal_notice(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """Tells the coordinator that a signatory withdrew, and whether the pact was in force."""
    view = invitations.view(session, ref.invitation_id)
    signature = signatures.for_invitation(session, ref.invitation_id)
    return _to_coordinator(
        "withdrawal_notice",
        view,
        {
            "reason": signature.withdrawal_reason if signature else "",
            "after_in_force": bool(ref.params.get("after_in_force")),
        },
    )


def campaign_cancelled(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """Everyone invited is told that the campaign was cancelled."""
    view = invitations.view(session, ref.invitation_id)
    return _to_contact("campaign_cancelled", view, {"reason": str(ref.params.get("reason", ""))})


def _signatory_names(session: Session, campaign_id: int) -> list[str]:
    rows = session.exec(
        select(Organisation.name)
        .join(Invitation, col(Invitation.organisation_id) == Organisation.id)
        .where(Invitation.campaign_id == campaign_id, Invitation.status == InvitationStatus.signed)
        .order_by(col(Organisation.name))
    ).all()
    return list(rows)


def pact_in_force(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """The pact is in force: to a signatory (by invitation) or the coordinator (by campaign)."""
    if ref.invitation_id:
        view = invitations.view(session, ref.invitation_id)
        draft = _to_contact("pact_in_force", view, {})
        campaign = view.campaign
    else:
        campaign = campaigns.get_or_raise(session, ref.campaign_id)
        draft = Draft(
            kind="pact_in_force",
            to=[coordinator_address(campaign)],
            locale=COORDINATOR_LOCALE,
            campaign_id=campaign.id,
            context={"contact_name": "", "campaign_title": campaign.title, "organisation_name": ""},
        )
    draft.context.update(
        {
            "in_force_at": campaign.in_force_at.isoformat(timespec="minutes") if campaign.in_force_at else "",
            "signatories": _signatory_names(session, campaign.id or 0),
            "register_link": f"{links.base_url}/register/{campaign.register_key}",
        }
    )
    return draft


# ---- about a whole campaign, to its coordinator ---------------------------------------


def _coordinator_notice(kind: str) -> Callable[[Session, LinkContext, MailRef], Draft]:
    def compose(session: Session, links: LinkContext, ref: MailRef) -> Draft:
        campaign = campaigns.get_or_raise(session, ref.campaign_id)
        return Draft(
            kind=kind,
            to=[coordinator_address(campaign)],
            locale=COORDINATOR_LOCALE,
            campaign_id=campaign.id,
            context={"campaign_title": campaign.title, "campaign_id": campaign.id, **ref.params},
        )

    compose.__doc__ = f"The coordinator's '{kind}' notice about the whole campaign."
    return compose


def audit_checkpoint(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """The audit log's head hash, to one auditor."""
    return Draft(
        kind="audit_checkpoint",
        to=[str(ref.params["auditor"])],
        locale=COORDINATOR_LOCALE,
        context={
            key: ref.params.get(key)
            for key in ("head_seq", "head_hash", "intact", "first_bad_seq", "problem", "taken_at")
        },
    )


Composer = Callable[[Session, LinkContext, MailRef], Draft]

COMPOSERS: dict[str, Composer] = {
    "invitation": invitation,
    "signature_confirmation": signature_confirmation,
    "decline_notice": decline_notice,
    "delegation_notice": delegation_notice,
    "reminder": reminder,
    "escalation": escalation,
    "expiry_notice": expiry_notice,
    "deadline_extended": deadline_extended,
    "withdrawal_notice": withdrawal_notice,
    "campaign_cancelled": campaign_cancelled,
    "pact_in_force": pact_in_force,
    "progress_notice": _coordinator_notice("progress_notice"),
    "quorum_unreachable": _coordinator_notice("quorum_unreachable"),
    "quorum_broken": _coordinator_notice("quorum_broken"),
    "audit_checkpoint": audit_checkpoint,
}


def _register_report_composers() -> None:
    # Imported here: the report composers build on this module's Draft, MailRef and helpers.
    from services.report_notifications import REPORT_COMPOSERS

    COMPOSERS.update(REPORT_COMPOSERS)


_register_report_composers()


def compose(session: Session, links: LinkContext, *, kind: str, ref: MailRef) -> Draft:
    """The draft for one kind of email; an unknown kind raises KeyError."""
    try:
        composer = COMPOSERS[kind]
    except KeyError:
        raise KeyError(f"no composer for email kind '{kind}'") from None
    return composer(session, links, ref)
