"""The one table from each kind of email to its composer; an unknown kind raises."""

from __future__ import annotations

from types import MappingProxyType

from sqlmodel import Session

from models.email_message import EmailKind
from services.notifications import audit, campaigns, reviews, signing, staff
from services.notifications.base import Composer, Draft, LinkContext, MailRef

SIGNING_COMPOSERS: dict[EmailKind, Composer] = {
    EmailKind.invitation: signing.invitation,
    EmailKind.signature_confirmation: signing.signature_confirmation,
    EmailKind.decline_notice: signing.decline_notice,
    EmailKind.delegation_notice: signing.delegation_notice,
    EmailKind.reminder: signing.reminder,
    EmailKind.escalation: signing.escalation,
    EmailKind.expiry_notice: signing.expiry_notice,
    EmailKind.deadline_extended: signing.deadline_extended,
    EmailKind.withdrawal_notice: signing.withdrawal_notice,
    EmailKind.campaign_cancelled: signing.campaign_cancelled,
    EmailKind.pact_in_force: signing.pact_in_force,
}
CAMPAIGN_COMPOSERS: dict[EmailKind, Composer] = {
    EmailKind.progress_notice: campaigns.progress_notice,
    EmailKind.quorum_unreachable: campaigns.quorum_unreachable,
    EmailKind.quorum_broken: campaigns.quorum_broken,
}
AUDIT_COMPOSERS: dict[EmailKind, Composer] = {
    EmailKind.audit_checkpoint: audit.audit_checkpoint,
}
REVIEW_COMPOSERS: dict[EmailKind, Composer] = {
    EmailKind.report_request: reviews.report_request,
    EmailKind.report_reminder: reviews.report_reminder,
    EmailKind.report_escalation: reviews.report_escalation,
    EmailKind.review_request: reviews.review_request,
    EmailKind.review_reminder: reviews.review_reminder,
    EmailKind.report_accepted: reviews.report_accepted,
    EmailKind.report_sent_back: reviews.report_sent_back,
    EmailKind.standing_changed: reviews.standing_changed,
}
STAFF_COMPOSERS: dict[EmailKind, Composer] = {
    EmailKind.sign_in_link: staff.sign_in_link,
    EmailKind.staff_invitation: staff.staff_invitation,
}
# Whatever the kind, a draft addressed to the campaign's coordinator carries the campaign's console
# link and the coordinator's footer.
COMPOSERS: MappingProxyType[EmailKind, Composer] = MappingProxyType(
    {
        kind: campaigns.for_the_coordinator(composer)
        for kind, composer in {
            **SIGNING_COMPOSERS,
            **CAMPAIGN_COMPOSERS,
            **AUDIT_COMPOSERS,
            **REVIEW_COMPOSERS,
            **STAFF_COMPOSERS,
        }.items()
    }
)


def composer_for(kind: str) -> Composer:
    """The composer of one kind of email; an unknown kind raises KeyError."""
    try:
        return COMPOSERS[EmailKind(kind)]
    except (KeyError, ValueError):
        raise KeyError(f"no composer for email kind '{kind}'") from None


def compose(session: Session, links: LinkContext, *, kind: str, ref: MailRef) -> Draft:
    """The draft for one kind of email; an unknown kind raises KeyError."""
    return composer_for(kind)(session, links, ref)
