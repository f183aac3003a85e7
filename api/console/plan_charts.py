"""Geometry for an indicator's SVG chart: the planned path and the accepted readings, in viewBox units.

Numbers only; the template draws them (the console's CSP forbids style attributes). The value
axis spans the baseline, the targets and the readings, padded so no point sits on the frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from services.plans.figures import IndicatorFigures

WIDTH = 600
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 32


@dataclass(frozen=True)
class Dot:
    x: int
    y: int
    value: float
    on: date
    standing: str


@dataclass(frozen=True)
class Tick:
    y: int
    value: float


@dataclass(frozen=True)
class IndicatorChart:
    path: str  # the polyline's points: baseline, then each target
    targets: list[Dot]
    readings: list[Dot]
    ticks: list[Tick]
    first_year: int
    last_year: int
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom: int = HEIGHT - BOTTOM


def indicator_chart(figures: IndicatorFigures) -> IndicatorChart:
    indicator = figures.indicator
    readings = [p for p in figures.points if p.reading.value is not None]
    days = [indicator.baseline_on, *(t.by for t in indicator.targets), *(p.reading.on for p in readings)]
    values = [indicator.baseline_value, *(t.value for t in indicator.targets)]
    values += [p.reading.value for p in readings if p.reading.value is not None]
    start, end = min(days), max(days)
    low, high = _padded(min(values), max(values))

    def x(day: date) -> int:
        span = max((end - start).days, 1)
        return round(LEFT + (WIDTH - LEFT - RIGHT) * (day - start).days / span)

    def y(value: float) -> int:
        return round(TOP + (HEIGHT - TOP - BOTTOM) * (high - value) / (high - low))

    path_points = [
        (indicator.baseline_on, indicator.baseline_value),
        *((t.by, t.value) for t in indicator.targets),
    ]
    return IndicatorChart(
        path=" ".join(f"{x(d)},{y(v)}" for d, v in path_points),
        targets=[Dot(x(d), y(v), v, d, "target") for d, v in path_points],
        readings=[
            Dot(
                x(p.reading.on),
                y(p.reading.value or 0),
                p.reading.value or 0,
                p.reading.on,
                p.assessment.standing.value,
            )
            for p in readings
        ],
        ticks=[Tick(y(v), v) for v in _ticks(low, high)],
        first_year=start.year,
        last_year=end.year,
    )


def _padded(low: float, high: float) -> tuple[float, float]:
    if high == low:
        return low - 1, high + 1
    pad = (high - low) * 0.1
    return low - pad, high + pad


def _ticks(low: float, high: float) -> list[float]:
    """Round values across the axis: a step of 1, 2 or 5 times a power of ten, about four of them."""
    raw = (high - low) / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step) * step
    return [round(first + i * step, 6) for i in range(int((high - first) // step) + 1)]
