"""The figures behind a plan's charts and the programme's grid, from accepted plan reports.

Only accepted reports count: a draft, a submission still under review or a report sent back is
not yet a measurement the programme stands behind. Each cycle's newest accepted version is the one
read. A reading's day is its `measured_on`, else its cycle's end.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from models.action_plan import ActionPlan
from models.arusha import ArushaFactor
from models.plan_content import Indicator, Measure, PlanContent
from models.plan_report import IndicatorReading, MilestoneState, MilestoneUpdate, PlanReport
from models.report import ReportStatus
from models.uncac import UncacProvision
from services.plans import plans
from services.plans.progress import Assessment, MeasureState, Reading, Standing, assess_series, measure_state


@dataclass(frozen=True)
class Point:
    cycle: int
    reading: Reading
    assessment: Assessment
    evidence: str


@dataclass
class IndicatorFigures:
    measure: Measure
    indicator: Indicator
    points: list[Point]

    def latest(self, until: date | None = None) -> Point | None:
        """The last reading with a value on or before a day (the latest of all without one)."""
        shown = [
            p for p in self.points if p.reading.value is not None and (until is None or p.reading.on <= until)
        ]
        return shown[-1] if shown else None


@dataclass(frozen=True)
class MilestoneWord:
    """What the latest accepted report said of a milestone, and from which day it holds."""

    state: MilestoneState
    since: date


@dataclass
class MeasureFigures:
    measure: Measure
    state: MeasureState
    milestones: dict[str, MilestoneWord]

    def states_on(self, day: date) -> dict[str, MilestoneState]:
        """Each milestone's state as it stood on a day (a later word does not count yet)."""
        return {key: word.state for key, word in self.milestones.items() if word.since <= day}


@dataclass
class PlanFigures:
    plan: ActionPlan
    content: PlanContent
    indicators: list[IndicatorFigures]
    measures: list[MeasureFigures]


def accepted_reports(session: Session, plan_id: int) -> list[PlanReport]:
    """Each cycle's newest accepted report version, by cycle."""
    rows = session.exec(
        select(PlanReport)
        .where(PlanReport.plan_id == plan_id, PlanReport.status == ReportStatus.accepted)
        .order_by(col(PlanReport.cycle), col(PlanReport.version))
    ).all()
    newest: dict[int, PlanReport] = {}
    for report in rows:
        newest[report.cycle] = report
    return [newest[cycle] for cycle in sorted(newest)]


def for_plan(
    session: Session, plan: ActionPlan, *, tolerance_percent: int, today: date | None = None
) -> PlanFigures | None:
    """The approved version's figures (None before a version is approved)."""
    content = plans.measured_content(session, plan)
    if content is None:
        return None
    today = today or date.today()
    reports = accepted_reports(session, plan.id or 0)
    by_report = {r.id: r for r in reports}
    readings: dict[str, list[tuple[PlanReport, IndicatorReading]]] = defaultdict(list)
    milestones: dict[str, MilestoneWord] = {}
    if by_report:
        for reading in session.exec(
            select(IndicatorReading).where(col(IndicatorReading.report_id).in_(list(by_report)))
        ).all():
            readings[reading.indicator_key].append((by_report[reading.report_id], reading))
        updates = session.exec(
            select(MilestoneUpdate).where(col(MilestoneUpdate.report_id).in_(list(by_report)))
        ).all()
        for update in sorted(updates, key=lambda u: by_report[u.report_id].cycle):
            report = by_report[update.report_id]
            since = (
                update.completed_on
                if update.state is MilestoneState.done and update.completed_on
                else report.period_end
            )
            milestones[update.milestone_key] = MilestoneWord(
                update.state, since
            )  # the latest cycle's word stands
    indicator_figures = []
    for measure, indicator in content.indicators():
        rows = sorted(readings.get(indicator.key, []), key=lambda pair: pair[0].cycle)
        series = [Reading(r.measured_on or report.period_end, r.value) for report, r in rows]
        assessed = assess_series(indicator, series, tolerance_percent=tolerance_percent)
        ordered = sorted(zip(rows, series, strict=True), key=lambda pair: pair[1].on)
        points = [
            Point(report.cycle, reading, assessment, row.evidence)
            for ((report, row), reading), assessment in zip(ordered, assessed, strict=True)
        ]
        indicator_figures.append(IndicatorFigures(measure, indicator, points))
    measure_figures = []
    for measure in content.measures:
        own = [f for f in indicator_figures if f.measure.key == measure.key]
        latest = [f.latest() for f in own]
        on_track = _all_on_track(own, latest)
        words = {m.key: milestones[m.key] for m in measure.milestones if m.key in milestones}
        states = {key: word.state for key, word in words.items()}
        state = measure_state(measure, states, today=today, indicators_on_track=on_track)
        measure_figures.append(MeasureFigures(measure, state, words))
    return PlanFigures(plan, content, indicator_figures, measure_figures)


@dataclass
class Cell:
    """One factor in one country in a year: measures implemented, indicators on track."""

    measures: int = 0
    implemented: int = 0
    indicators: int = 0
    reported: int = 0
    on_track: int = 0
    plan_ids: set[int] = field(default_factory=set)


@dataclass
class Grid:
    year: int
    countries: list[str]
    factors: list[ArushaFactor]
    cells: dict[tuple[ArushaFactor, str], Cell]
    last_year: dict[tuple[ArushaFactor, str], Cell]


def grid(
    session: Session,
    *,
    figures: list[PlanFigures],
    countries: list[str],
    year: int,
    factor: ArushaFactor | None = None,
    provision: UncacProvision | None = None,
) -> Grid:
    """Arusha factors by countries for a year (state at the year's end), beside the year before."""
    factors = [factor] if factor else list(ArushaFactor)
    return Grid(
        year=year,
        countries=countries,
        factors=factors,
        cells=_cells(figures, factors, year, provision),
        last_year=_cells(figures, factors, year - 1, provision),
    )


def _cells(
    figures: list[PlanFigures], factors: list[ArushaFactor], year: int, provision: UncacProvision | None
) -> dict[tuple[ArushaFactor, str], Cell]:
    cells: dict[tuple[ArushaFactor, str], Cell] = defaultdict(Cell)
    year_end = date(year, 12, 31)
    for plan_figures in figures:
        plan = plan_figures.plan
        if not (plan.starts_on.year <= year <= plan.ends_on.year):
            continue
        for measure_figures in plan_figures.measures:
            measure = measure_figures.measure
            if provision is not None and provision not in measure.uncac:
                continue
            own = [f for f in plan_figures.indicators if f.measure.key == measure.key]
            for factor in measure.factors:
                if factor not in factors:
                    continue
                cell = cells[(factor, plan.country)]
                cell.plan_ids.add(plan.id or 0)
                cell.measures += 1
                states = measure_figures.states_on(year_end)
                latest = [f.latest(until=year_end) for f in own]
                on_track = _all_on_track(own, latest)
                state = measure_state(measure, states, today=year_end, indicators_on_track=on_track)
                cell.implemented += state is MeasureState.implemented
                for point in latest:
                    cell.indicators += 1
                    if point is not None:
                        cell.reported += 1
                        cell.on_track += point.assessment.standing is Standing.on_track
    return dict(cells)


def _all_on_track(own: list[IndicatorFigures], latest: list[Point | None]) -> bool | None:
    """Whether every indicator of a measure is on track at its latest reading; None without indicators."""
    if not own:
        return None
    return all(p is not None and p.assessment.standing is Standing.on_track for p in latest)
