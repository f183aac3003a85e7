"""Compose the emails about one invitation: the invitation, the chase, the answers, the pact."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from models.email_message import EmailKind
from models.email_params import (
    CancellationParams,
    DeadlineParams,
    EscalationParams,
    InvitationParams,
    ReminderParams,
    WithdrawalParams,
)
from models.escalation import Escalation
from models.invitation import Invitation, InvitationStatus
from models.organisation import Organisation
from pledgeflow.errors import Conflict, not_found
from pledgeflow.links import LinkPurpose
from services import campaigns, invitations, signatures
from services.invitations import InvitationView
from services.notifications.base import (
    COORDINATOR_LOCALE,
    Draft,
    LinkContext,
    MailRef,
    coordinator_address,
    deadline_of,
    link,
    pledge_context,
)


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


def _to_contact(kind: EmailKind, view: InvitationView, context: dict[str, Any]) -> Draft:
    return Draft(
        kind=kind,
        to=[view.contact.email],
        locale=view.contact.locale,
        country=view.organisation.country,
        campaign_id=view.campaign.id,
        invitation_id=view.invitation.id,
        context={**_invitation_basics(view), **context},
    )


def _to_coordinator(kind: EmailKind, view: InvitationView, context: dict[str, Any]) -> Draft:
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
        EmailKind.invitation,
        view,
        {
            "pledge": pledge_context(view.pledge, view.contact.locale),
            "link": link(links, LinkPurpose.sign, ref.invitation_id, ref.planned_at, "s"),
            "reopened": InvitationParams.read(ref.params).reopened,
        },
    )


def signature_confirmation(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """The receipt, to the person who signed, with a link to withdraw."""
    view = invitations.view(session, ref.invitation_id)
    signature = signatures.for_invitation(session, ref.invitation_id)
    if signature is None:
        raise Conflict(f"invitation {ref.invitation_id} has no signature to confirm yet")
    return _to_contact(
        EmailKind.signature_confirmation,
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
    return _to_coordinator(EmailKind.decline_notice, view, {"reason": view.invitation.decline_reason or ""})


def delegation_notice(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """Tells the delegating contact that their colleague now has the invitation."""
    view = invitations.view(session, ref.invitation_id)
    if view.delegated_by is None:
        raise Conflict(f"invitation {ref.invitation_id} was not delegated")
    draft = _to_contact(
        EmailKind.delegation_notice,
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
    params = ReminderParams.read(ref.params)
    return _to_contact(
        EmailKind.reminder,
        view,
        {
            "number": int(params.number),
            "total": int(params.total),
            "pledge": pledge_context(view.pledge, view.contact.locale),
            "link": link(links, LinkPurpose.sign, ref.invitation_id, ref.planned_at, "s"),
        },
    )


def escalation(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """One level of the ladder, to the recipient recorded on the escalation."""
    view = invitations.view(session, ref.invitation_id)
    params = EscalationParams.read(ref.params)
    row = session.get(Escalation, int(params.escalation_id))
    if row is None:
        raise not_found("escalation", params.escalation_id)
    locale = (
        view.contact.locale if row.recipient_role in ("contact", "escalation_contact") else COORDINATOR_LOCALE
    )
    return Draft(
        kind=EmailKind.escalation,
        to=[row.recipient_email],
        cc=[c for c in (row.cc or "").split(", ") if c],
        locale=locale,
        country=view.organisation.country if locale != COORDINATOR_LOCALE else None,
        campaign_id=view.campaign.id,
        invitation_id=view.invitation.id,
        context={
            **_invitation_basics(view),
            "level": row.level,
            "levels": int(params.levels or row.level),
            "recipient_role": row.recipient_role,
            # The planned recipient had no address (no escalation contact on file): say so.
            "fallback": row.recipient_role != (params.role or row.recipient_role),
            "last_level": bool(params.last_level),
            "link": link(links, LinkPurpose.sign, ref.invitation_id, ref.planned_at, "s")
            if row.recipient_role == "contact"
            else "",
        },
    )


def expiry_notice(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """The invitation expired at the deadline; whom to contact."""
    return _to_contact(EmailKind.expiry_notice, invitations.view(session, ref.invitation_id), {})


def deadline_extended(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """The deadline moved; the new date and the link."""
    view = invitations.view(session, ref.invitation_id)
    return _to_contact(
        EmailKind.deadline_extended,
        view,
        {
            "deadline": str(DeadlineParams.read(ref.params).deadline or (deadline_of(view) or "")),
            "link": link(links, LinkPurpose.sign, ref.invitation_id, ref.planned_at, "s"),
        },
    )


def withdrawal_notice(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """Tells the coordinator that a signatory withdrew, and whether the pact was in force."""
    view = invitations.view(session, ref.invitation_id)
    signature = signatures.for_invitation(session, ref.invitation_id)
    return _to_coordinator(
        EmailKind.withdrawal_notice,
        view,
        {
            "reason": signature.withdrawal_reason if signature else "",
            "after_in_force": bool(WithdrawalParams.read(ref.params).after_in_force),
        },
    )


def campaign_cancelled(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """Everyone invited is told that the campaign was cancelled."""
    view = invitations.view(session, ref.invitation_id)
    reason = CancellationParams.read(ref.params).reason
    return _to_contact(EmailKind.campaign_cancelled, view, {"reason": str(reason)})


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
        draft = _to_contact(EmailKind.pact_in_force, view, {})
        campaign = view.campaign
    else:
        campaign = campaigns.get_or_raise(session, ref.campaign_id)
        draft = Draft(
            kind=EmailKind.pact_in_force,
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
