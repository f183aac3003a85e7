"""Temporal workflows: deterministic code and the dataclasses they take and return."""
