"""Contacts whose language has no translation yet: imported all the same, with a warning that says
which language they will get (a Nepali reader gets English until Nepali catalogs exist).

"Has a translation" is what the readers' catalogs say (`Catalogs.has`): 'fr-ci' reads French, 'ne'
has nothing of its own. A locale that is no language code at all is refused earlier, by the
contact's validation; this only looks at rows that are accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel import Locale, UnknownLocaleError

from pledgeflow.config import get_settings
from pledgeflow.i18n import Catalogs, load_catalogs

# The console's dry-run template (console/campaigns/invitees/dry_run.html) has this same sentence
# as its msgid and translates it for the reader; the API and the command line answer in English.
NO_TRANSLATION = "%(locale)s (%(language)s) has no translation yet: this contact will get %(fallback)s."


def display_name(locale: str) -> str:
    """The language in English: 'ne' -> 'Nepali', 'fr-ci' -> 'French (Côte d'Ivoire)'.

    The whole tag when Babel knows it, else its language, else the code itself (never an error:
    the code was validated already, and a name is only for the reader of the warning).
    """
    tag = locale.replace("-", "_")
    for candidate in (tag, tag.split("_")[0]):
        try:
            parsed = Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
        # Babel stands in a likely locale for one it lacks ('ne_ZZ' parses as ne_NP): naming
        # Nepal for a contact who never said so would mislead, so only the language is named.
        if candidate.casefold() != str(parsed).casefold() and "_" in candidate:
            continue
        name = parsed.get_display_name("en")
        if name:
            return name
    return locale


@dataclass(frozen=True)
class LanguageWarning:
    """A contact's locale that has no catalog: what they read and what they will get instead."""

    value: str
    language: str
    fallback: str
    fallback_language: str
    column: str | None = None
    field: str = "locale"

    @property
    def reason(self) -> str:
        """The warning in English, as the API and the command line show it."""
        values = {"locale": self.value, "language": self.language, "fallback": self.fallback_language}
        return NO_TRANSLATION % values


def untranslated(
    locale: str | None, catalogs: Catalogs, *, column: str | None = None
) -> LanguageWarning | None:
    """The warning for a contact reading `locale`, or None when their language has a catalog."""
    if not locale or catalogs.has(locale):
        return None
    fallback = catalogs.best_locale(locale)
    return LanguageWarning(
        value=locale,
        language=display_name(locale),
        fallback=fallback,
        fallback_language=display_name(fallback),
        column=column,
    )


def readers_catalogs() -> Catalogs:
    """The catalogs the product's readers get (those of the configured templates folder)."""
    return load_catalogs(get_settings().templates_dir)
