"""A programme's open data at stable addresses: JSON (with its JSON Schema) and CSV."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from api.deps import ContextDep, SessionDep
from api.responses import ERRORS_READ
from services.imports.formulas import SafeCsvWriter
from services.plans import plans, publication

router = APIRouter(prefix="/open-data", tags=["open data"])

SCHEMA_PATH = Path(__file__).parent / "schemas" / "open_data.schema.json"


def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
    return loaded


NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "The copy named by If-None-Match is current"}
}


@router.get(
    "/schema.json",
    response_class=JSONResponse,
    responses={200: {"content": {"application/schema+json": {"schema": {"type": "object"}}}}, **ERRORS_READ},
)
def open_data_schema() -> JSONResponse:
    """The JSON Schema every programme's export validates against."""
    return JSONResponse(schema(), media_type="application/schema+json")


def _document(session: SessionDep, context: ContextDep, slug: str) -> dict[str, Any]:
    programme = plans.programme_by_slug(session, slug)
    base = context.settings.public_base_url.rstrip("/")
    return publication.open_data(session, context.settings.secret_key, programme, base)


@router.get(
    "/{slug}.json",
    response_class=JSONResponse,
    responses={
        200: {"content": {"application/json": {"schema": {"type": "object"}}}},
        **NOT_MODIFIED,
        **ERRORS_READ,
    },
)
def open_data_json(slug: str, request: Request, session: SessionDep, context: ContextDep) -> Response:
    """Public registers with standing and public plans with their progress; licence and last update."""
    document = _document(session, context, slug)
    return _cached(request, json.dumps(document, ensure_ascii=False), "application/json", document)


@router.get(
    "/{slug}.csv",
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **NOT_MODIFIED,
        **ERRORS_READ,
    },
)
def open_data_csv(slug: str, request: Request, session: SessionDep, context: ContextDep) -> Response:
    """One row per indicator reading of every public plan (columns: see `publication.CSV_HEADER`)."""
    document = _document(session, context, slug)
    out = io.StringIO()
    writer = SafeCsvWriter(out)
    writer.writerow(publication.CSV_HEADER)
    writer.writerows(publication.csv_rows(document))
    return _cached(request, out.getvalue(), "text/csv; charset=utf-8", document)


def _cached(request: Request, body: str, media_type: str, document: dict[str, Any]) -> Response:
    """The body with its ETag and licence; 304 when the client's copy is current."""
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300", "X-Licence": document["licence"]}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
