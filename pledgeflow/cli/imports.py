"""`pledgeflow import`: organisations and contacts from a spreadsheet, dry run by default."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from models.imports import ImportCounts, ImportOutcome, ImportReport, ImportRow
from models.user import Role, User
from pledgeflow.errors import InvalidInput, PledgeflowError

import_app = typer.Typer(help="Import records from spreadsheets.", no_args_is_help=True)

_COLOURS = {
    ImportOutcome.create: typer.colors.GREEN,
    ImportOutcome.update: typer.colors.YELLOW,
    ImportOutcome.unchanged: None,
    ImportOutcome.refused: typer.colors.RED,
}


@import_app.command("stakeholders")
def stakeholders(
    path: Annotated[
        Path, typer.Argument(help="A .csv (UTF-8) or .xlsx file", exists=True, dir_okay=False, readable=True)
    ],
    owner: Annotated[
        str,
        typer.Option(
            "--owner",
            help="Email of the coordinator (or admin) whose directory the file is matched against "
            "and imported into",
        ),
    ],
    apply: Annotated[bool, typer.Option("--apply", help="Write the changes (default: a dry run)")] = False,
    accept_good_rows: Annotated[
        bool, typer.Option("--accept-good-rows", help="Import the good rows even though some are refused")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Report, row by row, what the file creates, updates or refuses; --apply writes it.

    Exits with 2 when the file cannot be read, the owner is not a coordinator or admin, or
    rows are refused and --accept-good-rows is not given (then nothing is written).
    """
    from pledgeflow.cli.support import cli_actor
    from pledgeflow.db import create_tables, get_engine, session_scope
    from services.imports import stakeholders
    from services.imports.spreadsheet import read_sheet

    content = path.read_bytes()
    engine = get_engine()
    create_tables(engine)
    try:
        with session_scope(engine) as session:
            user = _owner(session, owner)
            sheet = read_sheet(content, path.name)
            plan = stakeholders.plan(session, sheet, content=content, file_name=path.name, owner_id=user.id)
            refused = bool(plan.refused)
            if apply and (not refused or accept_good_rows):
                # Who ran it, and for whom: the audit entry names both.
                actor = f"{cli_actor()}:for:user:{user.id}:{user.email}"
                stakeholders.apply(session, plan, actor=actor, accept_good_rows=accept_good_rows)
    except PledgeflowError as exc:
        _print_error(exc, as_json=as_json)
        raise typer.Exit(code=2) from exc
    report = stakeholders.report(plan, dry_run=not apply, accept_good_rows=accept_good_rows)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        _print_report(report)
    if refused and not accept_good_rows:
        raise typer.Exit(code=2)


def _owner(session: Session, email: str) -> User:
    """The coordinator or admin named by --owner, or InvalidInput naming the option."""
    from sqlmodel import select

    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise InvalidInput.for_field("owner", f"no user has the address {email}")
    if user.role not in (Role.admin, Role.coordinator):
        raise InvalidInput.for_field(
            "owner", f"{email} is a {user.role.value}; only coordinators and admins own a directory"
        )
    return user


def _print_error(exc: PledgeflowError, *, as_json: bool) -> None:
    if as_json:
        errors = [{"field": e.field, "reason": e.reason} for e in exc.errors]
        typer.echo(json.dumps({"status": exc.status, "detail": exc.detail, "errors": errors}, indent=2))
        return
    typer.secho(f"error: {exc.detail}", fg=typer.colors.RED, err=True)
    for problem in exc.errors:
        typer.echo(f"  {problem.field}: {problem.reason}", err=True)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _details(row: ImportRow) -> list[str]:
    lines = [
        f"{p.field}{f' ({p.column})' if p.column and p.column != p.field else ''}: {p.reason}"
        for p in row.problems
    ]
    lines += [f"{c.field}: {c.old!r} -> {c.new!r}" for c in row.changes]
    if row.same_organisation_as_row is not None:
        lines.append(f"organisation as in row {row.same_organisation_as_row}")
    return lines


def _counted(counts: ImportCounts) -> str:
    return f"{counts.create} create, {counts.update} update, {counts.unchanged} unchanged"


def _print_report(report: ImportReport) -> None:
    rows = report.summary.rows
    typer.echo(f"{report.file_name}: {report.format.upper()}, {rows.total} rows, SHA-256 {report.sha256}")
    for notice in report.notices:
        typer.echo(f"  note: {notice}")
    typer.echo(f"{'row':>6}  {'outcome':<10} {'organisation':<32} {'contact':<32} details")
    for row in report.rows:
        details = _details(row)
        outcome = typer.style(f"{row.outcome.value:<10}", fg=_COLOURS[row.outcome])
        typer.echo(
            f"{row.row:>6}  {outcome} {_cut(row.organisation or '-', 32):<32} "
            f"{_cut(row.contact_email or '-', 32):<32} {details[0] if details else ''}".rstrip()
        )
        for line in details[1:]:
            typer.echo(f"{'':>85}{line}")
    summary = report.summary
    typer.echo(
        f"rows: {_counted(rows)}, {rows.refused} refused; organisations: {_counted(summary.organisations)}; "
        f"contacts: {_counted(summary.contacts)}"
    )
    if rows.refused and not report.accept_good_rows:
        typer.secho(
            f"{rows.refused} rows are refused: nothing is imported until they are fixed, "
            "or the good rows are accepted with --accept-good-rows",
            fg=typer.colors.RED,
        )
    elif report.applied and not (rows.create or rows.update):
        typer.echo("nothing to import: the records already match the file")
    elif report.applied:
        typer.echo("imported" + (f", except the {rows.refused} refused rows" if rows.refused else ""))
    else:
        typer.echo("dry run: nothing was written; run again with --apply to import")
