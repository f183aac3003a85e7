"""What each kind of signing email needs from the workflow that sends it, typed.

The workflow builds one of these and sends its `wire()` dict (the `params` of the email
activity's input, as recorded histories carry them); the composer reads it back with `read`,
so a key missing from an older payload takes the field's default.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self


class EmailParams:
    """A typed params record with its plain-dict wire form."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    def wire(self) -> dict[str, Any]:
        """The params as the email activity's input carries them."""
        return dataclasses.asdict(self)

    @classmethod
    def read(cls, params: Mapping[str, Any]) -> Self:
        """The params of a payload; unknown keys are ignored, a missing required one raises KeyError."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        for name, f in known.items():
            if name not in params and f.default is dataclasses.MISSING:
                raise KeyError(name)
        return cls(**{k: v for k, v in params.items() if k in known})


@dataclass(frozen=True)
class InvitationParams(EmailParams):
    reopened: bool = False  # a fresh link after the invitation expired and was reopened


@dataclass(frozen=True)
class ReminderParams(EmailParams):
    number: int = 1
    total: int = 1  # "reminder 2 of 3"


@dataclass(frozen=True)
class EscalationParams(EmailParams):
    escalation_id: int
    levels: int = 0  # the ladder's length; the level itself when unknown
    role: str = ""  # the planned recipient; the recorded one when unknown
    last_level: bool = False


@dataclass(frozen=True)
class DeadlineParams(EmailParams):
    deadline: str = ""  # ISO date; the invitation's own when empty


@dataclass(frozen=True)
class WithdrawalParams(EmailParams):
    after_in_force: bool = False


@dataclass(frozen=True)
class CancellationParams(EmailParams):
    reason: str = ""  # the coordinator's words
