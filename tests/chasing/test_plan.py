"""The pure chasing plan: order, numbering, quiet hours, collapsing missed steps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from workflows.chasing import (
    ChasePlan,
    ChaseState,
    LadderStep,
    deadline_moment,
    due_now,
    email_date,
    mark_done,
    next_wake,
    planned_steps,
)
from workflows.quiet_hours import QuietWindow, next_allowed

START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday
DAY = timedelta(days=1)


def _plan(**kwargs) -> ChasePlan:
    defaults = dict(
        started_at=START,
        reminder_days=[7, 14, 21],
        quiet=QuietWindow(enabled=False),
        timezones={"contact": "UTC"},
    )
    return ChasePlan(**{**defaults, **kwargs})


def test_steps_come_in_time_order_and_stop_at_expiry():
    plan = _plan(
        deadline_at=deadline_moment("2026-12-20", "UTC"),
        reminder_days_before_deadline=[3],
        ladder=[LadderStep(10, "contact"), LadderStep(30, "coordinator")],
    )
    steps = planned_steps(plan)
    assert [(s.kind, s.number, s.send_at - START) for s in steps] == [
        ("reminder", 1, 7 * DAY),
        ("escalation", 1, 10 * DAY),
        ("reminder", 2, 14 * DAY),
        ("reminder", 3, deadline_moment("2026-12-17", "UTC") - START),  # 3 days before the end of the 20th
        ("expiry", 0, deadline_moment("2026-12-20", "UTC") - START),
    ]


def test_missed_reminders_collapse_into_the_latest():
    plan, state = _plan(), ChaseState()
    step, skipped = due_now(plan, state, START + 22 * DAY)
    assert step is not None and step.number == 3 and [s.number for s in skipped] == [1, 2]
    mark_done(state, step, skipped)
    assert due_now(plan, state, START + 40 * DAY) == (None, []) and next_wake(plan, state, START) is None


def test_an_email_is_dated_when_due_unless_it_goes_out_late():
    [first, *_] = planned_steps(_plan())
    assert email_date(first, first.send_at + timedelta(seconds=2)) == first.send_at, "a timer fires late"
    late = first.send_at + timedelta(hours=5)
    assert email_date(first, late) == late, "after a worker outage the Date says when it went out"


def test_a_due_escalation_wins_over_reminders_and_expiry_over_everything():
    plan = _plan(ladder=[LadderStep(8, "contact"), LadderStep(9, "coordinator")])
    step, skipped = due_now(plan, ChaseState(), START + 15 * DAY)
    assert (step.kind, step.number) == ("escalation", 2) and len(skipped) == 3
    plan.deadline_at = START + 12 * DAY
    step, _ = due_now(plan, ChaseState(), START + 15 * DAY)
    assert step.kind == "expiry"


def test_a_stopped_ladder_keeps_reminders():
    plan, state = _plan(ladder=[LadderStep(8, "contact")]), ChaseState(ladder_stopped=True)
    assert [s.kind for s in planned_steps(plan)] == ["reminder", "escalation", "reminder", "reminder"]
    step, skipped = due_now(plan, state, START + 9 * DAY)
    assert step.kind == "reminder" and not skipped


def test_quiet_hours_move_a_step_to_the_next_working_morning():
    quiet = QuietWindow()
    friday_night = datetime(2026, 12, 4, 20, 30, tzinfo=UTC)
    assert next_allowed(friday_night, "Africa/Monrovia", quiet) == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert next_allowed(friday_night, "Asia/Kathmandu", quiet) == datetime(2026, 12, 7, 2, 15, tzinfo=UTC)
    tuesday_noon = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
    assert next_allowed(tuesday_noon, "Africa/Accra", quiet) == tuesday_noon
    # Jordan's weekend is Friday and Saturday.
    thursday_night = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)  # 21:00 in Amman
    jordan = QuietWindow(weekend=[4, 5])
    assert next_allowed(thursday_night, "Asia/Amman", jordan) == datetime(2026, 12, 6, 5, 0, tzinfo=UTC)
    assert next_allowed(friday_night, "UTC", QuietWindow(enabled=False)) == friday_night
