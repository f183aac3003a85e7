"""Jinja2 for the pages behind email links, with the catalog of the reader's language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from pledgeflow.i18n.keyed import load_keyed_catalogs


class PageRenderer:
    """Renders templates/pages/ (a folder per domain); every page gets t() for its locale."""

    def __init__(self, templates_dir: Path) -> None:
        self._env = Environment(
            loader=FileSystemLoader(str(templates_dir / "pages")),
            autoescape=select_autoescape(default=True),
            undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
        )
        # `_()` for strings already written as gettext msgids (English until the pages use the catalogs).
        self._env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]  # added by the extension
        self._catalogs = load_keyed_catalogs(templates_dir)

    def render(self, name: str, *, locale: str | None, status: int = 200, **context: Any) -> HTMLResponse:
        """A complete HTML response."""
        chosen = self._catalogs.best_locale(locale)
        html = self._env.get_template(name).render(
            locale=chosen, t=self._catalogs.translator(chosen), **context
        )
        return HTMLResponse(html, status_code=status)

    def message(self, *, locale: str | None, status: int, key: str, **values: Any) -> HTMLResponse:
        """A page that only says something: '<key>_heading' and '<key>_body' from the catalog."""
        return self.render("message.html", locale=locale, status=status, key=key, values=values)

    def unavailable(self, *, locale: str | None, body_key: str) -> HTMLResponse:
        """The 503 page for a service that did not answer; `body_key` says what became of the request."""
        return self.render(
            "message.html", locale=locale, status=503, key="error.generic", values={}, body_key=body_key
        )
