"""One reader's language: translated text and CLDR formats (dates, times, numbers, plurals)."""

from __future__ import annotations

import gettext
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.numbers import format_decimal, format_percent


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark for extraction, translate later"
    """Mark a msgid for extraction where it is declared; it is translated where it is shown."""
    return message


def _formats_locale(code: str, country: str | None) -> Locale:
    """The CLDR locale for formats: 'ar' in Jordan is ar_JO (its month names), else the language."""
    base = Locale.parse(code.replace("-", "_"))
    if country and not base.territory:
        try:
            return Locale.parse(f"{base.language}_{country.upper()}")
        except (UnknownLocaleError, ValueError):
            return base
    return base


def language_name(tag: str, *, in_locale: str | None = None) -> str:
    """CLDR's name of a language: its own ('français', 'العربية') or in `in_locale` ('French').

    The tag itself when Babel does not know it, so an unknown language is still named.
    """
    try:
        locale = Locale.parse(tag.replace("_", "-"), sep="-")
        return locale.get_display_name(in_locale.replace("-", "_") if in_locale else None) or tag
    except (UnknownLocaleError, ValueError):
        return tag


@dataclass(frozen=True)
class Language:
    """Translations of one locale with the formats of that locale (in the reader's country)."""

    code: str
    translations: gettext.NullTranslations
    formats: Locale
    direction: str = field(init=False)

    def __post_init__(self) -> None:
        rtl = self.formats.character_order == "right-to-left"
        object.__setattr__(self, "direction", "rtl" if rtl else "ltr")

    @classmethod
    def for_reader(
        cls, code: str, translations: gettext.NullTranslations, *, country: str | None = None
    ) -> Language:
        return cls(code=code, translations=translations, formats=_formats_locale(code, country))

    @property
    def name(self) -> str:
        """The language's own name, for a language switch: 'العربية', 'Kiswahili', 'português'."""
        return language_name(self.code)

    def gettext(self, message: str, **values: Any) -> str:
        """The translation, with %(name)s placeholders filled as in the templates."""
        text = self.translations.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, count: int, **values: Any) -> str:
        """The plural form CLDR gives `count` in this language (Arabic has six); %(num)s is the count."""
        text = self.translations.ngettext(singular, plural, count)
        return text % {"num": self.number(count), **values}

    def date(self, value: date | datetime | str | None, format: str = "long") -> str:
        """'30 January 2027', '30 janvier 2027', '30 كانون الثاني 2027'; an ISO string is read first."""
        if value is None or value == "":
            return "—"
        if isinstance(value, str):
            value = date.fromisoformat(value[:10])
        if isinstance(value, datetime):
            value = value.date()
        return format_date(value, format, locale=self.formats)

    def moment(self, value: datetime | str | None, zone: tzinfo | None = None) -> str:
        """'30 Jan 2027, 14:05 WAT': the locale's order and month names, 24-hour, the zone named."""
        if value is None or value == "":
            return "—"
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        shown = value.astimezone(zone or UTC)
        # The locale's own way of joining a date and a time ('{1}, {0}', '{1} à {0}', ...).
        joined = str(self.formats.datetime_formats["medium"])
        day = format_date(shown, "medium", locale=self.formats)
        clock = format_time(shown, "HH:mm", locale=self.formats)
        return f"{joined.replace('{1}', day).replace('{0}', clock)} {shown.tzname() or 'UTC'}"

    def time(self, value: datetime, zone: tzinfo | None = None) -> str:
        return format_time(value, "short", tzinfo=zone, locale=self.formats)

    def number(self, value: float | int) -> str:
        return format_decimal(value, locale=self.formats)

    def percent(self, fraction: float) -> str:
        """0.42 -> '42 %' (fr), '42%' (en), '42‎%' (ar)."""
        return format_percent(fraction, locale=self.formats)

    def country(self, code: str | None) -> str:
        """A country by its ISO code, named in this language by CLDR ('Ghana', 'غانا')."""
        if not code:
            return "—"
        return str(self.formats.territories.get(code.upper(), code))

    def filters(self) -> dict[str, Callable[..., Any]]:
        """The filters every localised template gets: {{ d | date }}, {{ t | moment }}, {{ n | number }}."""
        return {
            "date": self.date,
            "moment": self.moment,
            "number": self.number,
            "percent_of": self.percent,
            "country": self.country,
        }
