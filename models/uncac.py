"""The UNCAC provisions the programme aligns with (the United Nations Convention against Corruption)."""

from __future__ import annotations

from enum import StrEnum

from pledgeflow.i18n.language import N_


class UncacProvision(StrEnum):
    art5 = "art5"
    art7 = "art7"
    art8 = "art8"
    art10 = "art10"
    chapter6 = "chapter6"

    @property
    def label(self) -> str:
        """The provision's English title."""
        return _LABELS[self]

    @classmethod
    def parse(cls, value: str) -> UncacProvision:
        """Accept the slug or how people write it: "art. 5", "Article 10", "chapter VI", "5"."""
        cleaned = value.strip().lower().replace("article", "art").replace(".", "").replace(" ", "")
        if cleaned in {"chvi", "chaptervi", "chapter6", "ch6", "vi"}:
            return cls.chapter6
        if cleaned.isdigit():
            cleaned = f"art{cleaned}"
        try:
            return cls(cleaned)
        except ValueError:
            choices = "art. 5, art. 7, art. 8, art. 10, chapter VI"
            raise ValueError(f"'{value}' is not a UNCAC provision the programme uses ({choices})") from None


_LABELS = {
    UncacProvision.art5: N_("Art. 5: preventive anti-corruption policies and practices"),
    UncacProvision.art7: N_("Art. 7: public sector"),
    UncacProvision.art8: N_("Art. 8: codes of conduct for public officials"),
    UncacProvision.art10: N_("Art. 10: public reporting"),
    UncacProvision.chapter6: N_("Chapter VI: technical assistance and information exchange"),
}
