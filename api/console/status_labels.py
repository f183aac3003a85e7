"""The words the console shows for statuses and roles (msgids), so that 'in_force' reads 'in force',
'en vigueur' or 'ساري المفعول' rather than as an enum's value."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from jinja2 import pass_context
from jinja2.runtime import Context

from models.action_plan import PlanStatus
from models.campaign import CampaignStatus, Visibility
from models.invitation import InvitationStatus
from models.labels import ITEM_STATUS_LABELS, STANDING_LABELS
from models.organisation import OrganisationKind
from models.policy import RecipientRole
from models.user import Role, TokenState
from pledgeflow.i18n import N_, Language

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
    # the public register
    Visibility.public: N_("public"),
    Visibility.unlisted: N_("unlisted"),
    Visibility.private: N_("private"),
    # API tokens
    TokenState.active: N_("active"),
    TokenState.revoked: N_("revoked"),
    # staff roles
    Role.admin: N_("admin"),
    Role.coordinator: N_("coordinator"),
    Role.reviewer: N_("reviewer"),
    Role.auditor: N_("auditor"),
    # who an escalation is sent to
    RecipientRole.contact: N_("contact"),
    RecipientRole.escalation_contact: N_("contact's supervisor"),
    RecipientRole.focal_point: N_("regional focal point"),
    # organisations, one of a kind
    OrganisationKind.customs_administration: N_("customs administration"),
    OrganisationKind.trade_association: N_("trade association"),
    OrganisationKind.customs_broker: N_("customs broker"),
    OrganisationKind.freight_forwarder: N_("freight forwarder"),
    OrganisationKind.chamber_of_commerce: N_("chamber of commerce"),
    OrganisationKind.company: N_("company"),
    OrganisationKind.regional_body: N_("regional body"),
    OrganisationKind.other: N_("other organisation"),
    # action plans (draft and closed read as a campaign's)
    PlanStatus.submitted: N_("sent for approval"),
    PlanStatus.approved: N_("approved"),
    # reports: a signatory's standing and a commitment's status (their msgids live in models/labels.py)
    **{standing.value: text for standing, text in STANDING_LABELS.items()},
    **{status.value: text for status, text in ITEM_STATUS_LABELS.items()},
}


# The details step's first time-zone choice (defined here, with the other labels, for extraction).
COUNTRY_ZONE = N_("The country's time zone")

# Organisations of a kind, as a group is made of them (the groups step's choices).
KINDS_PLURAL: dict[OrganisationKind, str] = {
    OrganisationKind.customs_administration: N_("customs administrations"),
    OrganisationKind.trade_association: N_("trade associations"),
    OrganisationKind.customs_broker: N_("customs brokers"),
    OrganisationKind.freight_forwarder: N_("freight forwarders"),
    OrganisationKind.chamber_of_commerce: N_("chambers of commerce"),
    OrganisationKind.company: N_("companies"),
    OrganisationKind.regional_body: N_("regional bodies"),
    OrganisationKind.other: N_("other organisations"),
}


def status_label(value: StrEnum | str) -> str:
    """The English label (msgid) of a status or role; an unknown value reads as its words."""
    key = value.value if isinstance(value, StrEnum) else str(value)
    return LABELS.get(key, key.replace("_", " "))


@pass_context
def status_filter(context: Context, value: StrEnum | str) -> str:
    """{{ campaign.status | status }} in the page's language."""
    return str(context["language"].translations.gettext(status_label(value)))


@dataclass(frozen=True)
class CountryName:
    """A country among choices, named by CLDR in the reader's language: 'Jordanie (JO)', 'الأردن (JO)'."""

    code: str
    english: str

    def __str__(self) -> str:
        return f"{self.english} ({self.code})"

    def shown(self, language: Language) -> str:
        name = language.formats.territories.get(self.code.upper(), self.english)
        return f"{name} ({self.code})"


@pass_context
def msg_filter(context: Context, message: object) -> object:
    """{{ label | msg }}: a label handed over from Python in the page's language.

    A msgid is translated (without %-formatting, so a name that is no msgid, even one with a
    '%' in it, passes unchanged); a label that knows how to show itself (a `Sentence`, a
    `CountryName`) is shown in that language.
    """
    language: Language = context["language"]
    shown = getattr(message, "shown", None)
    if callable(shown):
        return shown(language)
    return language.translations.gettext(str(message))
