"""Quiet hours: when an email to a recipient may go out, and the emails held until then.

Pure, deterministic code for workflows. `next_allowed` is the one rule every email to a signatory
follows (reminders, invitations, notices): given the moment it is planned, the recipient's zone and
the campaign's quiet window, it says when to send. A workflow that may not send now keeps the
email as a `HeldEmail` in its state and waits with a durable timer; answers to the recipient's own
action (a receipt) are not held.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from models.email_message import EmailKind

# How late a held email may go out and still carry the time it was due.
ON_TIME = timedelta(minutes=1)
# Workflows that ran before every email respected quiet hours replay their old path.
QUIET_HOURS_PATCH = "quiet-hours-for-all"
# Each signatory's pledge workflow announces the pact in force (in their hours), not the campaign.
IN_FORCE_BY_PLEDGE_PATCH = "quiet-hours-in-force"
# A group passing several progress marks at once is told once (workflows before it told each mark).
ONE_PROGRESS_NOTICE_PATCH = "one-progress-notice"


@dataclass
class QuietWindow:
    """Local night and weekend, when no email goes out."""

    enabled: bool = True
    start: str = "19:00"
    end: str = "08:00"
    weekend: list[int] = field(default_factory=lambda: [5, 6])


@dataclass
class HeldEmail:
    """An email waiting for the recipient's working hours; survives continue-as-new."""

    kind: EmailKind
    step: str  # names the Message-ID, as when it is sent at once
    send_at: datetime
    params: dict[str, Any] = field(default_factory=dict)
    invitation_id: int = 0
    # Whose Message-ID space the step belongs to; the sending workflow's own when empty.
    workflow_id: str = ""


def _parse(value: str) -> time:
    hours, minutes = value.split(":")[:2]
    return time(int(hours), int(minutes))


def is_quiet(local: datetime, quiet: QuietWindow) -> bool:
    """Whether a local wall-clock moment falls in the night or the weekend."""
    if local.weekday() in quiet.weekend:
        return True
    start, end = _parse(quiet.start), _parse(quiet.end)
    now = local.time()
    if start > end:  # the night spans midnight
        return now >= start or now < end
    return start <= now < end


def next_allowed(moment: datetime, zone: str, quiet: QuietWindow) -> datetime:
    """When an email planned for `moment` may go out: `moment` itself, or the recipient's next morning."""
    if not quiet.enabled:
        return moment
    tz = ZoneInfo(zone)
    morning = _parse(quiet.end)
    local = moment.astimezone(tz)
    for _ in range(10):  # a night and a weekend take at most a few jumps
        if not is_quiet(local, quiet):
            return local.astimezone(moment.tzinfo)
        # Jump to the next morning on the wall clock, so DST never shifts 08:00 to 07:00.
        candidate = datetime.combine(local.date(), morning, tzinfo=tz)
        if candidate <= local:
            candidate = datetime.combine(local.date() + timedelta(days=1), morning, tzinfo=tz)
        local = candidate
    raise ValueError(f"quiet hours leave no time to send in {zone}")


def hold_until(moment: datetime, zone: str, quiet: QuietWindow) -> datetime | None:
    """When an email planned for `moment` must wait for: its send time, or None to send at once."""
    send_at = next_allowed(moment, zone, quiet)
    return send_at if send_at > moment else None


def held_wake(held: list[HeldEmail], now: datetime) -> timedelta | None:
    """How long until the first held email may go; None when nothing is held."""
    if not held:
        return None
    return max(min(h.send_at for h in held) - now, timedelta(0))


def take_due(held: list[HeldEmail], now: datetime) -> list[HeldEmail]:
    """Remove and return the held emails whose time has come, in the order they were held."""
    due = [h for h in held if h.send_at <= now]
    held[:] = [h for h in held if h.send_at > now]
    return due


def held_date(mail: HeldEmail, now: datetime) -> datetime:
    """The Date of a held email: its send time, or now if it goes out late (worker down)."""
    return mail.send_at if now - mail.send_at <= ON_TIME else now


def earliest(*waits: timedelta | None) -> timedelta | None:
    """The shortest of several waits; None (wait for an event only) when none is set."""
    set_waits = [w for w in waits if w is not None]
    return min(set_waits) if set_waits else None
