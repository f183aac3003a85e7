"""How the console writes dates, times, counts and plurals (Babel takes over in issue 13)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any


def day(value: date | datetime | None) -> str:
    """'30 Jan 2027' (a date reads the same in every time zone)."""
    if value is None:
        return "—"
    return f"{value.day} {value:%b %Y}"


def moment(value: datetime | None) -> str:
    """'30 Jan 2027, 14:05 UTC'."""
    if value is None:
        return "—"
    return f"{value.day} {value:%b %Y, %H:%M} UTC"


def plural(count: int, one: str, many: str) -> str:
    """'1 invitee', '3 invitees'."""
    return f"{count} {one if count == 1 else many}"


def percent(part: int, whole: int) -> int:
    """A share as a whole percentage, 0 when there is no whole."""
    return 0 if whole <= 0 else round(100 * part / whole)


def who(actor: str | None) -> str:
    """An audit actor as a person reads it: 'user:2:ama@wco.example' → 'ama@wco.example'."""
    if not actor:
        return "—"
    kind, _, rest = actor.partition(":")
    if kind == "user":
        return rest.partition(":")[2] or actor
    if kind == "cli":
        return f"the command line ({rest})"
    return actor


FILTERS: dict[str, Callable[..., Any]] = {
    "day": day,
    "moment": moment,
    "plural": plural,
    "percent": percent,
    "who": who,
}
