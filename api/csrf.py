"""Cross-site request forgery protection for the forms behind email links.

A random value lives in a SameSite=Strict cookie; each form carries an HMAC of that value and
the link token. A forged cross-site POST has neither the cookie nor the matching field.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "pf_csrf"
FIELD = "csrf_token"


class CsrfGuard:
    def __init__(self, secret_key: str, *, secure_cookie: bool) -> None:
        self._key = hashlib.sha256(b"pledgeflow-csrf\n" + secret_key.encode()).digest()
        self._secure = secure_cookie

    def _mac(self, cookie_value: str, scope: str) -> str:
        return hmac.new(self._key, f"{cookie_value}|{scope}".encode(), hashlib.sha256).hexdigest()

    def issue(self, request: Request, scope: str) -> tuple[str, str]:
        """The cookie value (reused when present) and the form field for this scope."""
        cookie_value = request.cookies.get(COOKIE) or secrets.token_urlsafe(24)
        return cookie_value, self._mac(cookie_value, scope)

    def set_cookie(self, response: Response, cookie_value: str) -> None:
        response.set_cookie(
            COOKIE, cookie_value, httponly=True, samesite="strict", secure=self._secure, max_age=86400
        )

    def check(self, request: Request, scope: str, submitted: str | None) -> bool:
        """True when the form's field matches the cookie for this scope."""
        cookie_value = request.cookies.get(COOKIE)
        if not cookie_value or not submitted:
            return False
        return hmac.compare_digest(self._mac(cookie_value, scope), submitted)
