"""Domain errors; each carries the HTTP status the API answers with (RFC 9457 problems)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass
class FieldProblem:
    """One invalid field and why: the unit of every validation error."""

    field: str
    reason: str


class PledgeflowError(Exception):
    """Base of expected errors; unexpected ones are bugs and become a 500."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[FieldProblem] | None = None,
        kind: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        # A workflow's rejection, when the error is one: its type (workflows.pledge_messages.Rejection)
        # and what it said, so a page can show what the rejection means.
        self.kind = kind
        self.details: Mapping[str, Any] = details or {}


class InvalidInput(PledgeflowError):
    status, slug, title = 422, "invalid-input", "The request has invalid fields"

    @classmethod
    def for_field(cls, field_name: str, reason: str) -> InvalidInput:
        """An error naming one field."""
        return cls(f"{field_name}: {reason}", errors=[FieldProblem(field_name, reason)])


class NotFound(PledgeflowError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(PledgeflowError):
    status, slug, title = 409, "conflict", "Conflicts with the current state"


class Unauthorized(PledgeflowError):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(PledgeflowError):
    status, slug, title = 403, "forbidden", "Not allowed"


class Unavailable(PledgeflowError):
    status, slug, title = 503, "unavailable", "A service this needs is unreachable"


class Pending(Unavailable):
    """Temporal took the request but did not answer in time: it may still be carried out, so the
    caller checks before repeating it (a repeat of a signature is refused as already signed)."""

    slug, title = "pending", "Not confirmed in time; the request may still be carried out"


def not_found(kind: str, identifier: object) -> NotFound:
    """The standard message for an unknown id."""
    return NotFound(f"{kind} {identifier} does not exist", errors=[FieldProblem("id", f"unknown {kind}")])
