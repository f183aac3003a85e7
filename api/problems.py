"""One error shape everywhere: RFC 9457 problem details, with the field and the reason."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from pledgeflow.errors import FieldProblem, PledgeflowError

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://pledgeflow.org/problems/"
MEDIA_TYPE = "application/problem+json"
# A dropped or restarting database is usually back within seconds.
DATABASE_RETRY_AFTER_SECONDS = 5


def problem_response(
    request: Request,
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "errors": [{"field": e.field, "reason": e.reason} for e in errors or []],
    }
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _field_path(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path")]
    return ".".join(parts) or str(location[0] if location else "body")


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PledgeflowError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return problem_response(
        request,
        status=exc.status,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        headers=headers,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        FieldProblem(
            _field_path(tuple(err.get("loc", ()))),
            str(err.get("msg", "invalid")).removeprefix("Value error, "),
        )
        for err in exc.errors()
    ]
    detail = "; ".join(f"{p.field}: {p.reason}" for p in problems)
    return problem_response(
        request,
        status=422,
        slug="invalid-input",
        title="The request has invalid fields",
        detail=detail,
        errors=problems,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    slug = {404: "not-found", 405: "method-not-allowed", 401: "unauthorized", 403: "forbidden"}.get(
        exc.status_code, "http-error"
    )
    return problem_response(
        request,
        status=exc.status_code,
        slug=slug,
        title=str(exc.detail) if exc.status_code != 404 else "Not found",
        detail=str(exc.detail),
        headers=getattr(exc, "headers", None),
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        request,
        status=500,
        slug="internal-error",
        title="Internal error",
        detail="an unexpected error occurred; it has been logged",
    )


def _wants_page(request: Request) -> bool:
    """True for the HTML pages (link pages, receipts, register): they answer errors in HTML too."""
    route = request.scope.get("route")
    if isinstance(route, APIRoute):
        response_class = getattr(route.response_class, "value", route.response_class)
        if not route.include_in_schema or (
            isinstance(response_class, type) and issubclass(response_class, HTMLResponse)
        ):
            return True
    return "text/html" in request.headers.get("accept", "")


def _reader_locale(request: Request) -> str | None:
    """The first language of Accept-Language (the database that knows the contact's is down)."""
    first = request.headers.get("accept-language", "").split(",")[0].split(";")[0].strip()
    return first or None


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    bug = isinstance(exc, DBAPIError) and not isinstance(exc, OperationalError | InterfaceError)
    if bug and not (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        return await _unexpected_error(request, exc)  # bad SQL or a constraint, not an outage
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    headers = {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}
    tools = getattr(request.app.state, "page_tools", None)
    if tools is not None and _wants_page(request):
        page: HTMLResponse = tools.pages.render(
            "message.html",
            locale=_reader_locale(request),
            status=503,
            key="error.database",
            values={"seconds": DATABASE_RETRY_AFTER_SECONDS},
        )
        page.headers.update(headers)
        return page
    return problem_response(
        request,
        status=503,
        slug="database-unavailable",
        title="The database is unavailable",
        detail=f"the database did not answer; nothing was changed by this request. "
        f"Try again in {DATABASE_RETRY_AFTER_SECONDS} seconds",
        errors=[FieldProblem("database", "unreachable or dropped the connection")],
        headers=headers,
    )


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem."""
    app.add_exception_handler(Exception, _unexpected_error)
    for database_error in (DBAPIError, PoolTimeoutError):
        app.add_exception_handler(database_error, _database_unavailable)
    app.add_exception_handler(PledgeflowError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
