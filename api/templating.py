"""Jinja2 for the pages behind email links and the public pages, in the reader's language.

`PageRenderer` is built once with the app; each request gets its `Pages` (`for_request`), which
knows the language the reader asked for (`?lang=`, a form's hidden `lang`, Accept-Language) and
the URL the language switch links to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from jinja2 import FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from api.pages.messages import UNAVAILABLE, UNAVAILABLE_HEADING, message_text, state
from api.pages.report_problems import problem_text
from models.labels import label
from pledgeflow.i18n import Catalogs, Language, LocalisedEnvironments, choose_locale, load_catalogs


def bdi(value: object) -> Markup:
    """A name, address, hash or id isolated from the text around it, so that RTL text keeps its order."""
    return Markup("<bdi>%s</bdi>") % (value,)


def isolated(values: dict[str, Any]) -> dict[str, Any]:
    """A message's values with every text isolated (names, titles, emails); numbers stay as they are."""
    return {k: bdi(v) if isinstance(v, str) and not isinstance(v, Markup) else v for k, v in values.items()}


@dataclass(frozen=True)
class LanguageLink:
    """One entry of the language switch."""

    code: str
    name: str
    href: str
    current: bool


UNAVAILABLE_RETRY_AFTER_SECONDS = 60


class PageRenderer:
    """Renders templates/pages/ (a folder per domain) with one Jinja environment per language."""

    def __init__(self, templates_dir: Path) -> None:
        self.catalogs: Catalogs = load_catalogs(templates_dir)
        self.environments = LocalisedEnvironments(
            self.catalogs,
            loader=FileSystemLoader(str(templates_dir / "pages")),
            autoescape=select_autoescape(default=True),
            filters={"bdi": bdi, "isolated": isolated},
            globals={"label": label, "problem_text": problem_text},
        )
        self._names = {code: self.catalogs.language(code).name for code in self.catalogs.locales}

    def for_request(self, request: Request) -> Pages:
        """The pages of one request: its language preferences and its URL for the language switch."""
        return Pages(self, request)

    def switch(self, path: str, params: dict[str, str], current: str) -> list[LanguageLink]:
        """A link per language to the same page (other query parameters kept), named in its own language.

        With no path the links are relative ('?lang=fr'): the browser keeps the page's own path, so
        the link token behind it stays without the page repeating it.
        """
        return [
            LanguageLink(code, name, f"{path}?{urlencode({**params, 'lang': code})}", code == current)
            for code, name in self._names.items()
        ]


class Pages:
    """One request's pages: `render` a template or say a `message`, in the reader's language."""

    def __init__(self, renderer: PageRenderer, request: Request) -> None:
        self._renderer = renderer
        self._request = request
        self._chosen: str | None = request.query_params.get("lang")
        self._path = ""  # this page's own: the switch's links are relative
        self._params = {k: v for k, v in request.query_params.items() if k != "lang"}

    def answer_in(self, lang: str | None, *, page: str) -> None:
        """A form was posted: answer in the language it was shown in; the switch links to its page."""
        self._chosen = lang or self._chosen
        self._path = page
        self._params = {}

    def locale(self, contact_locale: str | None = None) -> str:
        """The reader's choice (`?lang=`, a form's), the contact's, Accept-Language, else English."""
        return choose_locale(
            self._renderer.catalogs.locales,
            self._chosen,
            contact_locale,
            accept_language=self._request.headers.get("accept-language"),
        )

    def render(
        self, name: str, *, locale: str | None, country: str | None = None, status: int = 200, **context: Any
    ) -> HTMLResponse:
        """A complete HTML response; `locale` is the contact's (None on a public page)."""
        env, language = self._renderer.environments.get(self.locale(locale), country=country)
        html = env.get_template(name).render(
            language_switch=self._renderer.switch(self._path, self._params, language.code), **context
        )
        return HTMLResponse(html, status_code=status)

    def message(
        self,
        *,
        locale: str | None,
        status: int,
        key: str,
        country: str | None = None,
        zone: str | None = None,
        contact: str = "",
        **values: Any,
    ) -> HTMLResponse:
        """A page that only says something: the kind's heading and body, with `values` in the reader's terms.

        Moments are shown in `zone` (the campaign's), dates in CLDR form, texts isolated; `contact`
        is the coordinator's address, shown beside the body when known.
        """
        return self._say("message.html", locale, country, zone, status, key, values, contact=contact)

    def done(
        self,
        *,
        locale: str | None,
        key: str,
        country: str | None = None,
        zone: str | None = None,
        receipt_id: str = "",
        signed_at: datetime | None = None,
        pledge_sha256: str = "",
        **values: Any,
    ) -> HTMLResponse:
        """The page after a form did what it asked (signed, declined, submitted), with any receipt."""
        return self._say(
            "done.html",
            locale,
            country,
            zone,
            200,
            key,
            values,
            receipt_id=receipt_id,
            signed_at=signed_at,
            pledge_sha256=pledge_sha256,
            shown_zone=ZoneInfo(zone) if zone else None,
        )

    def _say(
        self,
        template: str,
        locale: str | None,
        country: str | None,
        zone: str | None,
        status: int,
        key: str,
        values: dict[str, Any],
        **context: Any,
    ) -> HTMLResponse:
        _, language = self._renderer.environments.get(self.locale(locale), country=country)
        text = message_text(key)
        return self.render(
            template,
            locale=locale,
            country=country,
            status=status,
            heading=text.heading,
            body=text.body,
            plural=text.plural,
            count=values.get(text.count, 0),
            values=_shown(language, values, ZoneInfo(zone) if zone else None),
            **context,
        )

    def unavailable(self, *, locale: str | None, body_key: str) -> HTMLResponse:
        """The 503 page for a service that did not answer; `body_key` says what became of the request."""
        page = self.render(
            "message.html",
            locale=locale,
            status=503,
            heading=UNAVAILABLE_HEADING,
            body=UNAVAILABLE[body_key],
            plural=None,
            count=0,
            values={},
            contact="",
        )
        # The bodies ask the reader to try again "in a minute"; the header says so to machines.
        page.headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_SECONDS)
        return page


def _shown(language: Language, values: dict[str, Any], zone: ZoneInfo | None) -> dict[str, Any]:
    """Values as the reader reads them: moments and dates localised, states named, texts isolated."""
    shown: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, datetime):
            shown[name] = language.moment(value, zone)
        elif isinstance(value, date):
            shown[name] = language.date(value)
        elif name in ("state", "phase", "reason") and isinstance(value, str):
            shown[name] = bdi(language.gettext(state(value)))
        else:
            shown[name] = value
    return isolated(shown)
