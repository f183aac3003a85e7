"""A form field's name as a person reads it in an error summary: the forms name their fields by the
API's error paths ("commitments.1.factors"), which say where but not in words."""

from __future__ import annotations


def field_label(name: str) -> str:
    """'commitments.1.factors' → 'Commitment 2: factors'; 'policy.reminder_days' → 'Policy: reminder days'."""
    parts: list[str] = []
    for segment in name.split("."):
        if segment.isdigit() and parts:
            # A row of a list: the list's name in the singular, counted from 1.
            plural = parts.pop()
            parts.append(f"{plural[:-1] if plural.endswith('s') else plural} {int(segment) + 1}")
        else:
            parts.append(segment.replace("_", " "))
    if parts:
        parts[0] = parts[0][:1].upper() + parts[0][1:]
    return ": ".join(parts)
