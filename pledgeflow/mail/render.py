"""Render emails (subject, plain text, HTML) from per-locale Jinja2 templates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape

from pledgeflow.i18n import DEFAULT_LOCALE, locale_chain
from pledgeflow.i18n.keyed import load_keyed_catalogs

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
    """Renders templates/email/<locale>/<stem>.{subject.txt,txt,html}; adding a language adds files."""

    def __init__(self, templates_dir: Path) -> None:
        loader = FileSystemLoader(str(templates_dir / "email"))
        self._html = Environment(
            loader=loader,
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
        )
        self._text = Environment(loader=loader, autoescape=False, undefined=StrictUndefined)
        self._root = templates_dir / "email"
        self._catalogs = load_keyed_catalogs(templates_dir)

    def available_locales(self) -> list[str]:
        """Locales that have a folder of templates."""
        return sorted(p.name for p in self._root.iterdir() if p.is_dir() and not p.name.startswith("_"))

    def resolve_locale(self, kind: str, locale: str | None) -> str:
        """The first locale in the fallback chain that has this kind's templates."""
        stem = template_stem(kind)
        for candidate in locale_chain(locale):
            if (self._root / candidate / f"{stem}.txt").is_file():
                return candidate
        raise TemplateNotFound(f"{DEFAULT_LOCALE}/{stem}.txt")

    def render(self, kind: str, locale: str | None, context: dict[str, Any]) -> RenderedEmail:
        """Render the three parts of one email in the best available locale."""
        stem = template_stem(kind)
        chosen = self.resolve_locale(kind, locale)
        values = {**context, "locale": chosen, "t": self._catalogs.translator(chosen)}
        subject = self._text.get_template(f"{chosen}/{stem}.subject.txt").render(values)
        text = self._text.get_template(f"{chosen}/{stem}.txt").render(values)
        html = self._html.get_template(f"{chosen}/{stem}.html").render(values)
        return RenderedEmail(subject=" ".join(subject.split()), text=text, html=html, locale=chosen)
