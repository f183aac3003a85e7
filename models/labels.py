"""The English labels of the enums people read (msgids): a template shows `{{ _(label(value)) }}`.

Marked with N_ so that extraction puts them in the `pages` catalogs; every renderer's
translations merge all domains, so emails and the console translate them too.
"""

from __future__ import annotations

from enum import StrEnum

from models.arusha import ArushaFactor
from models.report import ItemStatus, Standing
from pledgeflow.i18n.language import N_

STANDING_LABELS: dict[Standing, str] = {
    Standing.good: N_("good standing"),
    Standing.overdue: N_("report overdue"),
    Standing.non_compliant: N_("non-compliant"),
    Standing.lapsed: N_("lapsed"),
}

ITEM_STATUS_LABELS: dict[ItemStatus, str] = {
    ItemStatus.not_started: N_("Not started"),
    ItemStatus.in_progress: N_("In progress"),
    ItemStatus.implemented: N_("Implemented"),
    ItemStatus.not_applicable: N_("Not applicable"),
}


def label(value: StrEnum | str) -> str:
    """The English label (msgid) of an Arusha factor, a standing or an item status, by value or member."""
    for enum, labels in ((Standing, STANDING_LABELS), (ItemStatus, ITEM_STATUS_LABELS)):
        try:
            return labels[enum(value)]  # type: ignore[index]
        except ValueError:
            continue
    return ArushaFactor(value).label
