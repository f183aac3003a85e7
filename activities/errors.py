"""Turn expected domain errors into non-retryable activity failures."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from temporalio.exceptions import ApplicationError

from pledgeflow.errors import PledgeflowError

P = ParamSpec("P")
R = TypeVar("R")


def domain_errors_are_final(func: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """A Conflict or NotFound will not heal by retrying: fail the activity at once, typed.

    The field problems travel as the failure's details, so the API can answer with them.
    """

    @wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await func(*args, **kwargs)
        except PledgeflowError as exc:
            problems = [{"field": p.field, "reason": p.reason} for p in exc.errors]
            raise ApplicationError(exc.detail, problems, type=type(exc).__name__, non_retryable=True) from exc

    return wrapper
