"""What to call a history event: 'ActivityTaskScheduled' rather than EVENT_TYPE_ACTIVITY_TASK_SCHEDULED."""

from __future__ import annotations

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent


def event_type_name(event: HistoryEvent) -> str:
    """'ActivityTaskScheduled' for EVENT_TYPE_ACTIVITY_TASK_SCHEDULED."""
    try:
        raw = EventType.Name(event.event_type)
    except ValueError:
        return f"EventType{event.event_type}"
    return "".join(part.title() for part in raw.removeprefix("EVENT_TYPE_").split("_"))
