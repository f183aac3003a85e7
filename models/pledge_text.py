"""A pledge version in one language: its original text or a translation, each with its own hash.

A translation carries the title, the introduction and each commitment's text; the keys and the
Arusha factors are the original's (a translation cannot tag a commitment differently). Its hash
is the original's canonical rule plus a `"language"` member, so no two languages share a hash and
the original's hash (no such member) stays what it has always been.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel import Locale, UnknownLocaleError
from pydantic import BaseModel, Field

from models.commitment import Commitment
from models.common import reject_bidi_controls

TAG_MAX = 35  # BCP 47's recommended buffer for a language tag


class CommitmentText(BaseModel):
    """One commitment's text in a translation; `key` names the original's commitment."""

    key: str = Field(max_length=40)
    text: str = Field(max_length=4000)


class PledgeTextCreate(BaseModel):
    """A translation as the API takes it: title, introduction, and every commitment's text.

    Blank texts and keys are refused by `text_problems`, which names the field the way a reader
    finds it (`texts[fr].commitments[c2].text`) rather than by list position.
    """

    title: str = Field(max_length=300)
    introduction: str = Field(default="", max_length=20000)
    commitments: list[CommitmentText] = Field(max_length=500)


class PledgeTextPublic(PledgeTextCreate):
    """A translation as the API returns it, with the SHA-256 of its canonical text."""

    language: str
    sha256: str


@dataclass(frozen=True)
class PledgeText:
    """The pledge as a reader of one language reads it (commitments with the original's factors)."""

    language: str
    title: str
    introduction: str
    commitments: list[Commitment]
    sha256: str
    original: bool


def language_tag(raw: str) -> str:
    """The canonical form of a known language tag ('FR' -> 'fr', 'pt_mz' -> 'pt-MZ'), or ValueError."""
    cleaned = raw.strip().replace("_", "-")
    if not cleaned or len(cleaned) > TAG_MAX:
        raise ValueError(f"'{raw}' is not a language tag")
    try:
        locale = Locale.parse(cleaned, sep="-")
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(f"'{raw}' is not a known language tag") from exc
    return str(locale).replace("_", "-")


def base_language(tag: str) -> str:
    """'pt-MZ' -> 'pt'."""
    return tag.replace("_", "-").split("-")[0].lower()


def text_problems(language: str, text: PledgeTextCreate, keys: list[str]) -> list[tuple[str, str]]:
    """What is wrong with one translation, as (field, reason), fields named `texts[fr].…`."""
    prefix = f"texts[{language}]"
    problems: list[tuple[str, str]] = []
    if not text.title.strip():
        problems.append((f"{prefix}.title", "the translated title must not be blank"))
    for name, value in (("title", text.title), ("introduction", text.introduction)):
        try:
            reject_bidi_controls(value)
        except ValueError as exc:
            problems.append((f"{prefix}.{name}", str(exc)))
    given = [c.key for c in text.commitments]
    for commitment in text.commitments:
        field = f"{prefix}.commitments[{commitment.key}]"
        if commitment.key not in keys:
            problems.append((field, "no commitment of the original has this key"))
            continue
        if given.count(commitment.key) > 1:
            problems.append((field, "this commitment is translated more than once"))
        if not commitment.text.strip():
            problems.append((f"{field}.text", "the translated commitment must not be blank"))
        try:
            reject_bidi_controls(commitment.text)
        except ValueError as exc:
            problems.append((f"{field}.text", str(exc)))
    for key in keys:
        if key not in given:
            problems.append((f"{prefix}.commitments[{key}].text", "translate this commitment too"))
    # A repeated key is reported once.
    return list(dict.fromkeys(problems))


def text_direction(tag: str) -> str:
    """'rtl' for a language written right to left (Arabic), else 'ltr'."""
    try:
        order = Locale.parse(tag.replace("_", "-"), sep="-").character_order
    except (UnknownLocaleError, ValueError):
        return "ltr"
    return "rtl" if order == "right-to-left" else "ltr"
