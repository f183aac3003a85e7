"""Jinja2 for the console's pages in the reader's language: the signed-in person, the CSRF field,
a flash message and the language switch.

The reader's language is the `pf_lang` cookie (the switch in the header sets it), then the staff
member's stored locale if they have one, then Accept-Language, then English. Each locale has its
own environment (`LocalisedEnvironments`), so `_()` and `ngettext()` in the templates translate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from api.console import formats
from api.console.field_labels import field_label_filter
from api.console.flash import Flash
from api.console.flash import flash as flash_of
from api.console.status_labels import msg_filter, status_filter
from api.csrf import CsrfGuard
from pledgeflow.i18n import Language, LocalisedEnvironments, choose_locale, load_catalogs

FLASH_COOKIE = "pf_flash"
LANGUAGE_COOKIE = "pf_lang"
LANGUAGE_MAX_AGE = 365 * 24 * 3600


class ConsoleRenderer:
    """Renders templates/pages/console/*.html (they extend console/base.html) in the reader's language."""

    def __init__(self, templates_dir: Path, *, csrf: CsrfGuard, secret_key: str, secure_cookie: bool) -> None:
        self._environments = LocalisedEnvironments(
            load_catalogs(templates_dir),
            loader=FileSystemLoader(str(templates_dir / "pages")),
            autoescape=select_autoescape(default=True),
            filters={
                **formats.FILTERS,
                "field_label": field_label_filter,
                "status": status_filter,
                "msg": msg_filter,
            },
        )
        self._csrf = csrf
        self._flash = URLSafeSerializer(secret_key, salt="pledgeflow-console-flash")
        self._secure = secure_cookie

    @property
    def locales(self) -> list[str]:
        """Every language the console can be read in."""
        return self._environments.catalogs.locales

    def locale_of(self, request: Request, staff: Any = None) -> str:
        """The reader's locale: the switch's cookie, their stored locale, Accept-Language, English."""
        stored = getattr(getattr(staff, "user", None), "locale", None) if staff is not None else None
        return choose_locale(
            self.locales,
            request.cookies.get(LANGUAGE_COOKIE),
            stored if isinstance(stored, str) else None,
            accept_language=request.headers.get("accept-language"),
        )

    def language_of(self, request: Request, staff: Any = None) -> Language:
        """The reader's `Language` (for Python code that must write a sentence itself)."""
        return self._environments.get(self.locale_of(request, staff))[1]

    def render(
        self,
        request: Request,
        name: str,
        *,
        staff: Any = None,
        csrf_scope: str = "sign-in",
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        """A whole page (or an htmx fragment: the template decides) with the CSRF field for its forms."""
        scope = staff.csrf_scope if staff is not None else csrf_scope
        cookie_value, field = self._csrf.issue(request, scope)
        env, language = self._environments.get(self.locale_of(request, staff))
        flash = self._read_flash(request)
        this_page = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        html = env.get_template(name).render(
            request=request,
            staff=staff,
            csrf_token=field,
            flash=flash.shown(language) if flash else "",
            path=request.url.path,
            this_page=this_page,
            languages=[(code, self._environments.get(code)[1].name) for code in self.locales],
            **context,
        )
        response = HTMLResponse(html, status_code=status)
        self._csrf.set_cookie(response, cookie_value)
        if flash:
            response.delete_cookie(FLASH_COOKIE, path="/")
        return response

    def redirect(self, url: str, *, flash: Flash | str | None = None) -> Response:
        """303 to a page (after a POST), carrying a one-time message (a msgid) to show there."""
        response = RedirectResponse(url, status_code=303)
        if flash:
            message = flash if isinstance(flash, Flash) else flash_of(flash)
            response.set_cookie(
                FLASH_COOKIE,
                self._flash.dumps(message.dumps()),
                httponly=True,
                samesite="lax",
                secure=self._secure,
                max_age=120,
                path="/",
            )
        return response

    def set_language(self, response: Response, locale: str) -> None:
        """Remember the reader's choice of language (not HttpOnly: it is no secret)."""
        response.set_cookie(
            LANGUAGE_COOKIE,
            locale,
            samesite="lax",
            secure=self._secure,
            max_age=LANGUAGE_MAX_AGE,
            path="/",
        )

    def _read_flash(self, request: Request) -> Flash | None:
        raw = request.cookies.get(FLASH_COOKIE)
        if not raw:
            return None
        try:
            return Flash.loads(self._flash.loads(raw))
        except BadSignature:
            return None
