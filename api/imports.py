"""Imports: organisations and contacts from a coordinator's spreadsheet (CSV or XLSX)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, UploadFile

from api.deps import SessionDep, UserDep, actor_of, require_writer
from api.responses import ERRORS_WRITE, Problem
from models.imports import ImportReport
from services.imports import stakeholders
from services.imports.limits import MAX_COLUMNS, MAX_ROWS, MAX_UNCOMPRESSED_BYTES
from services.imports.spreadsheet import MAX_BYTES, check_size, read_sheet

router = APIRouter(prefix="/imports", tags=["imports"])


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {"application/problem+json": {}}}


ERRORS_IMPORT: dict[int | str, dict[str, Any]] = {
    **ERRORS_WRITE,
    409: _problem("Some rows are refused and accept_good_rows is false: nothing was applied"),
    413: _problem(
        f"The file is larger than {MAX_BYTES // 1024 // 1024} MB, a workbook unpacks to more than "
        f"{MAX_UNCOMPRESSED_BYTES // 1024 // 1024} MB, or a cell or line is longer than its limit "
        "(the problem names the limit and the value)"
    ),
    415: _problem("Not a CSV or XLSX file"),
    422: _problem(
        "The file cannot be read (encoding, missing columns, no rows, unsafe XML), has more rows or "
        f"columns than accepted ({MAX_ROWS:,} rows, {MAX_COLUMNS} columns), or invalid parameters"
    ),
}


@router.post("/stakeholders", response_model=ImportReport, responses=ERRORS_IMPORT)
def import_stakeholders(
    file: UploadFile,
    session: SessionDep,
    user: UserDep,
    dry_run: bool = Query(True, description="Only report what would be created, updated or refused"),
    accept_good_rows: bool = Query(False, description="Apply the good rows even though some are refused"),
) -> ImportReport:
    """Import organisations and contacts into the caller's directory, one row each; a dry run by default.

    Columns: organisation, kind, country (required); external_ref, head_name, head_email,
    contact_name, contact_email, contact_title, locale, timezone, escalation_name,
    escalation_email. Importing the same file again changes nothing. A file with refused
    rows is applied only with accept_good_rows; otherwise the answer is 409 naming every
    refused cell as rows[<row number>].<column>, and nothing is written.
    """
    require_writer(user)
    # Starlette has spooled the upload to a temporary file; read no more than the limit of it.
    check_size(file.size or 0)
    content = file.file.read(MAX_BYTES + 1)
    file_name = file.filename or "upload"
    sheet = read_sheet(content, file_name)
    # The file is matched against, and written into, the caller's own directory only.
    plan = stakeholders.plan(session, sheet, content=content, file_name=file_name, owner_id=user.id)
    if not dry_run:
        stakeholders.apply(session, plan, actor=actor_of(user), accept_good_rows=accept_good_rows)
    return stakeholders.report(plan, dry_run=dry_run, accept_good_rows=accept_good_rows)
