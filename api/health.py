"""Operations endpoints: liveness, readiness (database, Temporal, SMTP) and Prometheus metrics."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import aiosmtplib
import prometheus_client
from fastapi import APIRouter, Request, Response
from prometheus_client.exposition import choose_encoder
from pydantic import BaseModel
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from api.context import ApiContext
from api.deps import ContextDep
from api.operations_access import may_read_operations_detail
from api.problems import problem_response
from api.responses import Problem
from pledgeflow.errors import FieldProblem

router = APIRouter(tags=["operations"])

# Each check gets this long; an orchestrator's probe usually times out after a few seconds more.
CHECK_TIMEOUT_SECONDS = 3.0


class CheckResult(BaseModel):
    ok: bool
    milliseconds: float
    detail: str = ""


class Readiness(BaseModel):
    status: str
    # Only for a reader of the operations detail (see api/operations_access.py).
    checks: dict[str, CheckResult] | None = None


class Liveness(BaseModel):
    status: str


def _ping_database(context: ApiContext) -> None:
    # A raw DBAPI connection: no ORM transaction (on SQLite that would take the write lock).
    connection = context.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT 1")
        cursor.fetchall()
        cursor.close()
    finally:
        connection.close()


async def _database(context: ApiContext) -> None:
    await asyncio.to_thread(_ping_database, context)


async def _temporal(context: ApiContext) -> None:
    client = await context.temporal()
    await client.workflow_service.get_system_info(
        GetSystemInfoRequest(), timeout=timedelta(seconds=CHECK_TIMEOUT_SECONDS)
    )


async def _smtp(context: ApiContext) -> None:
    settings = context.settings
    smtp = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        timeout=CHECK_TIMEOUT_SECONDS,
        start_tls=settings.smtp_starttls,
        use_tls=False,
    )
    await smtp.connect()
    try:
        await smtp.noop()
    finally:
        try:
            await smtp.quit()
        except aiosmtplib.SMTPException:
            smtp.close()


CHECKS: dict[str, Callable[[ApiContext], Awaitable[None]]] = {
    "database": _database,
    "temporal": _temporal,
    "smtp": _smtp,
}


async def _run(check: Callable[[ApiContext], Awaitable[None]], context: ApiContext) -> CheckResult:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check(context), timeout=CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        detail = f"no answer within {CHECK_TIMEOUT_SECONDS:g}s"
    except Exception as exc:  # every failure of a dependency is a "not ready", whatever its type
        detail = f"{type(exc).__name__}: {exc}".strip()
    else:
        return CheckResult(ok=True, milliseconds=round((time.perf_counter() - started) * 1000, 1))
    return CheckResult(ok=False, milliseconds=round((time.perf_counter() - started) * 1000, 1), detail=detail)


@router.get("/livez", response_model=Liveness)
def livez() -> Liveness:
    """The process is up (restart it if this fails); says nothing about its dependencies."""
    return Liveness(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    response_model_exclude_none=True,
    responses={
        503: {
            "model": Problem,
            "description": (
                "A dependency is unreachable; `errors` names each failed check (for a reader of "
                "the operations detail: the metrics token, or anyone outside production)"
            ),
            "content": {"application/problem+json": {}},
        }
    },
)
async def readyz(request: Request, context: ContextDep) -> Any:
    """The database, Temporal and the SMTP server all answer (send traffic here only then).

    The checks' names, timings and errors are shown only with the metrics token (or outside
    production when no token is set); anyone else gets the status alone.
    """
    names = list(CHECKS)
    results = await asyncio.gather(*(_run(CHECKS[name], context) for name in names))
    checks = dict(zip(names, results, strict=True))
    failed = [FieldProblem(name, result.detail) for name, result in checks.items() if not result.ok]
    if not may_read_operations_detail(request, context.settings):
        if failed:
            return problem_response(
                request,
                status=503,
                slug="not-ready",
                title="Not ready: a dependency is unreachable",
                detail="not ready",
            )
        return Readiness(status="ready")
    if failed:
        return problem_response(
            request,
            status=503,
            slug="not-ready",
            title="Not ready: a dependency is unreachable",
            detail="; ".join(f"{p.field}: {p.reason}" for p in failed),
            errors=failed,
        )
    return Readiness(status="ready", checks=checks)


@router.get("/metrics", response_class=Response, include_in_schema=False)
def metrics(request: Request, context: ContextDep) -> Response:
    """The process's Prometheus metrics (text or OpenMetrics format, as the scraper asks)."""
    if not may_read_operations_detail(request, context.settings):
        return problem_response(
            request,
            status=401,
            slug="unauthorized",
            title="Authentication required",
            detail="send Authorization: Bearer <PLEDGEFLOW_METRICS_TOKEN>",
            errors=[FieldProblem("Authorization", "the metrics token is missing or wrong")],
            headers={"WWW-Authenticate": "Bearer"},
        )
    encoder, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encoder(prometheus_client.REGISTRY), media_type=content_type)
