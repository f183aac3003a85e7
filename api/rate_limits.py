"""Rate limits per client address and route family, with the `limits` library.

Link pages (/s, /w, /r, /rv), receipts and register keys are guessed or replayed by hammering
them; Bearer tokens by trying many. One middleware keys each family on the client address (as
uvicorn's proxy headers set it): beyond a family's limit the answer is 429 with Retry-After,
a clear page for the HTML pages and a problem document for JSON. Failed token authentication
(an answer 401 to a request with an Authorization header) counts on its own; past its limit,
every request with a token from that address is refused until the window moves on.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem_response
from api.templating import PageRenderer
from pledgeflow.config import Settings
from pledgeflow.errors import FieldProblem

LINK_PREFIXES = frozenset({"s", "w", "r", "rv"})
FAILED_AUTH = "failed_auth"


def family_of(path: str) -> str | None:
    """The rate-limited family a path belongs to: links, receipts, register, or None."""
    parts = path.split("/")
    first = parts[1] if len(parts) > 1 else ""
    has_key = len(parts) > 2 and parts[2] != ""
    if first in LINK_PREFIXES and has_key:
        return "links"
    if first == "receipts" and has_key:
        return "receipts"
    if first == "register":
        return "register"
    if first == "sign-in":
        return "sign_in"
    return None


@dataclass(frozen=True)
class Limits:
    """The limit of each family, from the settings."""

    per_family: dict[str, RateLimitItem]
    failed_auth: RateLimitItem

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        """Parse the PLEDGEFLOW_RATE_LIMIT_* settings (validated when the settings were read)."""
        return cls(
            per_family={
                "links": parse(settings.rate_limit_links),
                "receipts": parse(settings.rate_limit_receipts),
                "register": parse(settings.rate_limit_register),
                "sign_in": parse(settings.rate_limit_sign_in),
            },
            failed_auth=parse(settings.rate_limit_failed_auth),
        )


class RateLimits:
    """ASGI middleware applying the limits; one in-memory window store per app (per process)."""

    def __init__(self, app: ASGIApp, *, settings: Settings, pages: PageRenderer) -> None:
        self.app = app
        self.enabled = settings.rate_limit_enabled
        self.limits = Limits.from_settings(settings)
        self.limiter = MovingWindowRateLimiter(storage_from_string("memory://"))
        self.pages = pages

    def _retry_after(self, item: RateLimitItem, *keys: str) -> int:
        reset_at = self.limiter.get_window_stats(item, *keys).reset_time
        return max(1, math.ceil(reset_at - time.time()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.enabled:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = client[0] if client else "unknown"
        family = family_of(scope["path"])
        if family is not None:
            item = self.limits.per_family[family]
            if not self.limiter.hit(item, family, address):
                await self._refuse(scope, send, family, self._retry_after(item, family, address))
                return
        headers = dict(scope.get("headers") or [])
        if b"authorization" not in headers:
            await self.app(scope, receive, send)
            return
        failed = self.limits.failed_auth
        if not self.limiter.test(failed, FAILED_AUTH, address):
            await self._refuse(scope, send, FAILED_AUTH, self._retry_after(failed, FAILED_AUTH, address))
            return

        async def count_refusals(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                self.limiter.hit(failed, FAILED_AUTH, address)
            await send(message)

        await self.app(scope, receive, count_refusals)

    async def _refuse(self, scope: Scope, send: Send, family: str, retry_after: int) -> None:
        request = Request(scope)
        headers = {"Retry-After": str(retry_after)}
        path = scope["path"]
        html = family in ("links", "receipts", "register", "sign_in") and not path.endswith(".json")
        response: Response
        if html:
            response = self.pages.for_request(request).message(
                locale=None,
                status=429,
                key="rate.limited",
                seconds=retry_after,
            )
            response.headers.update(headers)
        else:
            what = "failed token authentications" if family == FAILED_AUTH else f"requests to {family}"
            response = problem_response(
                request,
                status=429,
                slug="rate-limited",
                title="Too many requests",
                detail=f"too many {what} from this address; retry after {retry_after} s",
                errors=[FieldProblem("Retry-After", f"retry after {retry_after} s")],
                headers=headers,
            )
        await response(scope, _empty_receive, send)


async def _empty_receive() -> Message:
    return {"type": "http.disconnect"}
