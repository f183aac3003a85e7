"""Compose the coordinator's notices about a whole campaign (progress, quorum)."""

from __future__ import annotations

from sqlmodel import Session

from models.campaign import Campaign
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


CONSOLE_CAMPAIGN_PATH = "console/campaigns"


def console_link(links: LinkContext, campaign_id: int) -> str:
    """The campaign's page in the console, where its coordinator acts on a notice."""
    return f"{links.base_url}/{CONSOLE_CAMPAIGN_PATH}/{campaign_id}"


def for_the_coordinator(composer: Composer) -> Composer:
    """The composer, whose drafts addressed to the campaign's coordinator carry the campaign's
    console link and the coordinator's footer (why they get it, where to change it) instead of
    the signatory's: the same kinds (escalations, the pact in force) go to both."""

    def compose(session: Session, links: LinkContext, ref: MailRef) -> Draft:
        draft = composer(session, links, ref)
        campaign = session.get(Campaign, draft.campaign_id) if draft.campaign_id else None
        coordinator = campaign.coordinator_email if campaign is not None else None
        if campaign is not None and coordinator and draft.to == [str(coordinator)]:
            draft.context.update(
                to_coordinator=True,
                campaign_title=draft.context.get("campaign_title") or campaign.title,
                campaign_url=console_link(links, campaign.id or 0),
            )
        return draft

    compose.__doc__ = composer.__doc__
    return compose
