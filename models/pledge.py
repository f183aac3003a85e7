"""Pledges: the versioned text that signatories commit to."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from datetime import datetime
from typing import Any

from pydantic import Field as PydanticField
from pydantic import field_validator, model_validator
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel, UniqueConstraint

from models.commitment import Commitment
from models.common import UTCDateTime, reject_bidi_controls, utcnow
from models.pledge_text import (
    TAG_MAX,
    CommitmentText,
    PledgeText,
    PledgeTextCreate,
    PledgeTextPublic,
    base_language,
    language_tag,
    text_problems,
)

ORIGINAL_LANGUAGE = "en"  # the language of every version written before texts had one


class PledgeBase(SQLModel):
    title: str = Field(min_length=1, max_length=300)
    introduction: str = Field(default="", max_length=20000)


class Pledge(PledgeBase, table=True):
    __table_args__ = (UniqueConstraint("campaign_id", "version", name="uq_pledge_campaign_version"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    version: int = Field(ge=1)
    commitments: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    sha256: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The original's language; the translations, written with the version and frozen with it:
    # {"fr": {"title", "introduction", "commitments": [{"key", "text"}], "sha256"}}. A JSON column
    # rather than a table because a version is one immutable unit read whole (signing page,
    # receipt, emails) and nothing ever looks a translation up across versions.
    language: str = Field(default=ORIGINAL_LANGUAGE, max_length=TAG_MAX)
    translations: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))

    def commitment_models(self) -> list[Commitment]:
        """The stored commitments, parsed."""
        return [Commitment.model_validate(c) for c in self.commitments]

    def languages(self) -> list[str]:
        """Every language this version is written in, the original's first."""
        return [self.language, *sorted(self.translations or {})]

    def original_text(self) -> PledgeText:
        """The text as it was written."""
        return PledgeText(
            self.language, self.title, self.introduction, self.commitment_models(), self.sha256, True
        )

    def exact_text(self, language: str) -> PledgeText | None:
        """The text in this language (exact tag, else the same base language), or None."""
        tags = self.languages()
        wanted = language.replace("_", "-").lower()
        found = next((t for t in tags if t.lower() == wanted), None)
        if found is None:
            found = next((t for t in tags if base_language(t) == base_language(wanted)), None)
        if found is None:
            return None
        if found == self.language:
            return self.original_text()
        stored = (self.translations or {})[found]
        factors = {c.key: c.factors for c in self.commitment_models()}
        commitments = [
            Commitment(key=c["key"], text=c["text"], factors=factors[c["key"]]) for c in stored["commitments"]
        ]
        return PledgeText(
            found, stored["title"], stored["introduction"], commitments, stored["sha256"], False
        )

    def text_in(self, language: str | None) -> PledgeText:
        """The text for a reader of this language, else the original."""
        return (self.exact_text(language) if language else None) or self.original_text()


class PledgeCreate(PledgeBase):
    commitments: list[Commitment] = Field(min_length=1)
    language: str = Field(
        default=ORIGINAL_LANGUAGE, max_length=TAG_MAX, description="The language the original is written in"
    )
    texts: dict[str, PledgeTextCreate] = Field(
        default_factory=dict,
        description=(
            "Translations by language tag ('fr', 'pt-MZ'): title, introduction and the text of every "
            "commitment of the original, by its key (factors are the original's). Each gets its own SHA-256."
        ),
    )

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        return language_tag(value)

    # Here rather than on PledgeBase or Commitment, which also read stored versions back.
    @field_validator("title", "introduction")
    @classmethod
    def _no_bidi_controls(cls, value: str) -> str | None:
        return reject_bidi_controls(value)

    @field_validator("commitments")
    @classmethod
    def _commitments_no_bidi_controls(cls, value: list[Commitment]) -> list[Commitment]:
        for index, commitment in enumerate(value):
            try:
                reject_bidi_controls(commitment.text)
            except ValueError as exc:
                raise ValueError(f"commitments[{index}].text {exc}") from exc
        return value

    @model_validator(mode="after")
    def _keys_unique(self) -> PledgeCreate:
        keys = [c.key for c in self.commitments]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"commitment keys must be unique; repeated: {', '.join(duplicates)}")
        return self


class PledgePublic(PledgeBase):
    id: int
    campaign_id: int
    version: int
    commitments: list[Commitment]
    sha256: str
    created_at: datetime
    language: str = ORIGINAL_LANGUAGE
    texts: dict[str, PledgeTextPublic] = PydanticField(
        default_factory=dict, description="The translations by language tag, each with its SHA-256"
    )


def pledge_public(pledge: Pledge) -> PledgePublic:
    """The version as the API shows it: the original and every translation with its hash."""
    texts = {}
    for tag in pledge.languages()[1:]:
        text = pledge.exact_text(tag)
        assert text is not None
        texts[tag] = PledgeTextPublic(
            language=tag,
            title=text.title,
            introduction=text.introduction,
            commitments=[CommitmentText(key=c.key, text=c.text) for c in text.commitments],
            sha256=text.sha256,
        )
    return PledgePublic.model_validate(
        {
            **pledge.model_dump(exclude={"translations", "commitments"}),
            "texts": texts,
            "commitments": pledge.commitment_models(),
        }
    )


def canonical_pledge_text(
    title: str, introduction: str, commitments: list[Commitment], language: str | None = None
) -> str:
    """The exact text whose hash identifies a pledge version: NFC, sorted keys, no spacing.

    The original has no `language` member (its hash is the one every receipt already carries);
    a translation has one, so each language's text has its own hash.
    """
    document: dict[str, Any] = {
        "title": title,
        "introduction": introduction,
        "commitments": [
            {"key": c.key, "text": c.text, "factors": [f.value for f in c.factors]} for c in commitments
        ],
    }
    if language is not None:
        document["language"] = language
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return unicodedata.normalize("NFC", text)


def pledge_sha256(
    title: str, introduction: str, commitments: list[Commitment], language: str | None = None
) -> str:
    """SHA-256, hex, of the canonical text (of a translation when `language` is given)."""
    canonical = canonical_pledge_text(title, introduction, commitments, language)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def translated_commitments(original: list[Commitment], text: PledgeTextCreate) -> list[Commitment]:
    """A translation's commitments in the original's order, with the original's factors."""
    by_key = {c.key: c.text for c in text.commitments}
    return [Commitment(key=c.key, text=by_key[c.key], factors=c.factors) for c in original]


def translation_record(language: str, original: list[Commitment], text: PledgeTextCreate) -> dict[str, Any]:
    """A checked translation as the `translations` column stores it, hash included."""
    commitments = translated_commitments(original, text)
    return {
        "title": text.title,
        "introduction": text.introduction,
        "commitments": [{"key": c.key, "text": c.text} for c in commitments],
        "sha256": pledge_sha256(text.title, text.introduction, commitments, language),
    }


def checked_translations(data: PledgeCreate) -> tuple[dict[str, PledgeTextCreate], list[tuple[str, str]]]:
    """The translations under canonical tags, and what is wrong with them as (field, reason)."""
    keys = [c.key for c in data.commitments]
    texts: dict[str, PledgeTextCreate] = {}
    problems: list[tuple[str, str]] = []
    for raw, text in data.texts.items():
        try:
            tag = language_tag(raw)
        except ValueError as exc:
            problems.append((f"texts[{raw}]", str(exc)))
            continue
        if base_language(tag) == base_language(data.language):
            problems.append((f"texts[{raw}]", f"the original is already in '{data.language}'"))
            continue
        if tag in texts:
            problems.append((f"texts[{raw}]", f"'{tag}' is given twice"))
            continue
        texts[tag] = text
        problems.extend(text_problems(tag, text, keys))
    return texts, problems
