"""The words the console shows for statuses and roles (msgids), so that 'in_force' reads 'in force',
'en vigueur' or 'ساري المفعول' rather than as an enum's value."""

from __future__ import annotations

from enum import StrEnum

from jinja2 import pass_context
from jinja2.runtime import Context

from models.campaign import CampaignStatus
from models.invitation import InvitationStatus
from models.labels import ITEM_STATUS_LABELS, STANDING_LABELS
from models.policy import RecipientRole
from models.user import Role
from pledgeflow.i18n import N_

LABELS: dict[str, str] = {
    # campaigns
    CampaignStatus.draft: N_("draft"),
    CampaignStatus.launched: N_("launched"),
    CampaignStatus.in_force: N_("in force"),
    CampaignStatus.closed: N_("closed"),
    CampaignStatus.cancelled: N_("cancelled"),
    # invitations
    InvitationStatus.pending: N_("pending"),
    InvitationStatus.sent: N_("sent"),
    InvitationStatus.signed: N_("signed"),
    InvitationStatus.declined: N_("declined"),
    InvitationStatus.delegated: N_("handed over"),
    InvitationStatus.expired: N_("expired"),
    InvitationStatus.unresponsive: N_("unresponsive"),
    InvitationStatus.withdrawn: N_("withdrawn"),
    InvitationStatus.undeliverable: N_("undeliverable"),
    # staff roles
    Role.admin: N_("admin"),
    Role.coordinator: N_("coordinator"),
    Role.reviewer: N_("reviewer"),
    Role.auditor: N_("auditor"),
    # who an escalation is sent to
    RecipientRole.contact: N_("contact"),
    RecipientRole.escalation_contact: N_("contact's supervisor"),
    RecipientRole.focal_point: N_("regional focal point"),
    # reports: a signatory's standing and a commitment's status (their msgids live in models/labels.py)
    **{standing.value: text for standing, text in STANDING_LABELS.items()},
    **{status.value: text for status, text in ITEM_STATUS_LABELS.items()},
}


def status_label(value: StrEnum | str) -> str:
    """The English label (msgid) of a status or role; an unknown value reads as its words."""
    key = value.value if isinstance(value, StrEnum) else str(value)
    return LABELS.get(key, key.replace("_", " "))


@pass_context
def status_filter(context: Context, value: StrEnum | str) -> str:
    """{{ campaign.status | status }} in the page's language."""
    return str(context["language"].translations.gettext(status_label(value)))


@pass_context
def msg_filter(context: Context, message: str) -> str:
    """{{ label | msg }}: a msgid handed over from Python, translated (without %-formatting, so a
    name that is no msgid, even one with a '%' in it, passes unchanged)."""
    return str(context["language"].translations.gettext(message))
