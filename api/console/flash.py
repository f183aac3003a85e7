"""A one-time message after a POST, kept as msgids and values so it is shown in the reader's language.

The action that redirects does not render anything, so it cannot translate; the page that shows
the message does (`Flash.shown`). Values (names, e-mail addresses, dates) are isolated with
`<bdi>` in a right-to-left page, so a Latin name inside an Arabic sentence keeps its direction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from markupsafe import Markup, escape

from pledgeflow.i18n import Language


@dataclass(frozen=True)
class Sentence:
    """A msgid (with its plural and count when it counts something) and the values it names."""

    message: str
    values: dict[str, str] = field(default_factory=dict)
    plural: str = ""
    count: int | None = None
    # Values that are days (ISO), written in the reader's CLDR form when shown: '9 janvier 2027'.
    days: dict[str, str] = field(default_factory=dict)

    def shown(self, language: Language) -> Markup:
        if self.plural and self.count is not None:
            text = language.translations.ngettext(self.message, self.plural, self.count)
        else:
            text = language.translations.gettext(self.message)
        # In a right-to-left page a Latin name or address must keep its own direction (<bdi>);
        # in a left-to-right one the values read as they are.
        wrap = Markup("<bdi>%s</bdi>") if language.direction == "rtl" else Markup("%s")
        isolated = {name: wrap % value for name, value in self.values.items()}
        isolated.update({name: wrap % language.date(day) for name, day in self.days.items()})
        if self.count is not None:
            isolated["num"] = escape(language.number(self.count))
        return escape(text) % isolated if isolated else escape(text)

    def dumps(self) -> dict[str, Any]:
        return {"m": self.message, "v": self.values, "p": self.plural, "n": self.count, "d": self.days}

    @classmethod
    def loads(cls, raw: object) -> Sentence | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("m"), str):
            return None
        values, days, count = raw.get("v"), raw.get("d"), raw.get("n")
        return cls(
            message=raw["m"],
            values={str(k): str(v) for k, v in values.items()} if isinstance(values, dict) else {},
            plural=str(raw.get("p") or ""),
            count=count if isinstance(count, int) else None,
            days={str(k): str(v) for k, v in days.items()} if isinstance(days, dict) else {},
        )


@dataclass(frozen=True)
class Flash:
    """One or more whole sentences, each translated on its own (never glued from fragments)."""

    sentences: tuple[Sentence, ...]

    def __add__(self, other: Flash) -> Flash:
        return Flash(self.sentences + other.sentences)

    def shown(self, language: Language) -> Markup:
        """The message in the reader's language, its values escaped and direction-isolated."""
        return Markup(" ").join(sentence.shown(language) for sentence in self.sentences)

    def dumps(self) -> list[dict[str, Any]]:
        return [sentence.dumps() for sentence in self.sentences]

    @classmethod
    def loads(cls, raw: object) -> Flash | None:
        """A flash read back from its signed cookie; an old plain-text one is taken as its msgid."""
        if isinstance(raw, str):
            return cls((Sentence(raw),))
        if not isinstance(raw, list):
            return None
        sentences = tuple(s for s in (Sentence.loads(item) for item in raw) if s is not None)
        return cls(sentences) if sentences else None


def sentence(message: str, **values: object) -> Sentence:
    """A sentence with its values; a `date` value is kept as a day, to be written as the reader does."""
    return _sentence(message, values)


def _sentence(
    message: str, values: dict[str, object], plural: str = "", count: int | None = None
) -> Sentence:
    texts = {k: str(v) for k, v in values.items() if not isinstance(v, date)}
    days = {k: v.isoformat() for k, v in values.items() if isinstance(v, date)}
    return Sentence(message, texts, plural=plural, count=count, days=days)


def flash(message: str, **values: object) -> Flash:
    """A message to show after the redirect: `flash(N_("Shared with %(name)s."), name=user.name)`."""
    return Flash((_sentence(message, values),))


def ngettext(singular: str, plural: str, count: int, **values: object) -> Flash:
    """A message that counts (`%(num)s` is the count), in the plural form the reader's language needs.

    Named as gettext's function so that extraction records both forms as one plural entry.
    """
    return Flash((_sentence(singular, values, plural, count),))
