"""Cross-site request forgery protection for the forms behind email links.

A random value lives in a SameSite=Strict cookie; each form carries an HMAC of that value and
the link token. A forged cross-site POST has neither the cookie nor the matching field.

Besides the field, a browser's POST must come from the public base URL's origin. Pages are
served with `Referrer-Policy: no-referrer`, under which browsers send `Origin: null` on form
posts and no Referer at all; so the order is: a real Origin, else the Fetch Metadata header
`Sec-Fetch-Site` (sent whatever the referrer policy), else the Referer. A request with none of
them is not from a current browser, and the CSRF field alone decides.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "pf_csrf"
FIELD = "csrf_token"


_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, lower case, without the scheme's default port ('' if none)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    if not parts.scheme or not parts.hostname:
        return ""
    scheme = parts.scheme.lower()
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    return f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{scheme}://{host}:{port}"


def from_origin(request: Request, allowed_origin: str) -> bool:
    """True unless the browser says the request comes from another origin than allowed_origin."""
    origin = request.headers.get("origin", "").strip()
    if origin and origin != "null":
        return origin_of(origin) == allowed_origin
    fetch_site = request.headers.get("sec-fetch-site", "").strip().lower()
    if fetch_site:
        return fetch_site == "same-origin"
    referer = request.headers.get("referer", "").strip()
    if referer:
        return origin_of(referer) == allowed_origin
    return True


class CsrfGuard:
    def __init__(self, secret_key: str, *, secure_cookie: bool, public_base_url: str) -> None:
        self._key = hashlib.sha256(b"pledgeflow-csrf\n" + secret_key.encode()).digest()
        self._secure = secure_cookie
        self._origin = origin_of(public_base_url)

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
        """True when the post comes from the public origin and its field matches the cookie."""
        if not from_origin(request, self._origin):
            return False
        cookie_value = request.cookies.get(COOKIE)
        if not cookie_value or not submitted:
            return False
        return hmac.compare_digest(self._mac(cookie_value, scope), submitted)
