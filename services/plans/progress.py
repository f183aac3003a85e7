"""The progress rule: where an indicator stands against its planned path, and what a measure's state is.

The planned path runs straight from the baseline to each target in turn (linear between their
dates) and stays at the last target after it. A reading is compared with the path on the day it
was measured: how far it trails the path, as a share of the whole planned change (baseline to
last target), is its shortfall. Within the programme's tolerance it is on track, within twice the
tolerance at risk, beyond that off track; doing better than the path is on track. An indicator
whose target equals its baseline ("keep it at 100 %") measures the shortfall against the size of
the value itself (at least 1), so a drop is still seen. A reading after the plan's end is held to
the last target. No value is "not reported", never guessed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from models.plan_content import Direction, Indicator, Measure
from models.plan_report import MilestoneState
from pledgeflow.i18n.language import N_


class Standing(StrEnum):
    on_track = "on_track"
    at_risk = "at_risk"
    off_track = "off_track"
    not_reported = "not_reported"

    @property
    def label(self) -> str:
        return _STANDING_LABELS[self]


class Trend(StrEnum):
    improving = "improving"
    steady = "steady"
    worsening = "worsening"
    first = "first"  # no earlier reading to compare with

    @property
    def label(self) -> str:
        return _TREND_LABELS[self]


class MeasureState(StrEnum):
    planned = "planned"
    in_progress = "in_progress"
    implemented = "implemented"
    late = "late"

    @property
    def label(self) -> str:
        return _MEASURE_LABELS[self]


@dataclass(frozen=True)
class Reading:
    """A measured value on a day (None: the cycle did not measure it)."""

    on: date
    value: float | None


@dataclass(frozen=True)
class Assessment:
    standing: Standing
    expected: float  # the path's value on the reading's day
    shortfall: float | None  # share of the planned change the value trails by (negative: ahead)
    trend: Trend


def expected_on(indicator: Indicator, day: date) -> float:
    """The planned path's value on a day."""
    points = [(indicator.baseline_on, indicator.baseline_value)] + [
        (t.by, t.value) for t in indicator.targets
    ]
    if day <= points[0][0]:
        return points[0][1]
    for (start, low), (end, high) in itertools.pairwise(points):
        if day <= end:
            share = (day - start).days / (end - start).days
            return low + (high - low) * share
    return points[-1][1]


def assess(
    indicator: Indicator, reading: Reading, *, tolerance_percent: int, previous: Reading | None = None
) -> Assessment:
    """Where one reading stands, and which way it moved since the previous one."""
    expected = expected_on(indicator, reading.on)
    trend = _trend(indicator.direction, previous, reading)
    if reading.value is None:
        return Assessment(Standing.not_reported, expected, None, trend)
    better = 1.0 if indicator.direction is Direction.higher_is_better else -1.0
    span = abs(indicator.final_target().value - indicator.baseline_value)
    if span == 0:
        span = max(abs(indicator.baseline_value), 1.0)
    shortfall = better * (expected - reading.value) / span
    tolerance = tolerance_percent / 100
    if shortfall <= tolerance:
        standing = Standing.on_track
    elif shortfall <= 2 * tolerance:
        standing = Standing.at_risk
    else:
        standing = Standing.off_track
    return Assessment(standing, expected, shortfall, trend)


def assess_series(
    indicator: Indicator, readings: list[Reading], *, tolerance_percent: int
) -> list[Assessment]:
    """Each reading in date order, its trend against the last one that had a value."""
    assessed = []
    previous: Reading | None = None
    for reading in sorted(readings, key=lambda r: r.on):
        assessed.append(assess(indicator, reading, tolerance_percent=tolerance_percent, previous=previous))
        if reading.value is not None:
            previous = reading
    return assessed


def _trend(direction: Direction, previous: Reading | None, current: Reading) -> Trend:
    if previous is None or previous.value is None or current.value is None:
        return Trend.first
    change = current.value - previous.value
    if abs(change) < 1e-9:
        return Trend.steady
    better = change > 0 if direction is Direction.higher_is_better else change < 0
    return Trend.improving if better else Trend.worsening


def measure_state(
    measure: Measure,
    milestones: dict[str, MilestoneState],
    *,
    today: date,
    indicators_on_track: bool | None = None,
) -> MeasureState:
    """A measure's state on a day, from its milestones (what the last reports said) and dates.

    Late: a milestone is missed, or past due and not done, or the measure's end passed without
    it being implemented. Implemented: every milestone done and, for a measure with indicators
    (`indicators_on_track` not None), its end reached with them on track (a measure whose
    milestones are all done but whose indicators still run is in progress). In progress: started,
    or a milestone done. Otherwise planned.
    """
    states = [milestones.get(m.key, MilestoneState.pending) for m in measure.milestones]
    overdue = any(
        state is not MilestoneState.done and (state is MilestoneState.missed or m.due_on < today)
        for m, state in zip(measure.milestones, states, strict=True)
    )
    if overdue:
        return MeasureState.late
    all_done = all(state is MilestoneState.done for state in states)
    ended = measure.ends_on < today
    if indicators_on_track is None:
        if measure.milestones and all_done:
            return MeasureState.implemented
    elif all_done and ended:
        return MeasureState.implemented if indicators_on_track else MeasureState.late
    if ended:
        return MeasureState.late
    if today >= measure.starts_on or MilestoneState.done in states:
        return MeasureState.in_progress
    return MeasureState.planned


_STANDING_LABELS = {
    Standing.on_track: N_("On track"),
    Standing.at_risk: N_("At risk"),
    Standing.off_track: N_("Off track"),
    Standing.not_reported: N_("Not reported"),
}
_TREND_LABELS = {
    Trend.improving: N_("Improving"),
    Trend.steady: N_("Steady"),
    Trend.worsening: N_("Worsening"),
    Trend.first: N_("First reading"),
}
_MEASURE_LABELS = {
    MeasureState.planned: N_("Planned"),
    MeasureState.in_progress: N_("In progress"),
    MeasureState.implemented: N_("Implemented"),
    MeasureState.late: N_("Late"),
}
