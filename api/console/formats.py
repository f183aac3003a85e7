"""How the console writes dates, times, shares and people: in the reader's language, by Babel.

The filters take the page's `Language` (the environment's `language` global) and delegate to it,
so month names, digits and the order of a date are CLDR's, never written by hand here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from pledgeflow.i18n import Language
from pledgeflow.i18n.language import N_

COMMAND_LINE = N_("the command line (%(name)s)")


def _language(context: Context) -> Language:
    language: Language = context["language"]
    return language


@pass_context
def day(context: Context, value: date | datetime | str | None) -> str:
    """'30 Jan 2027', '30 janv. 2027', '30‏/01‏/2027' (a date reads the same in every time zone)."""
    return _language(context).date(value, "medium")


@pass_context
def moment(context: Context, value: datetime | str | None) -> str:
    """'30 Jan 2027, 14:05 UTC' in the reader's order and month names."""
    return _language(context).moment(value)


def share(part: int, whole: int) -> float:
    """A share as a fraction, 0 when there is no whole."""
    return 0.0 if whole <= 0 else part / whole


@pass_context
def percent(context: Context, part: int, whole: int) -> str:
    """'42%', '42 %', '42‎%': part of whole as the reader writes a percentage."""
    return _language(context).percent(share(part, whole))


def who(actor: str | None, language: Language | None = None) -> str:
    """An audit actor as a person reads it: 'user:2:ama@wco.example' → 'ama@wco.example'."""
    if not actor:
        return "—"
    kind, _, rest = actor.partition(":")
    if kind == "user":
        return rest.partition(":")[2] or actor
    if kind == "cli":
        if language is None:
            return COMMAND_LINE % {"name": rest}
        return language.gettext(COMMAND_LINE, name=rest)
    return actor


@pass_context
def who_filter(context: Context, actor: str | None) -> str:
    return who(actor, _language(context))


def plural(count: int, one: str, many: str) -> str:
    """'1 row', '3 rows': English only, for templates not yet on ngettext (the import's dry run)."""
    return f"{count} {one if count == 1 else many}"


FILTERS: dict[str, Callable[..., Any]] = {
    "day": day,
    "moment": moment,
    "percent": percent,
    "who": who_filter,
    "plural": plural,
}
