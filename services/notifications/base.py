"""What every email composer shares: the draft, what it is about, links, and the composer type."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from models.campaign import Campaign
from models.email_message import EmailKind
from models.pledge import Pledge
from models.pledge_text import text_direction
from pledgeflow.errors import Conflict
from pledgeflow.links import LinkPurpose, LinkSigner
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

    kind: EmailKind
    to: list[str]
    locale: str
    context: dict[str, Any]
    cc: list[str] = field(default_factory=list)
    campaign_id: int | None = None
    invitation_id: int | None = None
    # The reader's country where it is known (the contact's organisation): its CLDR formats,
    # e.g. Jordan's Arabic month names. None gives the language's own formats.
    country: str | None = None


def pledge_context(pledge: Pledge, language: str | None = None) -> dict[str, Any]:
    """The pledge as templates show it, in the reader's language when it has that text (else the
    original), with that text's hash and language."""
    text = pledge.text_in(language)
    return {
        "title": text.title,
        "introduction": text.introduction,
        "version": pledge.version,
        "sha256": text.sha256,
        "language": text.language,
        "direction": text_direction(text.language),
        "commitments": [
            {"key": c.key, "text": c.text, "factors": [f.value for f in c.factors]} for c in text.commitments
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


Composer = Callable[[Session, LinkContext, MailRef], Draft]
