"""Localisation: gettext catalogs (.po, one per language and domain) and CLDR formats, by Babel.

A reader's `Language` translates (`gettext`, `ngettext`: msgids are the English text, with
`%(name)s` placeholders as Jinja's i18n extension expects) and formats dates, times and numbers
in their CLDR form. `LocalisedEnvironments` gives each locale a Jinja environment with its
translations installed. Adding a language adds `templates/locales/<code>/LC_MESSAGES/*.po`.
"""

from pledgeflow.i18n.catalogs import DEFAULT_LOCALE, DOMAINS, Catalogs, load_catalogs, locale_chain
from pledgeflow.i18n.environments import LocalisedEnvironments
from pledgeflow.i18n.language import N_, Language
from pledgeflow.i18n.negotiation import choose_locale

__all__ = [
    "DEFAULT_LOCALE",
    "DOMAINS",
    "N_",
    "Catalogs",
    "Language",
    "LocalisedEnvironments",
    "choose_locale",
    "load_catalogs",
    "locale_chain",
]
