"""One error shape everywhere: RFC 9457 problem details, with the field and the reason."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from api.responses import PROBLEM_MEDIA_TYPE, Problem, problem_content
from pledgeflow.errors import FieldProblem, PledgeflowError

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://pledgeflow.org/problems/"
MEDIA_TYPE = PROBLEM_MEDIA_TYPE
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


def _field_problem(err: dict[str, Any]) -> FieldProblem:
    """One pydantic error as a field and a reason."""
    if err.get("type") == "json_invalid":
        # Its location is ("body", <character position>): the field is the body, the position a detail.
        location = err.get("loc", ("body", 0))
        reason = (
            f"not valid JSON: {err.get('ctx', {}).get('error', 'decode error')} at character {location[-1]}"
        )
        return FieldProblem("body", reason)
    return FieldProblem(
        _field_path(tuple(err.get("loc", ()))), str(err.get("msg", "invalid")).removeprefix("Value error, ")
    )


async def domain_error(request: Request, exc: Exception) -> JSONResponse:
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


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [_field_problem(err) for err in exc.errors()]
    detail = "; ".join(f"{p.field}: {p.reason}" for p in problems)
    return problem_response(
        request,
        status=422,
        slug="invalid-input",
        title="The request has invalid fields",
        detail=detail,
        errors=problems,
    )


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    slug = {
        400: "bad-request",
        404: "not-found",
        405: "method-not-allowed",
        401: "unauthorized",
        403: "forbidden",
    }.get(exc.status_code, "http-error")
    return problem_response(
        request,
        status=exc.status_code,
        slug=slug,
        title=str(exc.detail) if exc.status_code != 404 else "Not found",
        detail=str(exc.detail),
        headers=getattr(exc, "headers", None),
    )


async def _out_of_range(request: Request, exc: Exception) -> JSONResponse:
    """A number the database cannot hold (SQLite's OverflowError, PostgreSQL's DataError).

    The bounded parameter types of api/deps.py refuse such numbers before any query; this net
    catches those that still arrive through a body field or a route that forgot the bound.
    """
    log.warning("a value the database refused on %s %s: %s", request.method, request.url.path, type(exc))
    reason = "a number is out of range for the database"
    diagnostic = getattr(getattr(getattr(exc, "orig", None), "diag", None), "message_primary", None)
    if isinstance(exc, DataError) and diagnostic:
        reason = f"the database refused a value: {diagnostic}"
    return problem_response(
        request,
        status=422,
        slug="invalid-input",
        title="The request has invalid fields",
        detail=reason,
        errors=[FieldProblem("request", reason)],
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


def _document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Every error response of the OpenAPI schema as the problem+json this API answers with.

    FastAPI documents its own 422 (HTTPValidationError as application/json) on every route with
    parameters, and nothing for the 400 it answers to a body it cannot parse; the handlers above
    answer a problem for both, so the schema says so.
    """
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem_schema.pop("$defs", {}))
    components["Problem"] = problem_schema
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if "requestBody" in operation:
                # FastAPI answers 400 itself when a body cannot be parsed (not JSON, a broken form).
                operation["responses"].setdefault("400", {"description": "The body could not be parsed"})
            if "401" in operation.get("responses", {}):
                # api/rate_limits.py: an address that keeps failing token authentication waits.
                operation["responses"].setdefault(
                    "429", {"description": "Too many failed token authentications from this address"}
                )
            for status, response in operation.get("responses", {}).items():
                if status[0] in "45":
                    response["content"] = problem_content()
                    if status == "422" and response.get("description") == "Validation Error":
                        response["description"] = "Invalid fields; each is named with its reason"
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def install_openapi(app: FastAPI) -> None:
    """Make app.openapi() document problem+json for every error (built once, then cached)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document_problems(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


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


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    bug = isinstance(exc, DBAPIError) and not isinstance(exc, OperationalError | InterfaceError)
    if bug and not (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        return await _unexpected_error(request, exc)  # bad SQL or a constraint, not an outage
    if "no such table" in str(exc):
        # SQLite reports a database that was never migrated as an OperationalError: a deployment
        # fault that waiting will not cure, so not a 503 with Retry-After.
        return await _unexpected_error(request, exc)
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    headers = {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}
    tools = getattr(request.app.state, "page_tools", None)
    if tools is not None and _wants_page(request):
        page: HTMLResponse = tools.renderer.for_request(request).message(
            locale=None, status=503, key="error.database", seconds=DATABASE_RETRY_AFTER_SECONDS
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
    """Register the handlers that turn every error into a problem, and document them."""
    install_openapi(app)
    app.add_exception_handler(Exception, _unexpected_error)
    for database_error in (DBAPIError, PoolTimeoutError):
        app.add_exception_handler(database_error, _database_unavailable)
    app.add_exception_handler(PledgeflowError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(DataError, _out_of_range)
