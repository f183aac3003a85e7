"""The emails catalog carries every enum label an email shows, exactly as the models spell them."""

from __future__ import annotations

from models.arusha import ArushaFactor
from models.labels import STANDING_LABELS
from services.notifications.labels import EMAIL_LABELS


def test_email_labels_are_the_models_labels() -> None:
    expected = [factor.label for factor in ArushaFactor] + list(STANDING_LABELS.values())
    assert list(EMAIL_LABELS) == expected
