"""What StaffMailWorkflow takes: which email, about which sign-in link."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class StaffMailInput:
    kind: str  # an EmailKind of the staff family: sign_in_link or staff_invitation
    link_id: int
    email_task_queue: str = "pledgeflow-email"
    invited_by: str = ""
