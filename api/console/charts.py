"""Geometry for the campaign page's SVG charts: numbers only, the template draws them.

The page's CSP forbids style attributes, so sizes are SVG attributes (width, points) computed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

BAR_WIDTH = 300  # the viewBox width of a quorum bar
STEP_WIDTH = 600
STEP_HEIGHT = 160


@dataclass(frozen=True)
class QuorumBar:
    """A group's bar: signed so far and where the target sits, in viewBox units."""

    signed_width: int
    target_x: int


def quorum_bar(signed: int, target: int, members: int) -> QuorumBar:
    """Scale to the group's members (at least the target, so an empty group still draws)."""
    whole = max(members, target, 1)
    return QuorumBar(
        signed_width=round(BAR_WIDTH * min(signed, whole) / whole),
        target_x=round(BAR_WIDTH * min(target, whole) / whole),
    )


@dataclass(frozen=True)
class StepChart:
    """Cumulative signatures per day as a step line (`points` for a polyline)."""

    points: str
    total: int
    first: date | None
    last: date | None


def cumulative_steps(per_day: list[tuple[date, int]]) -> StepChart:
    """A step line from (day, count) pairs, oldest first; an empty chart has a flat line."""
    if not per_day:
        return StepChart(points=f"0,{STEP_HEIGHT} {STEP_WIDTH},{STEP_HEIGHT}", total=0, first=None, last=None)
    first, last = per_day[0][0], per_day[-1][0]
    span = max((last - first).days, 1)
    total = sum(n for _, n in per_day)
    points = [(0.0, float(STEP_HEIGHT))]
    running = 0
    for day, count in per_day:
        x = STEP_WIDTH * (day - first).days / span if len(per_day) > 1 else STEP_WIDTH / 2
        points.append((x, STEP_HEIGHT - STEP_HEIGHT * running / total))
        running += count
        points.append((x, STEP_HEIGHT - STEP_HEIGHT * running / total))
    points.append((float(STEP_WIDTH), points[-1][1]))
    return StepChart(
        points=" ".join(f"{x:.1f},{y:.1f}" for x, y in points), total=total, first=first, last=last
    )
