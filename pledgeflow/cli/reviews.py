"""`pledgeflow reports ...`: what a review cycle's reports add up to, from the records."""

from __future__ import annotations

from typing import Annotated

import typer

from pledgeflow.cli.support import fail_with
from pledgeflow.db import get_engine, session_scope
from pledgeflow.errors import PledgeflowError
from services import campaigns
from services.reviews import report_summary
from services.reviews.report_summary import ReportSummary

reports_app = typer.Typer(help="Review cycles: the signatories' reports.", no_args_is_help=True)

SHORT_STATUS = {
    "implemented": "done",
    "in_progress": "doing",
    "not_started": "todo",
    "not_applicable": "n/a",
    None: "-",
}


def _table(summary: ReportSummary) -> str:
    """The summary as plain text: one line per organisation, then the key factors."""
    keys = [c.key for c in summary.commitments]
    lines = [
        f"campaign {summary.campaign_id}, cycle {summary.cycle or '-'}: "
        f"{summary.reported} of {summary.expected} reported "
        f"({summary.on_time} on time, {summary.late} late), {summary.accepted} accepted",
        "",
    ]
    width = max([len(o.organisation_name) for o in summary.organisations] + [12])
    header = f"{'organisation':<{width}}  {'status':<10} {'timeliness':<10} {'standing':<14}"
    lines.append(header + " " + " ".join(f"{k:<6}" for k in keys))
    for org in summary.organisations:
        cells = " ".join(f"{SHORT_STATUS.get(org.commitments.get(k), '?'):<6}" for k in keys)
        lines.append(
            f"{org.organisation_name:<{width}}  {org.status:<10} "
            f"{report_summary.timeliness(org) or '-':<10} {org.standing:<14} {cells}"
        )
    if not summary.organisations:
        lines.append("(no signatories)")
    lines += ["", "Arusha key factor                        implemented in_progress not_started n/a"]
    for counts in summary.factors:
        if counts.implemented + counts.in_progress + counts.not_started + counts.not_applicable == 0:
            continue
        lines.append(
            f"{counts.number:>2}. {counts.label:<37}{counts.implemented:>11} {counts.in_progress:>11} "
            f"{counts.not_started:>11} {counts.not_applicable:>3}"
        )
    return "\n".join(lines)


@reports_app.command("summary")
def summary(
    campaign_id: Annotated[int, typer.Argument(metavar="CAMPAIGN")],
    cycle: Annotated[int | None, typer.Option(help="The cycle; the newest when not given", min=1)] = None,
    as_csv: Annotated[
        bool, typer.Option("--csv", help="One CSV row per organisation and commitment")
    ] = False,
) -> None:
    """Per organisation: reported, on time or late, status, standing; per Arusha key factor: counts."""
    try:
        with session_scope(get_engine()) as session:
            campaign = campaigns.get_or_raise(session, campaign_id)
            result = report_summary.summary(session, campaign, cycle)
    except PledgeflowError as exc:
        fail_with(exc)
    typer.echo(report_summary.to_csv(result) if as_csv else _table(result), nl=not as_csv)
