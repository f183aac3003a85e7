"""The set-up form's fields: named as the API names them, so its reasons land beside them.

A form field is called by the path the API reports a problem at ("commitments.0.text",
"policy.reminder_days"); a problem at a deeper path ("policy.reminder_days[1]") is shown at the
nearest field or fieldset the page has, and every problem is also listed at the top of the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from pledgeflow.errors import FieldProblem

Values = dict[str, Any]
"""A form's values by field name: a string, or a list of strings for a group of checkboxes."""


def validation_problems(exc: ValidationError, prefix: str = "") -> list[FieldProblem]:
    """A pydantic error as the API's problems (api/problems.py): the path joined by dots, the message."""
    problems = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err.get("loc", ()))
        field = f"{prefix}.{path}" if prefix and path else (prefix or path or "form")
        problems.append(FieldProblem(field, str(err.get("msg", "invalid")).removeprefix("Value error, ")))
    return _split_joined(problems)


def _split_joined(problems: list[FieldProblem]) -> list[FieldProblem]:
    """A model-wide check that joins its problems ("policy.x[0]: why; policy.y: why") as fields again."""
    pairs = re.compile(r"^((?:policy|review)\.[\w.\[\]]+): (.+)$")
    out: list[FieldProblem] = []
    for problem in problems:
        parts = [pairs.match(p) for p in problem.reason.split("; ")]
        if all(parts):
            out.extend(FieldProblem(m.group(1), m.group(2)) for m in parts if m)
        else:
            out.append(problem)
    return out


def known_fields(values: Mapping[str, Any], extra: Iterable[str] = ()) -> set[str]:
    """Every field of the form and every fieldset around one ("quorum.0", "quorum")."""
    known = set(extra)
    for name in values:
        parts = name.split(".")
        known.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return known


def place(field: str, known: set[str]) -> str:
    """The form field a problem's path belongs to: itself, or the nearest enclosing one."""
    name = re.sub(r"\[(\d+)\]", r".\1", field)
    while name not in known and "." in name:
        name = name.rsplit(".", 1)[0]
    return name if name in known else field


def errors_by_field(problems: Iterable[FieldProblem], known: set[str]) -> dict[str, str]:
    """Reasons by form field; two reasons for one field are joined."""
    errors: dict[str, str] = {}
    for problem in problems:
        name = place(problem.field, known)
        errors[name] = f"{errors[name]}; {problem.reason}" if name in errors else problem.reason
    return errors


def text(form: FormData, name: str) -> str:
    """A text field, stripped ('' when absent)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def checked(form: FormData, name: str) -> list[str]:
    """The values of a group of checkboxes (or a multiple select)."""
    return [v for v in form.getlist(name) if isinstance(v, str)]


def or_none(value: str) -> str | None:
    """An optional field left empty is not set."""
    return value or None


def numbers(value: str) -> list[str]:
    """'7, 14 21' as ['7', '14', '21'] (pydantic reads them, and says which one is not a number)."""
    return [part for part in re.split(r"[,;\s]+", value) if part]


def row_indexes(form: FormData, prefix: str, field: str) -> list[int]:
    """The indexes of the repeated rows posted ("commitments.{i}.text"), in order."""
    pattern = re.compile(rf"^{re.escape(prefix)}\.(\d+)\.{re.escape(field)}$")
    found = {int(m.group(1)) for key in form if (m := pattern.match(key))}
    return sorted(found)


def row_count(values: Values, prefix: str, field: str) -> int:
    """How many repeated rows the values hold."""
    return sum(1 for k in values if k.startswith(prefix + ".") and k.endswith("." + field))


def without_row(values: Values, prefix: str, index: int, rows: int) -> Values:
    """The values with one repeated row taken out and the rows after it moved up."""
    kept: Values = {k: v for k, v in values.items() if not k.startswith(prefix + ".")}
    new = 0
    for old in range(rows):
        if old == index:
            continue
        head = f"{prefix}.{old}."
        kept.update({f"{prefix}.{new}.{k[len(head) :]}": v for k, v in values.items() if k.startswith(head)})
        new += 1
    return kept
