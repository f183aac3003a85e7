"""The reports summary of a campaign: per organisation and per Arusha key factor, a chart, its CSV."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.console.signed_in import ConsoleDep, StaffDep
from api.deps import RecordId, SessionDep, campaign_for
from services.reviews import report_summary
from services.reviews.report_summary import FactorCounts

router = APIRouter(prefix="/console", include_in_schema=False)

STATUSES = ("implemented", "in_progress", "not_started", "not_applicable")
CHART_WIDTH = 400  # drawn at about its own size on a phone and at most 32rem wide
LABEL_WIDTH = 40  # the factor's number, left of its bar
ROW_HEIGHT = 28
BAR_HEIGHT = 18


@dataclass(frozen=True)
class Segment:
    status: str
    x: float
    width: float
    count: int


@dataclass(frozen=True)
class ChartRow:
    """One factor's stacked bar, drawn on the server (the CSP allows no inline style)."""

    factor: FactorCounts
    y: int
    segments: list[Segment]
    total: int

    @property
    def end(self) -> float:
        """Where the bar ends: its total is written just after."""
        last = self.segments[-1] if self.segments else None
        return last.x + last.width if last else float(LABEL_WIDTH)


def chart_rows(factors: list[FactorCounts]) -> list[ChartRow]:
    """Each factor's bar, scaled so that the factor with the most commitments fills the width."""
    totals = [sum(getattr(f, s) for s in STATUSES) for f in factors]
    scale = (CHART_WIDTH - LABEL_WIDTH - 40) / max([*totals, 1])
    rows = []
    for index, (factor, total) in enumerate(zip(factors, totals, strict=True)):
        x = float(LABEL_WIDTH)
        segments = []
        for status in STATUSES:
            count = getattr(factor, status)
            if count:
                segments.append(Segment(status=status, x=x, width=count * scale, count=count))
                x += count * scale
        rows.append(ChartRow(factor=factor, y=index * ROW_HEIGHT, segments=segments, total=total))
    return rows


@router.get("/campaigns/{campaign_id}/reports")
def summary_page(
    campaign_id: RecordId, request: Request, tools: ConsoleDep, session: SessionDep, staff: StaffDep
) -> Response:
    """The newest cycle's reports: who reported, on time or late, and each factor's progress."""
    campaign = campaign_for(session, staff.user, campaign_id)
    summary = report_summary.summary(session, campaign)
    return tools.renderer.render(
        request,
        "console/reports/summary.html",
        staff=staff,
        campaign=campaign,
        summary=summary,
        rows=chart_rows(summary.factors),
        chart_width=CHART_WIDTH,
        chart_height=len(summary.factors) * ROW_HEIGHT,
        bar_height=BAR_HEIGHT,
        statuses=STATUSES,
        timeliness=report_summary.timeliness,
    )


@router.get("/campaigns/{campaign_id}/reports.csv")
def summary_csv(campaign_id: RecordId, session: SessionDep, staff: StaffDep) -> Response:
    """The summary as CSV, one row per organisation and commitment (cells safe from formulas)."""
    summary = report_summary.summary(session, campaign_for(session, staff.user, campaign_id))
    filename = f"campaign-{campaign_id}-reports-cycle-{summary.cycle or 0}.csv"
    return Response(
        content=report_summary.to_csv(summary),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
