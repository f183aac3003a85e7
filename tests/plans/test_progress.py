"""The progress rule at its edges (services/plans/progress.py)."""

from __future__ import annotations

from datetime import date

import pytest

from models.plan_content import Indicator, Measure
from models.plan_report import MilestoneState
from services.plans.progress import (
    MeasureState,
    Reading,
    Standing,
    Trend,
    assess,
    assess_series,
    expected_on,
    measure_state,
)


def _indicator(
    baseline: float = 20, target: float = 60, *, lower: bool = False, middle: float | None = None
) -> Indicator:
    targets = [{"by": "2027-12-31", "value": target}]
    if middle is not None:
        targets.insert(0, {"by": "2026-12-31", "value": middle})
    return Indicator.model_validate(
        {
            "key": "i",
            "name": "n",
            "direction": "lower" if lower else "higher",
            "baseline_value": baseline,
            "baseline_on": "2025-12-31",
            "targets": targets,
        }
    )


def test_the_path_is_linear_between_baseline_and_each_target_and_flat_after():
    indicator = _indicator(20, 100, middle=40)
    assert expected_on(indicator, date(2025, 1, 1)) == 20, "before the baseline: the baseline"
    assert expected_on(indicator, date(2026, 12, 31)) == 40
    assert expected_on(indicator, date(2027, 7, 2)) == pytest.approx(70, abs=0.3)
    assert expected_on(indicator, date(2030, 1, 1)) == 100, "after the plan's end: the last target"


@pytest.mark.parametrize(
    ("value", "standing"),
    [
        (40, Standing.on_track),
        (36.5, Standing.on_track),
        (35, Standing.at_risk),
        (32, Standing.at_risk),
        (31, Standing.off_track),
        (90, Standing.on_track),
    ],
)
def test_tolerance_ten_percent_of_the_planned_change(value, standing):
    # Path at 40 on the last day of 2026 (half way from 20 to 60): the planned change is 40, so
    # 10 % is 4 (on track down to 36), 20 % is 8 (at risk down to 32); ahead of the path is on track.
    assessed = assess(_indicator(), Reading(date(2026, 12, 31), value), tolerance_percent=10)
    assert assessed.expected == pytest.approx(40, abs=0.1)
    assert assessed.standing is standing


def test_lower_is_better_reads_the_other_way():
    indicator = _indicator(72, 24, lower=True)
    assert (
        assess(indicator, Reading(date(2026, 12, 31), 44), tolerance_percent=10).standing is Standing.on_track
    )
    assert (
        assess(indicator, Reading(date(2026, 12, 31), 60), tolerance_percent=10).standing
        is Standing.off_track
    )
    series = assess_series(
        indicator, [Reading(date(2026, 12, 31), 60), Reading(date(2027, 12, 31), 50)], tolerance_percent=10
    )
    assert [a.trend for a in series] == [Trend.first, Trend.improving], "a fall is an improvement"


def test_baseline_equal_to_target_is_held_against_the_value_itself():
    indicator = _indicator(100, 100)
    assert (
        assess(indicator, Reading(date(2026, 6, 30), 95), tolerance_percent=10).standing is Standing.on_track
    )
    assert (
        assess(indicator, Reading(date(2026, 6, 30), 85), tolerance_percent=10).standing is Standing.at_risk
    )
    assert (
        assess(indicator, Reading(date(2026, 6, 30), 70), tolerance_percent=10).standing is Standing.off_track
    )
    zero = _indicator(0, 0, lower=True)
    assert assess(zero, Reading(date(2026, 6, 30), 0), tolerance_percent=10).standing is Standing.on_track
    assert assess(zero, Reading(date(2026, 6, 30), 3), tolerance_percent=10).standing is Standing.off_track


def test_a_missing_value_is_not_reported_and_trend_skips_it():
    indicator = _indicator()
    series = assess_series(
        indicator,
        [Reading(date(2026, 12, 31), 40), Reading(date(2027, 6, 30), None), Reading(date(2027, 12, 31), 38)],
        tolerance_percent=10,
    )
    assert [a.standing for a in series] == [Standing.on_track, Standing.not_reported, Standing.off_track]
    assert series[1].shortfall is None and series[2].trend is Trend.worsening, "38 after 40, the gap skipped"


def test_a_report_after_the_plans_end_is_held_to_the_last_target():
    assessed = assess(_indicator(), Reading(date(2029, 3, 1), 57), tolerance_percent=10)
    assert assessed.expected == 60 and assessed.standing is Standing.on_track
    assert (
        assess(_indicator(), Reading(date(2029, 3, 1), 50), tolerance_percent=10).standing
        is Standing.off_track
    )


def _measure(milestones: bool = True) -> Measure:
    return Measure.model_validate(
        {
            "key": "m",
            "title": "t",
            "factors": [7],
            "starts_on": "2026-01-01",
            "ends_on": "2027-12-31",
            "milestones": [
                {"key": "a", "title": "a", "due_on": "2026-06-30"},
                {"key": "b", "title": "b", "due_on": "2027-06-30"},
            ]
            if milestones
            else [],
        }
    )


def test_measure_states_from_milestones_and_dates():
    done, pending, missed = MilestoneState.done, MilestoneState.pending, MilestoneState.missed
    assert measure_state(_measure(), {}, today=date(2025, 12, 1)) is MeasureState.planned
    assert measure_state(_measure(), {}, today=date(2026, 3, 1)) is MeasureState.in_progress
    assert measure_state(_measure(), {"a": pending}, today=date(2026, 7, 1)) is MeasureState.late, "past due"
    assert measure_state(_measure(), {"a": done, "b": missed}, today=date(2027, 1, 1)) is MeasureState.late
    assert (
        measure_state(_measure(), {"a": done, "b": done}, today=date(2027, 7, 1)) is MeasureState.implemented
    )
    # With indicators still running, every milestone done is not yet "implemented".
    running = measure_state(
        _measure(), {"a": done, "b": done}, today=date(2027, 7, 1), indicators_on_track=True
    )
    assert running is MeasureState.in_progress
    ended = measure_state(
        _measure(), {"a": done, "b": done}, today=date(2028, 1, 1), indicators_on_track=False
    )
    assert ended is MeasureState.late


def test_a_measure_without_milestones_is_judged_by_its_indicators_at_its_end():
    assert (
        measure_state(_measure(False), {}, today=date(2027, 1, 1), indicators_on_track=False)
        is MeasureState.in_progress
    )
    assert (
        measure_state(_measure(False), {}, today=date(2028, 1, 1), indicators_on_track=True)
        is MeasureState.implemented
    )
    assert (
        measure_state(_measure(False), {}, today=date(2028, 1, 1), indicators_on_track=False)
        is MeasureState.late
    )
