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


PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"


def problem_content() -> dict[str, Any]:
    """The content of every error response: a Problem, as application/problem+json only."""
    return {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}}


def _problem(description: str) -> dict[str, Any]:
    # No `model=` here: FastAPI would document the model as application/json, which no error is.
    # api/problems.py adds the Problem schema to the components the reference points to.
    return {"description": description, "content": problem_content()}


ERRORS_READ: dict[int | str, dict[str, Any]] = {
    401: _problem("No or unknown API token"),
    404: _problem("Unknown id, or not visible to this token"),
}
ERRORS_READ_STATE: dict[int | str, dict[str, Any]] = {
    **ERRORS_READ,
    409: _problem("Not readable in the current state (the campaign has no pledge yet)"),
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
