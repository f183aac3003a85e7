"""The filters email templates put values through inside translated sentences.

The same msgid serves the plain text and the HTML part: `{{ _("Dear %(name)s,", name=contact_name | bdi) }}`.
In HTML, `bdi` isolates a Latin name, an address or a hash inside Arabic text so that it does not
scramble the sentence around it (and escapes it); in plain text it adds the Unicode isolates
(FSI ... PDI) where the language runs right to left, and nothing otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.lists import format_list
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from pledgeflow.i18n import Language

FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"


def _language(context: Context) -> Language:
    language = context.get("language")
    if not isinstance(language, Language):
        raise RuntimeError("email templates are rendered by a localised environment (no `language`)")
    return language


def _rtl(context: Context) -> bool:
    return bool(context.get("direction") == "rtl")


@pass_context
def when(context: Context, value: datetime | str | None, zone: str | None = None) -> str:
    """A moment in the reader's CLDR form, in the named time zone ('Africa/Accra') or UTC.

    Contexts carry ISO strings (they are stored with the outbox); one without an offset is UTC.
    """
    if value is None or value == "":
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return _language(context).moment(moment, ZoneInfo(zone) if zone else UTC)


@pass_context
def text_bdi(context: Context, value: object) -> str:
    text = str(value)
    return f"{FIRST_STRONG_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}" if _rtl(context) and text else text


@pass_context
def text_items(context: Context, values: Iterable[object]) -> str:
    """'A, B and C' as the reader's language joins a list ('A وB وC', 'A, B et C')."""
    shown = [text_bdi(context, v) for v in values]
    return format_list(shown, locale=_language(context).formats) if shown else ""


def html_bdi(value: object) -> Markup:
    return Markup("<bdi>{}</bdi>").format(value)


def html_strong(value: object) -> Markup:
    return Markup("<strong><bdi>{}</bdi></strong>").format(value)


def html_mailto(value: object) -> Markup:
    return Markup('<a href="mailto:{0}"><bdi>{0}</bdi></a>').format(value)


def html_anchor(value: object) -> Markup:
    return Markup('<bdi><a href="{0}">{0}</a></bdi>').format(value)


@pass_context
def html_items(context: Context, values: Iterable[object]) -> Markup:
    # format_list only joins: each item is escaped and isolated before it is joined.
    shown = [str(html_bdi(v)) for v in values]
    return Markup(format_list(shown, locale=_language(context).formats)) if shown else Markup("")


TEXT_FILTERS: dict[str, Callable[..., Any]] = {
    "bdi": text_bdi,
    "strong": text_bdi,
    "mailto": text_bdi,
    "anchor": str,
    "items": text_items,
    "when": when,
}
HTML_FILTERS: dict[str, Callable[..., Any]] = {
    "bdi": html_bdi,
    "strong": html_strong,
    "mailto": html_mailto,
    "anchor": html_anchor,
    "items": html_items,
    "when": when,
}
