"""A Jinja environment per locale, with that locale's translations and format filters installed.

Jinja's i18n extension binds gettext to an environment, so each locale gets its own (they share
the loader; five locales cost five compiled copies of each template, built on first use).
Templates write `{{ _("Dear %(name)s,", name=contact_name) }}` and
`{{ ngettext("%(num)s organisation", "%(num)s organisations", count) }}` (newstyle gettext:
values are escaped in HTML, the text itself is the translator's).
"""

from __future__ import annotations

from collections.abc import Callable
from threading import Lock
from typing import Any

from jinja2 import BaseLoader, Environment, StrictUndefined

from pledgeflow.i18n.catalogs import Catalogs
from pledgeflow.i18n.language import Language


class LocalisedEnvironments:
    """Environments keyed by (locale, country), made on first use."""

    def __init__(
        self,
        catalogs: Catalogs,
        *,
        loader: BaseLoader,
        autoescape: bool | Callable[[str | None], bool],
        filters: dict[str, Callable[..., Any]] | None = None,
        globals: dict[str, Any] | None = None,
        auto_reload: bool = True,
    ) -> None:
        self._catalogs = catalogs
        self._loader = loader
        self._autoescape = autoescape
        self._filters = filters or {}
        self._globals = globals or {}
        self._auto_reload = auto_reload
        self._made: dict[tuple[str, str | None], tuple[Environment, Language]] = {}
        self._lock = Lock()

    @property
    def catalogs(self) -> Catalogs:
        return self._catalogs

    def get(self, locale: str | None, *, country: str | None = None) -> tuple[Environment, Language]:
        """The environment and language for a reader of `locale` (in `country`, for formats)."""
        language = self._catalogs.language(locale, country=country)
        key = (language.code, str(language.formats))
        with self._lock:
            made = self._made.get(key)
            if made is None:
                made = (self._make(language), language)
                self._made[key] = made
        return made

    def _make(self, language: Language) -> Environment:
        env = Environment(
            loader=self._loader,
            autoescape=self._autoescape,
            undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
            auto_reload=self._auto_reload,
        )
        env.install_gettext_translations(language.translations, newstyle=True)  # type: ignore[attr-defined]  # added by the extension
        env.filters.update(self._filters)
        env.filters.update(language.filters())
        env.globals.update(self._globals)
        env.globals.update(language=language, locale=language.code, direction=language.direction)
        return env
