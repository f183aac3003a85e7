"""The old key catalogs (templates/locales/<locale>.json), until pages and emails move to gettext.

To be deleted with the last JSON file: nothing new uses it."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

Translator = Callable[..., str]

DEFAULT_LOCALE = "en"


def keyed_locale_chain(locale: str | None) -> list[str]:
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


class KeyedCatalogs:
    """Every locale's catalog; lookups fall back from 'fr-ci' to 'fr' to 'en'."""

    def __init__(self, locales_dir: Path) -> None:
        self._catalogs: dict[str, dict[str, str]] = {}
        for path in sorted(locales_dir.glob("*.json")):
            self._catalogs[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        if DEFAULT_LOCALE not in self._catalogs:
            raise FileNotFoundError(f"{locales_dir}/{DEFAULT_LOCALE}.json is required")

    @property
    def locales(self) -> list[str]:
        return sorted(self._catalogs)

    def best_locale(self, locale: str | None) -> str:
        """The most specific locale that has a catalog."""
        for candidate in keyed_locale_chain(locale):
            if candidate in self._catalogs:
                return candidate
        return DEFAULT_LOCALE

    def translator(self, locale: str | None) -> Translator:
        """A function t(key, **values) for one locale."""
        chain = [c for c in keyed_locale_chain(locale) if c in self._catalogs]

        def translate(key: str, **values: Any) -> str:
            for candidate in chain:
                text = self._catalogs[candidate].get(key)
                if text is not None:
                    return text.format(**values) if values else text
            return key

        return translate


@lru_cache
def load_keyed_catalogs(templates_dir: Path) -> KeyedCatalogs:
    """Catalogs read once per templates folder."""
    return KeyedCatalogs(templates_dir / "locales")
