"""The quorum in words (services/quorum_sentence.py): pure functions, no database."""

from __future__ import annotations

import pytest

from models.organisation import OrganisationKind
from models.quorum import RuleKind, StakeholderGroup
from services.quorum_sentence import describe, describe_group, in_force_sentence, join_words

pytestmark = pytest.mark.any_database

CUSTOMS = StakeholderGroup(name="Customs", kinds=[OrganisationKind.customs_administration])
TRADE = StakeholderGroup(
    name="Trade", kinds=[OrganisationKind.trade_association], rule=RuleKind.at_least, n=5
)
NAMES = {1: "Ghana Revenue Authority", 2: "GFF", 3: "Chamber of Accra"}


def test_the_issue_example_reads_as_written():
    sentence = in_force_sentence([CUSTOMS, TRADE], NAMES, {"Customs": 1, "Trade": 12})
    assert sentence == (
        "In force when the customs administration and at least 5 of the 12 trade associations have signed."
    )


def test_without_counts_the_sentence_says_every_and_at_least():
    assert describe([CUSTOMS, TRADE], NAMES) == [
        "every customs administration",
        "at least 5 trade associations",
    ]


def test_all_of_many_counts_them():
    assert describe_group(CUSTOMS, NAMES, 3) == "all 3 customs administrations"
    assert describe_group(CUSTOMS, NAMES, 2) == "both customs administrations"


def test_percent_of_kinds():
    group = StakeholderGroup(
        name="Brokers",
        kinds=[OrganisationKind.customs_broker, OrganisationKind.freight_forwarder],
        rule=RuleKind.percent,
        percent=60,
    )
    assert describe_group(group, NAMES, 20) == "at least 60 % of the 20 customs brokers or freight forwarders"
    assert describe_group(group.model_copy(update={"percent": 62.5}), NAMES) == (
        "at least 62.5 % of customs brokers or freight forwarders"
    )


def test_a_listed_group_names_its_organisations_and_the_required_ones():
    group = StakeholderGroup(
        name="Core", organisation_ids=[1, 2, 3], rule=RuleKind.at_least, n=2, required=[1]
    )
    assert describe_group(group, NAMES) == (
        "at least 2 of Ghana Revenue Authority, GFF and Chamber of Accra (including Ghana Revenue Authority)"
    )
    everyone = StakeholderGroup(name="Pair", organisation_ids=[2, 9])
    assert describe_group(everyone, NAMES) == "GFF and organisation 9"


def test_one_signatory_has_signed():
    assert in_force_sentence([CUSTOMS], NAMES) == "In force when every customs administration has signed."
    assert in_force_sentence([CUSTOMS], NAMES, {"Customs": 4}) == (
        "In force when all 4 customs administrations have signed."
    )


def test_no_groups_means_everyone_invited():
    assert in_force_sentence([], {}) == "In force when every organisation invited has signed."


def test_join_words():
    assert join_words([]) == ""
    assert join_words(["a"]) == "a"
    assert join_words(["a", "b", "c"], "or") == "a, b or c"
