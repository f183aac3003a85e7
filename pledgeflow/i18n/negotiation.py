"""Which language a page is shown in: the contact's, else ?lang=, else Accept-Language, else English."""

from __future__ import annotations

from babel.core import negotiate_locale

from pledgeflow.i18n.catalogs import DEFAULT_LOCALE


def _accepted(header: str | None) -> list[str]:
    """Accept-Language's tags, best first: 'ar-JO,ar;q=0.9,en;q=0.5' -> ['ar-JO', 'ar', 'en']."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        if not tag or tag == "*":
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if quality > 0:
            weighted.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


def choose_locale(available: list[str], *preferred: str | None, accept_language: str | None = None) -> str:
    """The first preferred locale (in the order given), then Accept-Language's, with a catalog; else 'en'.

    Callers pass their order: a contact's page passes `?lang=` (the reader just chose it with the
    language switch) before the contact's locale; a public page passes `?lang=` only.
    """
    tags = [p for p in preferred if p] + _accepted(accept_language)
    for tag in tags:
        found = negotiate_locale([tag.replace("_", "-")], available, sep="-")
        if found:
            return found
        # 'fr-CI' against ['fr']: negotiate_locale matches a language alone only for known aliases.
        language = tag.replace("_", "-").split("-")[0].lower()
        if language in available:
            return language
    return DEFAULT_LOCALE
