"""Compose the coordinator's notices about a whole campaign (progress, quorum)."""

from __future__ import annotations

from sqlmodel import Session

from models.email_message import EmailKind
from services import campaigns
from services.notifications.base import (
    COORDINATOR_LOCALE,
    Composer,
    Draft,
    LinkContext,
    MailRef,
    coordinator_address,
)


def coordinator_notice(kind: EmailKind) -> Composer:
    """A composer of the coordinator's notice of this kind about the whole campaign."""

    def compose(session: Session, links: LinkContext, ref: MailRef) -> Draft:
        campaign = campaigns.get_or_raise(session, ref.campaign_id)
        return Draft(
            kind=kind,
            to=[coordinator_address(campaign)],
            locale=COORDINATOR_LOCALE,
            campaign_id=campaign.id,
            context={"campaign_title": campaign.title, "campaign_id": campaign.id, **ref.params},
        )

    compose.__doc__ = f"The coordinator's '{kind.value}' notice about the whole campaign."
    return compose


progress_notice = coordinator_notice(EmailKind.progress_notice)
quorum_unreachable = coordinator_notice(EmailKind.quorum_unreachable)
quorum_broken = coordinator_notice(EmailKind.quorum_broken)
