"""Spacing sends so a worker never exceeds the SMTP provider's sending limit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class SendPacer:
    """Hands out send slots at most `per_second` apart, across every lane and activity of a worker.

    The email task queue's rate limit counts activities; a launch batch or an in-force
    announcement is one activity carrying many emails, so the limit is also kept per email here.
    """

    def __init__(self, per_second: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        if per_second is not None and per_second <= 0:
            raise ValueError("per_second: must be positive")
        self._interval = 1.0 / per_second if per_second else 0.0
        self._clock = clock
        self._next_slot = 0.0

    async def wait_turn(self) -> None:
        """Return when this send may go out; the slot is reserved at once (no lock needed)."""
        if not self._interval:
            return
        now = self._clock()
        slot = max(now, self._next_slot)
        self._next_slot = slot + self._interval
        if slot > now:
            await asyncio.sleep(slot - now)
