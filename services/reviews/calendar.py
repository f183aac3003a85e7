"""When each review cycle opens, is due and closes: every N months from the pact, or windows."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from models.review import ReviewSettings
from workflows.review_messages import CycleTimes


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later, clamped to the month's last day (31 Jan + 1 = 28 Feb)."""
    total = moment.month - 1 + months
    year, month = moment.year + total // 12, total % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _window_starts(
    settings: ReviewSettings, zone: ZoneInfo, after: datetime, count: int
) -> list[tuple[datetime, datetime]]:
    """The next `count` (start, end) windows that open after `after`, in the campaign's zone."""
    found: list[tuple[datetime, datetime]] = []
    year = after.astimezone(zone).year
    while len(found) < count:
        for window in sorted(settings.windows, key=lambda w: w.start):
            start_m, start_d = (int(p) for p in window.start.split("-"))
            end_m, end_d = (int(p) for p in window.end.split("-"))
            start = datetime(year, start_m, min(start_d, calendar.monthrange(year, start_m)[1]), tzinfo=zone)
            end = datetime(year, end_m, min(end_d, calendar.monthrange(year, end_m)[1]), tzinfo=zone)
            end += timedelta(days=1)  # the window includes its last day
            if start > after:
                found.append((start, end))
        year += 1
    return found[:count]


def cycle_times(settings: ReviewSettings, *, in_force_at: datetime, cycle: int, timezone: str) -> CycleTimes:
    """The calendar of cycle `cycle` (from 1) of a pact that came in force at `in_force_at`."""
    if settings.every_months:
        months = settings.every_months
        period_start = add_months(in_force_at, (cycle - 1) * months)
        opens = add_months(in_force_at, cycle * months)
        return CycleTimes(
            cycle=cycle,
            period_start=period_start,
            period_end=opens,
            opens_at=opens,
            due_at=opens + timedelta(days=settings.report_due_days),
            closes_at=add_months(in_force_at, (cycle + 1) * months),
        )
    zone = ZoneInfo(timezone)
    windows = _window_starts(settings, zone, in_force_at, cycle + 1)
    (start, end), (next_start, _) = windows[cycle - 1], windows[cycle]
    previous = windows[cycle - 2][0] if cycle > 1 else in_force_at
    return CycleTimes(
        cycle=cycle,
        period_start=previous,
        period_end=start,
        opens_at=start,
        due_at=end,
        closes_at=next_start,
    )
