"""Error summaries name fields in words."""

import pytest

from api.console.field_labels import field_label
from api.console.formats import who

pytestmark = pytest.mark.any_database


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("title", "Title"),
        ("signature_deadline", "Signature deadline"),
        ("commitments.1.factors", "Commitment 2: factors"),
        ("policy.reminder_days", "Policy: reminder days"),
        ("groups.0.at_least", "Group 1: at least"),
    ],
)
def test_a_field_name_reads_as_words(name: str, label: str) -> None:
    assert field_label(name) == label


@pytest.mark.parametrize(
    ("actor", "shown"),
    [("user:2:ama@wco.example", "ama@wco.example"), ("cli:root", "the command line (root)"), (None, "—")],
)
def test_an_actor_reads_as_a_person(actor: str | None, shown: str) -> None:
    assert who(actor) == shown
