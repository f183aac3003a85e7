"""Read the payloads in a history with the default data converter (JSON), for people to read."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from typing import Any

import google.protobuf.json_format
import google.protobuf.message
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import DataConverter

# A decoded value larger than this (as JSON) is summarised instead of shown: a campaign's
# continue-as-new state can list thousands of members.
MAX_VALUE_CHARS = 20_000

_CONVERTER = DataConverter.default.payload_converter


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode()}
    if isinstance(value, google.protobuf.message.Message):
        return google.protobuf.json_format.MessageToDict(value)
    return str(value)


def _capped(value: Any) -> Any:
    size = len(json.dumps(value, default=str))
    if size > MAX_VALUE_CHARS:
        return f"<{size} characters of data, not shown; export the history to read it>"
    return value


def decode(payload: Payload) -> Any:
    """One payload as JSON values; a placeholder when this converter cannot read it (e.g. encrypted)."""
    try:
        [value] = _CONVERTER.from_payloads([payload])
    except Exception:
        encoding = payload.metadata.get("encoding", b"").decode(errors="replace") or "unknown"
        return f"<{encoding} payload of {len(payload.data)} bytes, not readable here>"
    return _capped(_json_safe(value))


def decode_all(payloads: Payloads | Iterable[Payload]) -> list[Any]:
    """Every payload of a Payloads message (arguments, results), in order."""
    items = payloads.payloads if isinstance(payloads, Payloads) else payloads
    return [decode(p) for p in items]


def first_fields(values: list[Any]) -> dict[str, Any]:
    """The fields of the first argument (every call here takes one dataclass), for sentences."""
    if not values:
        return {}
    first = values[0]
    return dict(first) if isinstance(first, dict) else {"value": first}
