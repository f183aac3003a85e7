"""Errors on console pages answer as pages: a 404 or 403 a person can read, sign-in when needed.

The JSON API keeps its problem documents; these handlers take over only for the console's paths
(/console, /sign-in, /sign-out, /) and pass everything else to api/problems.py's handlers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from api.console.signed_in import SignInRequired, current_staff_or_none, get_console, sign_in_url
from pledgeflow.errors import PledgeflowError
from pledgeflow.i18n import N_

Handler = Callable[[Request, Exception], Awaitable[Response]]
CONSOLE_PREFIXES = ("/console", "/sign-in", "/sign-out")


def is_console(request: Request) -> bool:
    path = request.url.path
    return path == "/" or path.startswith(CONSOLE_PREFIXES)


async def _sign_in_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    if request.headers.get("hx-request"):
        # htmx follows redirects inside the fragment; ask it to load the sign-in page whole.
        return Response(status_code=204, headers={"HX-Redirect": sign_in_url(exc.next_path)})
    return RedirectResponse(sign_in_url(exc.next_path), status_code=303)


def _page(request: Request, status: int, heading: str, detail: str) -> Response:
    tools = get_console(request)
    return tools.renderer.render(
        request,
        "console/error.html",
        staff=current_staff_or_none(request),
        status=status,
        heading=heading,
        detail=detail,
    )


SOMETHING_WRONG = N_("Something went wrong")
NO_PAGE = N_("There is no page at this address.")
HEADINGS = {
    400: N_("This request could not be read"),
    401: N_("Please sign in"),
    403: N_("You cannot do this"),
    404: N_("Not found"),
    405: N_("Not found"),
    409: N_("This cannot be done now"),
    410: N_("This is no longer available"),
    422: N_("Some fields need a change"),
    503: N_("A service is not answering"),
}


def install(app: FastAPI, *, domain: Handler, validation: Handler, http: Handler) -> None:
    """Route console errors to pages; `domain`, `validation` and `http` answer the rest."""

    async def on_domain(request: Request, exc: Exception) -> Response:
        if not is_console(request):
            return await domain(request, exc)
        assert isinstance(exc, PledgeflowError)
        return _page(request, exc.status, HEADINGS.get(exc.status, SOMETHING_WRONG), exc.detail)

    async def on_validation(request: Request, exc: Exception) -> Response:
        if not is_console(request):
            return await validation(request, exc)
        assert isinstance(exc, RequestValidationError)
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in err.get('loc', ())[1:]) or 'request'}: {err.get('msg', '')}"
            for err in exc.errors()
        )
        return _page(request, 400, HEADINGS[400], reasons)

    async def on_http(request: Request, exc: Exception) -> Response:
        if not is_console(request):
            return await http(request, exc)
        assert isinstance(exc, StarletteHTTPException)
        detail = NO_PAGE if exc.status_code in (404, 405) else str(exc.detail)
        return _page(request, exc.status_code, HEADINGS.get(exc.status_code, SOMETHING_WRONG), detail)

    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(PledgeflowError, on_domain)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
