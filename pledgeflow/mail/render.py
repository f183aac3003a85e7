"""Render emails (subject, plain text, HTML) from one gettext template per kind, in the reader's language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, TemplateNotFound

from pledgeflow.i18n import Catalogs, LocalisedEnvironments, load_catalogs
from pledgeflow.mail import formatting

# Each message kind names its template stem; an unknown kind is a programming error.
EMAIL_TEMPLATES: dict[str, str] = {
    kind: kind
    for kind in (
        "invitation",
        "signature_confirmation",
        "decline_notice",
        "delegation_notice",
        "reminder",
        "escalation",
        "expiry_notice",
        "deadline_extended",
        "withdrawal_notice",
        "campaign_cancelled",
        "pact_in_force",
        "progress_notice",
        "quorum_unreachable",
        "quorum_broken",
        "audit_checkpoint",
        "report_request",
        "report_reminder",
        "report_escalation",
        "review_request",
        "review_reminder",
        "report_accepted",
        "report_sent_back",
        "standing_changed",
        "sign_in_link",
        "staff_invitation",
    )
}


class UnknownEmailKind(KeyError):
    """No template is registered for this kind of message."""


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    locale: str


def template_stem(kind: str) -> str:
    """The template stem for a kind of message, or UnknownEmailKind."""
    try:
        return EMAIL_TEMPLATES[kind]
    except KeyError:
        raise UnknownEmailKind(f"no email template registered for kind '{kind}'") from None


class EmailRenderer:
    """Renders templates/email/<stem>.{subject.txt,txt,html} with the reader's translations.

    One template per kind: every sentence is a msgid, translated by the locale's catalogs
    (templates/locales/<code>/LC_MESSAGES/emails.po); adding a language adds a .po file.
    """

    def __init__(self, templates_dir: Path, *, labels: Callable[[Any], str] | None = None) -> None:
        self._root = templates_dir / "email"
        self._catalogs: Catalogs = load_catalogs(templates_dir)
        loader = FileSystemLoader(str(self._root))
        # `label(value)` names an enum's value in words; the domain's labels come from the caller
        # (models/labels.py), since the mail layer sits below the models.
        shared = {"label": labels or str}
        # Two families of environments: HTML escapes values and isolates them in <bdi>; the
        # plain text part does neither (Unicode isolates only where the language runs right to left).
        self._html = LocalisedEnvironments(
            self._catalogs, loader=loader, autoescape=True, filters=formatting.HTML_FILTERS, globals=shared
        )
        self._text = LocalisedEnvironments(
            self._catalogs, loader=loader, autoescape=False, filters=formatting.TEXT_FILTERS, globals=shared
        )

    def available_locales(self) -> list[str]:
        """Locales a reader can get their emails in (English included)."""
        return self._catalogs.locales

    def resolve_locale(self, kind: str, locale: str | None) -> str:
        """The locale of this kind of email for a reader of `locale`: 'fr-CI' -> 'fr', 'ne' -> 'en'."""
        stem = template_stem(kind)
        if not (self._root / f"{stem}.txt").is_file():
            raise TemplateNotFound(f"{stem}.txt")
        return self._catalogs.best_locale(locale)

    def render(
        self, kind: str, locale: str | None, context: dict[str, Any], *, country: str | None = None
    ) -> RenderedEmail:
        """The three parts of one email in the reader's language, with their country's formats if known."""
        stem = template_stem(kind)
        chosen = self.resolve_locale(kind, locale)
        text_env, language = self._text.get(chosen, country=country)
        html_env, _ = self._html.get(chosen, country=country)
        # Email clients ignore logical CSS: physical sides follow the direction instead.
        start, end = ("right", "left") if language.direction == "rtl" else ("left", "right")
        values = {**context, "align": start, "align_end": end}
        subject = text_env.get_template(f"{stem}.subject.txt").render(values)
        text = text_env.get_template(f"{stem}.txt").render(values)
        html = html_env.get_template(f"{stem}.html").render(values)
        return RenderedEmail(subject=" ".join(subject.split()), text=text, html=html, locale=chosen)
