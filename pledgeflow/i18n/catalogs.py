"""Message catalogs: templates/locales/<locale>/LC_MESSAGES/<domain>.po, read once, compiled in memory.

The .po files are the source of truth (what Weblate, Crowdin or Poedit edit); no compiled .mo is
kept in the repository. Each domain is one part of the product (emails, pages, console) so that
translators can take them one at a time; a reader's translations merge every domain of a locale.
English is the source language: its msgids are the text, so it needs no catalog.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from pledgeflow.i18n.language import Language

DEFAULT_LOCALE = "en"

# Which sources each domain's msgids are extracted from: see pledgeflow/i18n/extraction.py.
DOMAINS = ("emails", "pages", "console")


def locale_chain(locale: str | None) -> list[str]:
    """The locales to try, most specific first: 'fr-ci' -> ['fr-ci', 'fr', 'en']."""
    chain: list[str] = []
    if locale:
        normalised = locale.replace("_", "-").lower()
        chain.append(normalised)
        language = normalised.split("-")[0]
        if language not in chain:
            chain.append(language)
    if DEFAULT_LOCALE not in chain:
        chain.append(DEFAULT_LOCALE)
    return chain


def compile_po(path: Path, locale: str) -> Translations:
    """One .po file as gettext translations; fuzzy and empty entries are left out (English shows)."""
    with path.open("rb") as source:
        catalog = read_po(source, locale=locale.replace("-", "_"), domain=path.stem)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=path.stem)


class Catalogs:
    """Every locale's translations; lookups fall back from 'fr-ci' to 'fr' to English."""

    def __init__(self, locales_dir: Path) -> None:
        self._translations: dict[str, gettext.NullTranslations] = {DEFAULT_LOCALE: gettext.NullTranslations()}
        for folder in sorted(p for p in locales_dir.glob("*/LC_MESSAGES") if p.is_dir()):
            code = folder.parent.name
            merged: Translations | None = None
            for po in sorted(folder.glob("*.po")):
                translations = compile_po(po, code)
                merged = translations if merged is None else merged.merge(translations)
            if merged is not None:
                self._translations[code] = merged

    @property
    def locales(self) -> list[str]:
        """Every locale a reader can get, English included."""
        return sorted(self._translations)

    def has(self, locale: str | None) -> bool:
        """Whether a reader of this locale gets their own language ('fr-ci' yes, 'ne' no)."""
        language = (locale or "").strip().replace("_", "-").lower().split("-")[0]
        return language in self._translations

    def best_locale(self, locale: str | None) -> str:
        """The most specific locale that has a catalog: 'fr-ci' -> 'fr', 'ne' -> 'en'."""
        for candidate in locale_chain(locale):
            if candidate in self._translations:
                return candidate
        return DEFAULT_LOCALE

    def language(self, locale: str | None, *, country: str | None = None) -> Language:
        """The reader's language: translations of the best locale, formats of that locale in their country.

        A Jordanian reader of 'ar' gets Arabic text with Jordan's CLDR month names and digits.
        """
        code = self.best_locale(locale)
        return Language.for_reader(code, self._translations[code], country=country)


@lru_cache
def load_catalogs(templates_dir: Path) -> Catalogs:
    """Catalogs read once per templates folder."""
    return Catalogs(templates_dir / "locales")
