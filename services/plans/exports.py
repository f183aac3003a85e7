"""The figures behind the plan charts and the programme grid as rows, for CSV and XLSX downloads."""

from __future__ import annotations

from typing import Any

from services.plans.figures import Grid, PlanFigures

READINGS_HEADER = [
    "plan_id",
    "country",
    "measure_key",
    "indicator_key",
    "indicator",
    "unit",
    "direction",
    "baseline_value",
    "baseline_on",
    "final_target",
    "final_target_by",
    "cycle",
    "measured_on",
    "value",
    "expected",
    "standing",
    "trend",
]

GRID_HEADER = [
    "year",
    "factor_number",
    "factor",
    "country",
    "measures",
    "measures_implemented",
    "indicators",
    "indicators_reported",
    "indicators_on_track",
    "last_year_measures_implemented",
    "last_year_indicators_on_track",
]


def reading_rows(figures: PlanFigures) -> list[list[Any]]:
    rows = []
    for item in figures.indicators:
        indicator, final = item.indicator, item.indicator.final_target()
        for point in item.points:
            rows.append(
                [
                    figures.plan.id,
                    figures.plan.country,
                    item.measure.key,
                    indicator.key,
                    indicator.name,
                    indicator.unit,
                    indicator.direction.value,
                    indicator.baseline_value,
                    indicator.baseline_on.isoformat(),
                    final.value,
                    final.by.isoformat(),
                    point.cycle,
                    point.reading.on.isoformat(),
                    point.reading.value,
                    round(point.assessment.expected, 3),
                    point.assessment.standing.value,
                    point.assessment.trend.value,
                ]
            )
    return rows


def grid_rows(grid: Grid) -> list[list[Any]]:
    rows = []
    for factor in grid.factors:
        for country in grid.countries:
            cell = grid.cells.get((factor, country))
            before = grid.last_year.get((factor, country))
            if cell is None:
                continue
            rows.append(
                [
                    grid.year,
                    factor.number,
                    factor.label,
                    country,
                    cell.measures,
                    cell.implemented,
                    cell.indicators,
                    cell.reported,
                    cell.on_track,
                    before.implemented if before else 0,
                    before.on_track if before else 0,
                ]
            )
    return rows
