"""Where the fact "the SMTP server took this Message-ID" is kept before the outbox commit lands.

SMTP cannot be asked whether a server already took a message, so a sender that dies (or whose
database fails) between the server's 250 and the outbox commit would send that message again
on retry. Two records close most of that window without waiting for a thread or the database:

- the activity's heartbeat details, which the next attempt of the same activity receives
  (throttled and sent in the background: they survive a database failure, not always a kill);
- a local journal: one empty file per accepted Message-ID, created with a single system call
  on the event loop right after the 250 and removed once the outbox commit landed. It survives
  a killed worker process (the kernel keeps the file), not a lost machine or volume, and helps
  only a retry that runs where the same data folder is mounted.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from temporalio import activity


class AcceptanceJournal:
    """One empty file per Message-ID the server accepted whose outbox commit has not landed yet."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._folder = folder

    @classmethod
    def for_database(cls, data_dir: Path, database_url: str) -> AcceptanceJournal:
        """The journal of one database's outbox (a Message-ID is unique only within one)."""
        return cls(data_dir / "outbox-accepted" / hashlib.sha256(database_url.encode()).hexdigest()[:16])

    def _path(self, message_id: str) -> Path:
        # Message-IDs hold <, > and @: a digest is a safe, fixed-length file name.
        return self._folder / hashlib.sha256(message_id.encode()).hexdigest()

    def note(self, message_id: str) -> None:
        """Record an acceptance: one open(O_CREAT) call, no fsync (a killed process is covered)."""
        os.close(os.open(self._path(message_id), os.O_CREAT | os.O_WRONLY, 0o600))

    def forget(self, message_id: str) -> None:
        """The outbox has it now."""
        self._path(message_id).unlink(missing_ok=True)

    def noted_among(self, message_ids: Iterable[str]) -> set[str]:
        """Which of these Message-IDs were accepted but may be missing from the outbox."""
        return {m for m in message_ids if self._path(m).exists()}


def inherited_acceptances() -> set[str]:
    """The Message-IDs an earlier attempt of this activity reported accepted in its heartbeats."""
    if not activity.in_activity():
        return set()
    return accepted_in(activity.info().heartbeat_details)


def accepted_in(details: Sequence[Any]) -> set[str]:
    """Read heartbeat details written by `heartbeat_accepted` (older formats carry none)."""
    found: set[str] = set()
    for detail in details:
        if isinstance(detail, dict) and isinstance(detail.get("accepted"), list):
            found.update(str(m) for m in detail["accepted"])
    return found


def heartbeat_accepted(accepted: set[str], note: str = "") -> None:
    """Heartbeat with every Message-ID accepted so far (this attempt's and inherited ones)."""
    if activity.in_activity():
        activity.heartbeat({"note": note, "accepted": sorted(accepted)})
