"""The progress rule at its edges, and a measure's state from its milestones and dates."""

from __future__ import annotations

from datetime import date

from models.plan_content import Direction, Indicator, Measure, Milestone, Target
from models.plan_report import MilestoneState
from services.plans.progress import MeasureState, Reading, Standing, assess, measure_state


def indicator(baseline=0.0, target=100.0, direction=Direction.higher_is_better) -> Indicator:
    return Indicator(
        key="I1",
        name="i",
        direction=direction,
        baseline_value=baseline,
        baseline_on=date(2026, 1, 1),
        targets=[Target(by=date(2028, 1, 1), value=target)],
    )


MIDDLE = date(2027, 1, 1)  # 365 of 730 days: the path is at 50 of 100


def standing(ind: Indicator, day: date, value: float | None) -> Standing:
    return assess(ind, Reading(day, value), tolerance_percent=10).standing


def test_on_track_at_risk_and_off_track_with_tolerance_10():
    ind = indicator()
    expected = assess(ind, Reading(MIDDLE, 50), tolerance_percent=10).expected
    assert standing(ind, MIDDLE, expected - 10) is Standing.on_track
    assert standing(ind, MIDDLE, expected - 15) is Standing.at_risk
    assert standing(ind, MIDDLE, expected - 25) is Standing.off_track
    assert standing(ind, MIDDLE, expected + 30) is Standing.on_track


def test_lower_is_better():
    ind = indicator(baseline=100, target=0, direction=Direction.lower_is_better)
    expected = assess(ind, Reading(MIDDLE, 0), tolerance_percent=10).expected
    assert standing(ind, MIDDLE, expected - 20) is Standing.on_track
    assert standing(ind, MIDDLE, expected + 25) is Standing.off_track


def test_baseline_equal_to_target_still_sees_a_drop():
    ind = indicator(baseline=100, target=100)
    assert standing(ind, MIDDLE, 100) is Standing.on_track
    assert standing(ind, MIDDLE, 50) is Standing.off_track


def test_a_missing_value_is_not_reported():
    assert standing(indicator(), MIDDLE, None) is Standing.not_reported


def test_a_reading_after_the_plans_end_is_held_to_the_last_target():
    ind = indicator()
    late = assess(ind, Reading(date(2030, 1, 1), 85), tolerance_percent=10)
    assert late.expected == 100 and late.standing is Standing.at_risk


def measure(milestones=True) -> Measure:
    return Measure(
        key="M1",
        title="m",
        factors=["transparency"],
        starts_on=date(2027, 1, 1),
        ends_on=date(2028, 12, 31),
        milestones=[Milestone(key="A", title="a", due_on=date(2027, 6, 30))] if milestones else [],
    )


def test_measure_state_from_milestones():
    m = measure()
    assert measure_state(m, {}, today=date(2026, 6, 1)) is MeasureState.planned
    assert measure_state(m, {}, today=date(2027, 3, 1)) is MeasureState.in_progress
    assert measure_state(m, {"A": MilestoneState.done}, today=date(2027, 8, 1)) is MeasureState.implemented
    assert measure_state(m, {"A": MilestoneState.missed}, today=date(2027, 3, 1)) is MeasureState.late
    assert measure_state(m, {}, today=date(2027, 8, 1)) is MeasureState.late


def test_measure_state_without_milestones():
    m = measure(milestones=False)
    assert measure_state(m, {}, today=date(2027, 3, 1)) is MeasureState.in_progress
    after = date(2029, 2, 1)
    assert measure_state(m, {}, today=after, indicators_on_track=True) is MeasureState.implemented
    assert measure_state(m, {}, today=after, indicators_on_track=False) is MeasureState.late
