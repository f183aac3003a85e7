"""Jinja2 for the console's pages: the signed-in person, the CSRF field and a flash message.

Strings are wrapped in `_()` (gettext's convention) so that issue 13's catalogs can translate
the console by extraction; until then the translations are the null ones (English as written).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from api.console import formats
from api.console.field_labels import field_label
from api.csrf import CsrfGuard

FLASH_COOKIE = "pf_flash"


class ConsoleRenderer:
    """Renders templates/pages/console/*.html (they extend console/base.html)."""

    def __init__(self, templates_dir: Path, *, csrf: CsrfGuard, secret_key: str, secure_cookie: bool) -> None:
        self._env = Environment(
            loader=FileSystemLoader(str(templates_dir / "pages")),
            autoescape=select_autoescape(default=True),
            undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
        )
        self._env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]  # added by the extension
        self._env.filters.update(formats.FILTERS)
        self._env.filters["field_label"] = field_label
        self._csrf = csrf
        self._flash = URLSafeSerializer(secret_key, salt="pledgeflow-console-flash")
        self._secure = secure_cookie

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
        flash = self._read_flash(request)
        html = self._env.get_template(name).render(
            request=request, staff=staff, csrf_token=field, flash=flash, path=request.url.path, **context
        )
        response = HTMLResponse(html, status_code=status)
        self._csrf.set_cookie(response, cookie_value)
        if flash:
            response.delete_cookie(FLASH_COOKIE, path="/")
        return response

    def redirect(self, url: str, *, flash: str = "") -> Response:
        """303 to a page (after a POST), carrying a one-time message to show there."""
        response = RedirectResponse(url, status_code=303)
        if flash:
            response.set_cookie(
                FLASH_COOKIE,
                self._flash.dumps(flash),
                httponly=True,
                samesite="lax",
                secure=self._secure,
                max_age=120,
                path="/",
            )
        return response

    def _read_flash(self, request: Request) -> str:
        raw = request.cookies.get(FLASH_COOKIE)
        if not raw:
            return ""
        try:
            return str(self._flash.loads(raw))
        except BadSignature:
            return ""
