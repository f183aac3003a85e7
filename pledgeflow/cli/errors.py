"""What the command line prints when a command fails: one line that names the fix, never a traceback.

Typer's pretty tracebacks are switched off (they can print local variables: secrets, tokens,
addresses); `pledgeflow.cli.main.main` passes every uncaught exception through `describe` instead.
PLEDGEFLOW_DEBUG=1 prints the traceback too, for a developer chasing a bug.
"""

from __future__ import annotations

import os
import traceback

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, NoSuchTableError, OperationalError, ProgrammingError

from pledgeflow.errors import PledgeflowError
from workflows.client import refusal

EXPECTED_EXIT = 2
"""Exit code of an expected failure (bad input, unmigrated database, unreachable service)."""
UNEXPECTED_EXIT = 1
"""Exit code of a bug: an exception nothing here expected."""


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _is_missing_table(exc: BaseException) -> bool:
    if isinstance(exc, NoSuchTableError):
        return True
    if not isinstance(exc, OperationalError | ProgrammingError):
        return False
    original = getattr(exc, "orig", None)
    # psycopg names the SQLSTATE class; SQLite only says it in the message.
    if original is not None and type(original).__name__ == "UndefinedTable":
        return True
    message = str(original if original is not None else exc).lower()
    return "no such table" in message or ("relation" in message and "does not exist" in message)


def describe(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one line to print for an exception that reached the top of a command."""
    if isinstance(exc, PledgeflowError):
        reasons = "; ".join(f"{p.field}: {p.reason}" for p in exc.errors)
        return EXPECTED_EXIT, f"{exc.detail}" + (f" ({reasons})" if reasons and reasons != exc.detail else "")
    if _is_missing_table(exc):
        original = getattr(exc, "orig", None) or exc
        return (
            EXPECTED_EXIT,
            f"the database is not migrated ({_first_line(str(original))}): run `pledgeflow db upgrade`",
        )
    if isinstance(exc, DBAPIError):
        original = exc.orig if exc.orig is not None else exc
        return EXPECTED_EXIT, f"database error: {_first_line(str(original))}"
    if isinstance(exc, ValidationError):
        fields = "; ".join(
            f"PLEDGEFLOW_{'_'.join(str(p) for p in e['loc']).upper() or 'SETTINGS'}: {e['msg']}"
            for e in exc.errors()
        )
        return EXPECTED_EXIT, f"invalid settings: {fields}"
    refused = refusal(exc)
    if refused is not None:
        return EXPECTED_EXIT, refused.detail
    if isinstance(exc, ConnectionError | TimeoutError):
        return EXPECTED_EXIT, f"a service is unreachable: {_first_line(str(exc)) or type(exc).__name__}"
    return (
        UNEXPECTED_EXIT,
        f"unexpected {type(exc).__name__}: {_first_line(str(exc))} (PLEDGEFLOW_DEBUG=1 shows the traceback)",
    )


def traceback_wanted() -> bool:
    """Whether the developer asked for tracebacks (PLEDGEFLOW_DEBUG=1)."""
    return os.environ.get("PLEDGEFLOW_DEBUG", "").lower() in {"1", "true", "yes"}


def format_traceback(exc: BaseException) -> str:
    """The full traceback, without local variables."""
    return "".join(traceback.format_exception(exc))
