"""Expected errors declared on routes, so /docs shows the problem shape for each."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class FieldProblemModel(BaseModel):
    field: str
    reason: str


class Problem(BaseModel):
    """RFC 9457 problem details, as every error of this API is shaped."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldProblemModel] = []


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {"application/problem+json": {}}}


ERRORS_READ: dict[int | str, dict[str, Any]] = {
    401: _problem("No or unknown API token"),
    404: _problem("Unknown id, or not visible to this token"),
}
ERRORS_WRITE: dict[int | str, dict[str, Any]] = {
    **ERRORS_READ,
    403: _problem("The token's role may not change this"),
    409: _problem("Conflicts with the current state"),
    422: _problem("Invalid fields; each is named with its reason"),
}
ERRORS_TEMPORAL: dict[int | str, dict[str, Any]] = {
    **ERRORS_WRITE,
    503: _problem("Temporal is unreachable; nothing was lost, retry"),
}
