"""What AuditCheckpointWorkflow takes and returns (and its activity): plain dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class CheckpointInput:
    email_task_queue: str = "pledgeflow-email"
    taken_at: datetime | None = None
    checkpoint_id: str = ""


@dataclass
class CheckpointResult:
    head_seq: int
    head_hash: str
    intact: bool
    problem: str = ""
    auditors: list[str] = field(default_factory=list)
