"""Chasing: reminders, an escalation ladder and expiry at a deadline, with quiet hours.

Pure, deterministic code shared by every workflow that waits for somebody (a signatory, a
reporting organisation, a reviewer). A workflow holds a `ChaseState`, asks `next_wake` how long
to sleep (one timer at a time, so changing the deadline simply re-plans: the updatable-timer
pattern), and on waking asks `due_now` what to do. Steps that fell due while no worker ran are
collapsed: one email, not a burst.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

# Quiet hours are one rule for every email (workflows/quiet_hours.py).
from workflows.quiet_hours import QuietWindow, next_allowed

MIDNIGHT = time(0, 0)
# How late a step's email may go out and still carry the time it was due.
ON_TIME = timedelta(minutes=1)


@dataclass
class LadderStep:
    after_days: int
    recipient: str  # "contact", "escalation_contact", "coordinator", "focal_point"


@dataclass
class ChasePlan:
    """Everything needed to compute the chase; every field has a default for old payloads."""

    started_at: datetime | None = None
    deadline_at: datetime | None = None  # the moment of expiry; None: no deadline
    reminder_days: list[int] = field(default_factory=list)
    reminder_days_before_deadline: list[int] = field(default_factory=list)
    ladder: list[LadderStep] = field(default_factory=list)
    quiet: QuietWindow = field(default_factory=QuietWindow)
    # IANA zone per recipient role; "contact" is also used for reminders.
    timezones: dict[str, str] = field(default_factory=dict)
    # A due date that does not expire anything (a report): reminders count back from it.
    due_at: datetime | None = None
    # Where ladder delays count from; the start when None (a report's ladder counts from its due date).
    ladder_anchor: datetime | None = None


@dataclass
class ChaseState:
    """What has been done; survives continue-as-new."""

    done: list[str] = field(default_factory=list)  # keys of steps performed or skipped
    reminders_sent: int = 0
    level: int = 0
    ladder_stopped: bool = False
    expired: bool = False


@dataclass
class Step:
    """One thing the chase does at a time: a reminder, an escalation level, or expiry."""

    key: str
    kind: str  # "reminder", "escalation", "expiry"
    due_at: datetime  # when it is meant to happen, before quiet hours
    send_at: datetime  # when it may happen, after quiet hours
    number: int = 0  # reminder number or escalation level, from 1
    recipient: str = "contact"


def planned_steps(plan: ChasePlan) -> list[Step]:
    """Every step of the chase in time order, quiet hours applied, none after expiry."""
    if plan.started_at is None:
        return []
    contact_zone = plan.timezones.get("contact", "UTC")
    steps: list[Step] = []
    reminders: list[datetime] = [plan.started_at + timedelta(days=d) for d in plan.reminder_days]
    counted_back_from = plan.due_at or plan.deadline_at
    if counted_back_from is not None:
        reminders += [counted_back_from - timedelta(days=d) for d in plan.reminder_days_before_deadline]
    reminders = sorted(r for r in set(reminders) if r > plan.started_at)
    for index, due in enumerate(reminders, start=1):
        key = f"reminder@{due.isoformat()}"
        steps.append(
            Step(key, "reminder", due, next_allowed(due, contact_zone, plan.quiet), index, "contact")
        )
    anchor = plan.ladder_anchor or plan.started_at
    for level, rung in enumerate(plan.ladder, start=1):
        due = anchor + timedelta(days=rung.after_days)
        zone = plan.timezones.get(rung.recipient, contact_zone)
        steps.append(
            Step(
                f"level-{level}",
                "escalation",
                due,
                next_allowed(due, zone, plan.quiet),
                level,
                rung.recipient,
            )
        )
    if plan.deadline_at is not None:
        steps = [s for s in steps if s.send_at < plan.deadline_at]
        steps.append(Step("expiry", "expiry", plan.deadline_at, plan.deadline_at))
    # Renumber reminders that survived so emails say "reminder 2 of 3" truthfully.
    reminder_steps = [s for s in steps if s.kind == "reminder"]
    for number, step in enumerate(reminder_steps, start=1):
        step.number = number
    return sorted(steps, key=lambda s: (s.send_at, s.kind != "expiry"))


def reminders_planned(plan: ChasePlan) -> int:
    """How many reminders the plan sends in all (for 'reminder 2 of 3')."""
    return sum(1 for s in planned_steps(plan) if s.kind == "reminder")


def _pending(plan: ChasePlan, state: ChaseState) -> list[Step]:
    if state.expired:
        return []
    return [
        s
        for s in planned_steps(plan)
        if s.key not in state.done
        and not (s.kind == "escalation" and (state.ladder_stopped or s.number <= state.level))
    ]


def next_wake(plan: ChasePlan, state: ChaseState, now: datetime) -> timedelta | None:
    """How long to sleep until the next step; None when nothing more is planned."""
    pending = _pending(plan, state)
    if not pending:
        return None
    return max(pending[0].send_at - now, timedelta(0))


def due_now(plan: ChasePlan, state: ChaseState, now: datetime) -> tuple[Step | None, list[Step]]:
    """The one step to perform now, and the others that fell due and are skipped.

    Expiry wins over everything; otherwise the highest escalation level that is due, else the
    latest reminder. Earlier steps that fell due meanwhile (the worker was down) are skipped.
    """
    due = [s for s in _pending(plan, state) if s.send_at <= now]
    if not due:
        return None, []
    expiry = [s for s in due if s.kind == "expiry"]
    escalations = [s for s in due if s.kind == "escalation"]
    chosen = expiry[0] if expiry else (escalations[-1] if escalations else due[-1])
    return chosen, [s for s in due if s is not chosen]


def mark_done(state: ChaseState, performed: Step | None, skipped: list[Step]) -> None:
    """Record what was performed and skipped so neither happens again."""
    for step in [*skipped, *([performed] if performed else [])]:
        if step.key not in state.done:
            state.done.append(step.key)
    if performed is None:
        return
    if performed.kind == "reminder":
        state.reminders_sent += 1
    elif performed.kind == "escalation":
        state.level = max(state.level, performed.number)
    elif performed.kind == "expiry":
        state.expired = True


def email_date(step: Step, now: datetime) -> datetime:
    """The Date of a step's email: when it was due, or now if it goes out late (worker down).

    A timer fires a little after its time, more so on a busy worker; the Date should not drift.
    """
    return step.send_at if now - step.send_at <= ON_TIME else now


def deadline_moment(deadline: str | None, zone: str) -> datetime | None:
    """The end of the deadline day ('2027-01-31') in the zone, as the expiry moment."""
    if not deadline:
        return None
    day = datetime.fromisoformat(deadline).date()
    return datetime.combine(day + timedelta(days=1), MIDNIGHT, tzinfo=ZoneInfo(zone))
