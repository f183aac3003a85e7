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
