"""The ten key factors of the Revised Arusha Declaration."""

from __future__ import annotations

from enum import StrEnum

from pledgeflow.i18n.language import N_


class ArushaFactor(StrEnum):
    """One key factor; commitments and report questions are tagged with one or more."""

    leadership_and_commitment = "leadership_and_commitment"
    regulatory_framework = "regulatory_framework"
    transparency = "transparency"
    automation = "automation"
    reform_and_modernization = "reform_and_modernization"
    audit_and_investigation = "audit_and_investigation"
    code_of_conduct = "code_of_conduct"
    human_resource_management = "human_resource_management"
    morale_and_organizational_culture = "morale_and_organizational_culture"
    relationship_with_private_sector = "relationship_with_private_sector"

    @property
    def number(self) -> int:
        """The factor's number in the Declaration, 1 to 10."""
        return list(ArushaFactor).index(self) + 1

    @property
    def label(self) -> str:
        """The factor's English title as the Declaration writes it."""
        return _LABELS[self]

    @classmethod
    def parse(cls, value: str | int) -> ArushaFactor:
        """Accept the slug, the number (1-10) or the English title."""
        if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
            number = int(value)
            if not 1 <= number <= 10:
                raise ValueError(f"Arusha key factor number {number} is not between 1 and 10")
            return list(cls)[number - 1]
        text = value.strip()
        for factor in cls:
            if text in (factor.value, factor.label) or text.lower() == factor.label.lower():
                return factor
        raise ValueError(f"'{value}' is not an Arusha key factor")


# English labels are the msgids: shown through gettext, `{{ _(label(factor)) }}` (models/labels.py).
_LABELS = {
    ArushaFactor.leadership_and_commitment: N_("Leadership and Commitment"),
    ArushaFactor.regulatory_framework: N_("Regulatory Framework"),
    ArushaFactor.transparency: N_("Transparency"),
    ArushaFactor.automation: N_("Automation"),
    ArushaFactor.reform_and_modernization: N_("Reform and Modernization"),
    ArushaFactor.audit_and_investigation: N_("Audit and Investigation"),
    ArushaFactor.code_of_conduct: N_("Code of Conduct"),
    ArushaFactor.human_resource_management: N_("Human Resource Management"),
    ArushaFactor.morale_and_organizational_culture: N_("Morale and Organizational Culture"),
    ArushaFactor.relationship_with_private_sector: N_("Relationship with the Private Sector"),
}
