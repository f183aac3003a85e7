"""Before a launch: what is ready, which languages the invitees read, and the invitation email
each of them will get (rendered by the real composer and templates, with a stand-in link)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from models.campaign import Campaign, CampaignStatus
from models.common import utcnow
from models.contact import Contact
from models.invitation import Invitation
from models.organisation import Organisation
from models.pledge_text import base_language
from models.quorum import RuleKind, StakeholderGroup
from pledgeflow.errors import Conflict, FieldProblem
from pledgeflow.i18n import DEFAULT_LOCALE, Catalogs
from pledgeflow.i18n.language import language_name as language_name_in
from pledgeflow.mail.render import EmailRenderer
from services import audit, campaigns, invitations
from services.notifications import signing
from services.notifications.base import LinkContext, MailRef

LINK_PLACEHOLDER = "[the invitee's own signing link]"


@dataclass(frozen=True)
class Check:
    """One line of the launch checklist."""

    label: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class LanguageGap:
    """Contacts whose language has no email templates yet, and what they will get instead."""

    locale: str
    language: str
    count: int
    fallback: str


@dataclass(frozen=True)
class MissingText:
    """A language invitees read the pages in, for which the pledge has no text of its own."""

    language: str  # the pages' language code ('fr'), as the catalogs name it
    name: str  # in English, for the coordinator ('French')
    count: int
    fallback: str  # the original's language tag: what those readers would be sent instead
    fallback_name: str


@dataclass(frozen=True)
class Preview:
    """The invitation as one language's invitees will read it."""

    locale: str
    language: str
    rendered_locale: str
    rendered_language: str
    count: int
    sample_organisation: str
    subject: str
    text: str


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def language_name(locale: str) -> str:
    """'pt-BR' -> 'Portuguese', 'ne' -> 'Nepali': the language (not its region) in English, for staff."""
    return language_name_in(locale.replace("_", "-").split("-")[0].lower(), in_locale="en")


def _active_invitees(session: Session, campaign_id: int) -> list[tuple[Invitation, Contact, Organisation]]:
    return [
        (i.invitation, i.contact, i.organisation)
        for i in invitations.invitees_of(session, campaign_id=campaign_id)
    ]


def invitee_locales(session: Session, campaign_id: int) -> Counter[str]:
    """How many active invitees read each language."""
    return Counter(
        contact.locale or DEFAULT_LOCALE for _, contact, _ in _active_invitees(session, campaign_id)
    )


def language_gaps(locales: Counter[str], renderer: EmailRenderer) -> list[LanguageGap]:
    """The languages of `locales` with no invitation templates of their own, most read first."""
    gaps = []
    for locale, count in locales.most_common():
        rendered = renderer.resolve_locale("invitation", locale)
        if rendered.split("-")[0] != locale.replace("_", "-").split("-")[0].lower():
            gaps.append(LanguageGap(locale, language_name(locale), count, language_name(rendered)))
    return gaps


def _group_members(group: StakeholderGroup, invited: list[Organisation]) -> list[Organisation]:
    if group.organisation_ids:
        return [o for o in invited if o.id in group.organisation_ids]
    return [o for o in invited if o.kind in group.kinds]


def _quorum_problems(campaign: Campaign, invited: list[Organisation]) -> list[str]:
    problems = []
    invited_ids = {o.id for o in invited}
    for raw in campaign.quorum or []:
        group = StakeholderGroup.model_validate(raw)
        members = _group_members(group, invited)
        if not members:
            problems.append(f"no invitee belongs to the group '{group.name}'")
        elif group.rule is RuleKind.at_least and (group.n or 0) > len(members):
            problems.append(f"'{group.name}' needs {group.n} signatures but only {len(members)} are invited")
        missing = [i for i in group.required if i not in invited_ids]
        if missing:
            problems.append(f"'{group.name}' requires organisations that are not invited ({len(missing)})")
    return problems


def checklist(session: Session, campaign: Campaign, *, now: datetime | None = None) -> list[Check]:
    """What must hold before the launch: a pledge, invitees, a future deadline, a reachable quorum."""
    pledge = campaigns.current_pledge(session, campaign.id or 0)
    invitees = _active_invitees(session, campaign.id or 0)
    checks = [
        Check(
            "Pledge",
            pledge is not None,
            f"'{pledge.title}', version {pledge.version}" if pledge else "attach a pledge first",
        ),
        Check(
            "Invitees",
            bool(invitees),
            _count(len(invitees), "organisation") + " invited"
            if invitees
            else "invite at least one organisation",
        ),
    ]
    today = (now or utcnow()).astimezone(ZoneInfo(campaign.timezone)).date()
    deadline = campaign.signature_deadline
    if deadline is None:
        checks.append(Check("Deadline", True, "no deadline is set"))
    else:
        future = deadline > today
        checks.append(
            Check(
                "Deadline",
                future,
                f"{deadline.isoformat()}" + ("" if future else ": it has passed; move it later"),
            )
        )
    if campaign.quorum:
        problems = _quorum_problems(campaign, [o for _, _, o in invitees])
        checks.append(
            Check(
                "Quorum",
                not problems,
                "; ".join(problems) if problems else "every group can reach its quorum",
            )
        )
    else:
        checks.append(Check("Quorum", True, "no groups: the pact is in force when every invitee has signed"))
    return checks


def previews(
    session: Session, campaign: Campaign, *, renderer: EmailRenderer, links: LinkContext
) -> list[Preview]:
    """The invitation email for one sample invitee of each language the invitees read."""
    if campaigns.current_pledge(session, campaign.id or 0) is None:
        return []
    samples: dict[str, tuple[Invitation, Organisation]] = {}
    counts: Counter[str] = Counter()
    for invitation, contact, organisation in _active_invitees(session, campaign.id or 0):
        locale = contact.locale or DEFAULT_LOCALE
        counts[locale] += 1
        samples.setdefault(locale, (invitation, organisation))
    found = []
    for locale, count in counts.most_common():
        invitation, organisation = samples[locale]
        draft = signing.invitation(
            session, links, MailRef(planned_at=utcnow(), invitation_id=invitation.id or 0)
        )
        # The composer signs a live link; the preview shows where it goes, never a working token.
        context = {**draft.context, "link": LINK_PLACEHOLDER}
        rendered = renderer.render(draft.kind.value, draft.locale, context)
        found.append(
            Preview(
                locale=locale,
                language=language_name(locale),
                rendered_locale=rendered.locale,
                rendered_language=language_name(rendered.locale),
                count=count,
                sample_organisation=organisation.name,
                subject=rendered.subject,
                text=rendered.text,
            )
        )
    return found


def missing_pledge_texts(session: Session, campaign: Campaign, catalogs: Catalogs) -> list[MissingText]:
    """The languages invitees read (each contact's best catalog, 'fr-CI' -> 'fr', 'ne' -> 'en')
    that the newest pledge version has no text in, most read first; none without a pledge."""
    pledge = campaigns.current_pledge(session, campaign.id or 0)
    if pledge is None:
        return []
    needed = Counter(
        catalogs.best_locale(contact.locale or DEFAULT_LOCALE)
        for _, contact, _ in _active_invitees(session, campaign.id or 0)
    )
    return [
        MissingText(code, language_name(code), count, pledge.language, language_name(pledge.language))
        for code, count in needed.most_common()
        if pledge.exact_text(code) is None
    ]


def require_pledge_texts(
    session: Session,
    *,
    campaign: Campaign,
    catalogs: Catalogs,
    accept_fallback: Collection[str],
    actor: str,
) -> None:
    """Refuse the launch while an invitee language has no pledge text and its fallback to the
    original is not accepted; an accepted fallback goes into the audit chain with its actor."""
    if campaign.status is not CampaignStatus.draft:
        return  # launching again changes nothing
    accepted = {base_language(tag) for tag in accept_fallback}
    missing = missing_pledge_texts(session, campaign, catalogs)
    refused = [m for m in missing if base_language(m.language) not in accepted]
    if refused:
        names = ", ".join(f"{m.name} ({m.language})" for m in refused)
        raise Conflict(
            f"the pledge has no text in {names}: add the translation, or accept that these "
            "invitees get the original text (accept_fallback_languages)",
            errors=[
                FieldProblem(
                    f"texts[{m.language}]",
                    f"{_count(m.count, 'invitee')} read {m.name}; the pledge has no {m.name} text "
                    f"(accept {m.language} in accept_fallback_languages to send the {m.fallback_name} text)",
                )
                for m in refused
            ],
        )
    if missing:
        pledge = campaigns.current_pledge(session, campaign.id or 0)
        assert pledge is not None
        audit.append(
            session,
            kind="campaign.pledge_fallback_accepted",
            actor=actor,
            campaign_id=campaign.id,
            subject=f"campaign:{campaign.id}",
            data={
                "pledge_version": pledge.version,
                "fallback_language": pledge.language,
                "languages": {m.language: m.count for m in missing},
            },
        )
