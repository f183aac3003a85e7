"""Compose each kind of email from the records: who gets it, in which language, with what."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from models.campaign import Campaign
from models.pledge import Pledge
from pledgeflow.errors import Conflict
from pledgeflow.links import LinkPurpose, LinkSigner
from services import invitations, signatures


@dataclass
class LinkContext:
    """What composers need to build links."""

    signer: LinkSigner
    base_url: str
    ttl: timedelta


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


def sign_link(links: LinkContext, invitation_id: int, issued_at: datetime) -> str:
    """The signing page link for an invitation, valid for the configured time."""
    token = links.signer.make(invitation_id, LinkPurpose.sign, issued_at + links.ttl)
    return f"{links.base_url}/s/{token}"


def invitation(
    session: Session, links: LinkContext, *, invitation_id: int, planned_at: datetime, params: dict[str, Any]
) -> Draft:
    """The invitation to sign, with the link, to the invited contact."""
    view = invitations.view(session, invitation_id)
    return Draft(
        kind="invitation",
        to=[view.contact.email],
        locale=view.contact.locale,
        campaign_id=view.campaign.id,
        invitation_id=invitation_id,
        context={
            "contact_name": view.contact.name,
            "organisation_name": view.organisation.name,
            "campaign_title": view.campaign.title,
            "coordinator_email": view.campaign.coordinator_email or "",
            "deadline": view.campaign.signature_deadline.isoformat()
            if view.campaign.signature_deadline
            else "",
            "delegated_by": view.delegated_by.name if view.delegated_by else "",
            "pledge": pledge_context(view.pledge),
            "link": sign_link(links, invitation_id, planned_at),
        },
    )


def signature_confirmation(
    session: Session, links: LinkContext, *, invitation_id: int, planned_at: datetime, params: dict[str, Any]
) -> Draft:
    """The receipt, to the person who signed."""
    view = invitations.view(session, invitation_id)
    signature = signatures.for_invitation(session, invitation_id)
    if signature is None:
        raise Conflict(f"invitation {invitation_id} has no signature to confirm yet")
    return Draft(
        kind="signature_confirmation",
        to=[view.contact.email],
        locale=view.contact.locale,
        campaign_id=view.campaign.id,
        invitation_id=invitation_id,
        context={
            "contact_name": view.contact.name,
            "signer_name": signature.signer_name,
            "signer_title": signature.signer_title,
            "organisation_name": view.organisation.name,
            "campaign_title": view.campaign.title,
            "receipt_id": signature.receipt_id,
            "pledge_sha256": signature.pledge_sha256,
            "pledge_version": signature.pledge_version,
            "signed_at": signature.signed_at.isoformat(timespec="seconds"),
            "receipt_link": f"{links.base_url}/receipts/{signature.receipt_id}",
            "delegated_by": view.delegated_by.name if view.delegated_by else "",
        },
    )


def decline_notice(
    session: Session, links: LinkContext, *, invitation_id: int, planned_at: datetime, params: dict[str, Any]
) -> Draft:
    """Tells the coordinator that an organisation declined, and why."""
    view = invitations.view(session, invitation_id)
    return Draft(
        kind="decline_notice",
        to=[coordinator_address(view.campaign)],
        locale="en",
        campaign_id=view.campaign.id,
        invitation_id=invitation_id,
        context={
            "contact_name": view.contact.name,
            "contact_email": view.contact.email,
            "organisation_name": view.organisation.name,
            "campaign_title": view.campaign.title,
            "reason": view.invitation.decline_reason or "",
        },
    )


def delegation_notice(
    session: Session, links: LinkContext, *, invitation_id: int, planned_at: datetime, params: dict[str, Any]
) -> Draft:
    """Tells the delegating contact that their colleague now has the invitation."""
    view = invitations.view(session, invitation_id)
    if view.delegated_by is None:
        raise Conflict(f"invitation {invitation_id} was not delegated")
    return Draft(
        kind="delegation_notice",
        to=[view.delegated_by.email],
        locale=view.delegated_by.locale,
        campaign_id=view.campaign.id,
        invitation_id=invitation_id,
        context={
            "delegator_name": view.delegated_by.name,
            "delegate_name": view.contact.name,
            "delegate_email": view.contact.email,
            "organisation_name": view.organisation.name,
            "campaign_title": view.campaign.title,
        },
    )


Composer = Callable[..., Draft]

COMPOSERS: dict[str, Composer] = {
    "invitation": invitation,
    "signature_confirmation": signature_confirmation,
    "decline_notice": decline_notice,
    "delegation_notice": delegation_notice,
}


def compose(
    session: Session,
    links: LinkContext,
    *,
    kind: str,
    invitation_id: int,
    planned_at: datetime,
    params: dict[str, Any] | None = None,
) -> Draft:
    """The draft for one kind of email; an unknown kind raises KeyError."""
    try:
        composer = COMPOSERS[kind]
    except KeyError:
        raise KeyError(f"no composer for email kind '{kind}'") from None
    return composer(session, links, invitation_id=invitation_id, planned_at=planned_at, params=params or {})
