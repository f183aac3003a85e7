"""Column types and validators shared by the record families."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import pycountry
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always hands back aware datetimes, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def validate_country(code: str) -> str:
    """Return the ISO 3166-1 alpha-2 code in upper case, or raise ValueError."""
    normalised = code.strip().upper()
    if len(normalised) != 2 or pycountry.countries.get(alpha_2=normalised) is None:
        raise ValueError(f"'{code}' is not an ISO 3166-1 alpha-2 country code")
    return normalised


_TIMEZONES: frozenset[str] | None = None


def validate_timezone(name: str) -> str:
    """Return the IANA time zone name unchanged, or raise ValueError."""
    global _TIMEZONES
    if _TIMEZONES is None:
        _TIMEZONES = frozenset(available_timezones())
    if name not in _TIMEZONES:
        raise ValueError(f"'{name}' is not a known IANA time zone (for example 'Africa/Accra')")
    try:
        ZoneInfo(name)
    except ZoneInfoNotFoundError as exc:  # pragma: no cover - listed but unreadable
        raise ValueError(f"time zone '{name}' cannot be loaded") from exc
    return name


def validate_locale(code: str) -> str:
    """Return a lower-case language code such as 'en' or 'fr', or raise ValueError."""
    normalised = code.strip().replace("_", "-").lower()
    language = normalised.split("-")[0]
    if pycountry.languages.get(alpha_2=language) is None:
        raise ValueError(f"'{code}' is not an ISO 639-1 language code (for example 'en' or 'fr')")
    return normalised


# Embedding and override controls (U+202A-U+202E) and isolates (U+2066-U+2069): in a name shown
# on a register, a receipt or an email header they can make text read differently than stored
# (an organisation name that displays reversed, a title that hides part of itself).
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
_BIDI_TABLE = dict.fromkeys(ord(c) for c in BIDI_CONTROLS)


def reject_bidi_controls(value: str | None) -> str | None:
    """Return the text unchanged, or raise ValueError naming the first bidirectional control in it."""
    if value is None:
        return None
    for character in value:
        if character in BIDI_CONTROLS:
            raise ValueError(
                f"contains the Unicode bidirectional control U+{ord(character):04X}, "
                "which can make the text display differently than written; remove it"
            )
    return value


def strip_bidi_controls(value: str) -> str:
    """The text without bidirectional controls: for what a signatory types, which cannot be refused
    once it reaches a workflow (a delegate's name, a signer's title)."""
    return value.translate(_BIDI_TABLE)


def reject_null(value: object, field_name: str) -> object:
    """Refuse an explicit JSON null for a field a record cannot be without (PATCH bodies)."""
    if value is None:
        raise ValueError(f"{field_name} cannot be null; leave it out to keep the current value")
    return value
