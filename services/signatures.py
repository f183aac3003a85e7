"""Signatures: record them once, and read them for pages, receipts and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models.common import strip_bidi_controls
from models.contact import Contact
from models.invitation import OPEN_STATUSES, InvitationStatus
from models.organisation import Organisation
from models.signature import Signature, SignaturePublic
from pledgeflow.errors import Conflict
from services import audit, invitations
from workflows.pledge_messages import Signer


def get_by_receipt(session: Session, receipt_id: str) -> Signature | None:
    """The signature with this receipt id, if any."""
    return session.exec(select(Signature).where(Signature.receipt_id == receipt_id)).first()


def for_invitation(session: Session, invitation_id: int) -> Signature | None:
    """The signature given through this invitation, if any."""
    return session.exec(select(Signature).where(Signature.invitation_id == invitation_id)).first()


def record(
    session: Session,
    *,
    invitation_id: int,
    receipt_id: str,
    signer: Signer,
    signed_at: datetime,
) -> Signature:
    """Write the signature and close the invitation; a retry returns the first record."""
    existing = for_invitation(session, invitation_id)
    if existing is not None:
        return existing
    view = invitations.view(session, invitation_id)
    invitation = view.invitation
    if invitation.status not in OPEN_STATUSES:
        raise Conflict(f"invitation {invitation_id} is {invitation.status} and cannot be signed")
    # What the signer typed reaches here through a workflow and cannot be refused any more; the
    # register shows it, so bidirectional controls are dropped rather than stored.
    signer_name = strip_bidi_controls(signer.name).strip() or view.contact.name
    signer_title = strip_bidi_controls(signer.title).strip()
    # The text they chose on the page; a language the version lacks (or none, as in histories
    # from before translations) is the original, which is what such a page showed.
    signed = view.pledge.text_in(signer.pledge_language)
    signature = Signature(
        receipt_id=receipt_id,
        campaign_id=invitation.campaign_id,
        organisation_id=invitation.organisation_id,
        invitation_id=invitation_id,
        contact_id=invitation.contact_id,
        delegated_by_contact_id=invitation.delegated_by_contact_id,
        signer_name=signer_name,
        signer_title=signer_title,
        signer_email=view.contact.email,
        organisation_name=view.organisation.name,
        organisation_kind=view.organisation.kind.value,
        organisation_country=view.organisation.country,
        publish_name=signer.publish_name,
        pledge_id=view.pledge.id or 0,
        pledge_version=view.pledge.version,
        pledge_sha256=signed.sha256,
        pledge_language=signed.language,
        signed_at=signed_at,
        ip=signer.ip,
        user_agent=(signer.user_agent or "")[:500] or None,
    )
    invitation.status = InvitationStatus.signed
    invitation.responded_at = signed_at
    session.add(signature)
    session.add(invitation)
    session.flush()
    audit.append(
        session,
        kind="signature.recorded",
        actor=f"signatory:{view.contact.email}",
        campaign_id=invitation.campaign_id,
        subject=f"invitation:{invitation_id}",
        data={
            "receipt_id": receipt_id,
            "organisation_id": invitation.organisation_id,
            "signer_name": signer_name,
            "signer_title": signer_title,
            "signer_email": view.contact.email,
            "organisation_name": view.organisation.name,
            "organisation_country": view.organisation.country,
            "delegated_by_contact_id": invitation.delegated_by_contact_id,
            "pledge_version": view.pledge.version,
            "pledge_language": signed.language,
            "pledge_sha256": signed.sha256,
            "ip": signer.ip,
            "user_agent": signature.user_agent,
        },
        at=signed_at,
    )
    return signature


@dataclass(frozen=True)
class SignedFacts:
    """Who signed for which organisation, as it was at signing (or, for old rows, as it is now)."""

    organisation_name: str
    organisation_kind: str
    organisation_country: str
    signer_email: str | None


def signed_facts(session: Session, signature: Signature) -> SignedFacts:
    """The facts copied at signing; rows from before the copy fall back to the current records."""
    organisation: Organisation | None = None
    if None in (signature.organisation_name, signature.organisation_kind, signature.organisation_country):
        organisation = session.get(Organisation, signature.organisation_id)
        assert organisation is not None
    signer_email = signature.signer_email
    if signer_email is None:
        contact = session.get(Contact, signature.contact_id)
        signer_email = contact.email if contact else None
    return SignedFacts(
        organisation_name=signature.organisation_name or (organisation.name if organisation else ""),
        organisation_kind=signature.organisation_kind or (organisation.kind.value if organisation else ""),
        organisation_country=signature.organisation_country or (organisation.country if organisation else ""),
        signer_email=signer_email,
    )


def public_view(session: Session, signature: Signature) -> SignaturePublic:
    """The signature with names resolved: 'B on behalf of X, delegated by A'."""
    facts = signed_facts(session, signature)
    delegator = (
        session.get(Contact, signature.delegated_by_contact_id) if signature.delegated_by_contact_id else None
    )
    return SignaturePublic(
        **signature.model_dump(exclude={"organisation_name", "organisation_country", "signer_email"}),
        organisation_name=facts.organisation_name,
        organisation_country=facts.organisation_country,
        signer_email=facts.signer_email,
        on_behalf_of=facts.organisation_name,
        delegated_by=f"{delegator.name} <{delegator.email}>" if delegator else None,
    )


def list_for_campaign(session: Session, *, campaign_id: int) -> list[SignaturePublic]:
    """The campaign's signatures in the order they were given."""
    rows = session.exec(
        select(Signature).where(Signature.campaign_id == campaign_id).order_by(col(Signature.signed_at))
    ).all()
    return [public_view(session, s) for s in rows]


def withdraw(
    session: Session, *, invitation_id: int, reason: str, at: datetime, after_in_force: bool
) -> Signature:
    """Record a withdrawal; the signature stays on record, marked withdrawn (idempotent)."""
    signature = for_invitation(session, invitation_id)
    if signature is None:
        raise Conflict(f"invitation {invitation_id} has no signature to withdraw")
    if signature.withdrawn_at is not None:
        return signature
    signature.withdrawn_at = at
    signature.withdrawal_reason = reason
    invitation = invitations.get_or_raise(session, invitation_id)
    invitation.status = InvitationStatus.withdrawn
    session.add(signature)
    session.add(invitation)
    audit.append(
        session,
        kind="signature.withdrawn",
        actor=f"signatory:{invitations.view(session, invitation_id).contact.email}",
        campaign_id=signature.campaign_id,
        subject=f"invitation:{invitation_id}",
        data={"receipt_id": signature.receipt_id, "reason": reason, "after_in_force": after_in_force},
        at=at,
    )
    return signature
