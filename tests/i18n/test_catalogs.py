"""Every language has every msgid of every domain translated, with the same placeholders.

A string added to a template or a module in English only fails here, naming the domain, the
language and the msgid; `make messages` then adds it (empty) to each .po for translators.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from pledgeflow.i18n import DOMAINS
from pledgeflow.i18n.extraction import extract

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "templates" / "locales"
# The programme's languages (../shared/DOMAIN.md) besides English, the source language.
REQUIRED = ("ar", "fr", "pt", "sw")


@pytest.fixture(scope="module")
def extracted() -> dict[str, Catalog]:
    return {domain: extract(ROOT, domain) for domain in DOMAINS}


def _read(code: str, domain: str) -> Catalog:
    path = LOCALES / code / "LC_MESSAGES" / f"{domain}.po"
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing: run scripts/messages.py --add {code}"
    with path.open("rb") as source:
        return read_po(source, locale=code, domain=domain)


def _untranslated(message: object) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)  # type: ignore[attr-defined]
    return message.fuzzy or not all(strings)  # type: ignore[attr-defined]


def test_every_programme_language_has_catalogs() -> None:
    present = {p.parent.name for p in LOCALES.glob("*/LC_MESSAGES")}
    assert set(REQUIRED) <= present


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("code", REQUIRED)
def test_every_msgid_is_translated(extracted: dict[str, Catalog], code: str, domain: str) -> None:
    catalog = _read(code, domain)
    missing = []
    for message in extracted[domain]:
        if not message.id:
            continue
        found = catalog.get(message.id)
        if found is None or _untranslated(found):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    assert not missing, f"{code}/{domain}.po: {len(missing)} msgids untranslated, first: {missing[:5]}"


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("code", REQUIRED)
def test_translations_keep_their_placeholders(code: str, domain: str) -> None:
    """Babel's checkers: a %(name)s renamed or dropped in a translation would fail at render time."""
    catalog = _read(code, domain)
    problems = [f"{message.id!r}: {'; '.join(map(str, errors))}" for message, errors in catalog.check()]
    assert not problems, f"{code}/{domain}.po: {problems[:5]}"


@pytest.mark.parametrize("code", REQUIRED)
def test_plural_forms_follow_cldr(code: str) -> None:
    """Arabic needs six forms, French and Portuguese two: each entry has as many as the header says."""
    for domain in DOMAINS:
        catalog = _read(code, domain)
        for message in catalog:
            if message.pluralizable and message.id:
                assert len(tuple(message.string or ())) == catalog.num_plurals, (
                    f"{code}/{domain}: {message.id[0]!r}"
                )
