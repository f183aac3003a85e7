"""The quorum in words: what must happen before a pact is in force, as a coordinator reads it.

Pure functions, no database: the caller passes the organisations it knows by id and, when it
knows them, how many organisations each group counts (invited, or planned in a draft).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from models.organisation import OrganisationKind
from models.quorum import RuleKind, StakeholderGroup

# (one, many): "the customs administration", "12 trade associations".
KIND_NAMES: dict[OrganisationKind, tuple[str, str]] = {
    OrganisationKind.customs_administration: ("customs administration", "customs administrations"),
    OrganisationKind.trade_association: ("trade association", "trade associations"),
    OrganisationKind.customs_broker: ("customs broker", "customs brokers"),
    OrganisationKind.freight_forwarder: ("freight forwarder", "freight forwarders"),
    OrganisationKind.chamber_of_commerce: ("chamber of commerce", "chambers of commerce"),
    OrganisationKind.company: ("company", "companies"),
    OrganisationKind.regional_body: ("regional body", "regional bodies"),
    OrganisationKind.other: ("other organisation", "other organisations"),
}


def join_words(words: Sequence[str], last: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


def _kinds(group: StakeholderGroup, *, many: bool) -> str:
    return join_words([KIND_NAMES[k][1 if many else 0] for k in group.kinds], "or")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def describe_group(
    group: StakeholderGroup, organisations_by_id: Mapping[int, str], count: int | None = None
) -> str:
    """One group's condition as a clause: 'at least 5 of the 12 trade associations'.

    `count` is how many organisations the group holds (None when not known yet: a kind-defined
    group of a draft without invitees); a listed group counts its list.
    """
    if group.organisation_ids:
        names = [organisations_by_id.get(i, f"organisation {i}") for i in group.organisation_ids]
        if group.rule is RuleKind.all:
            clause = join_words(names)
        elif group.rule is RuleKind.at_least:
            clause = f"at least {group.n} of {join_words(names, 'and')}"
        else:
            clause = f"at least {_number(group.percent or 0)} % of {join_words(names)}"
    else:
        single = count == 1
        what = _kinds(group, many=not single)
        if group.rule is RuleKind.all:
            if count is None:
                clause = f"every {_kinds(group, many=False)}"
            elif single:
                clause = f"the {what}"
            elif count == 2:
                clause = f"both {what}"
            else:
                clause = f"all {count} {what}"
        elif group.rule is RuleKind.at_least:
            of = f" of the {count}" if count is not None else ""
            many = (group.n or 0) != 1 or count not in (None, 1)
            clause = f"at least {group.n}{of} {_kinds(group, many=many)}"
        else:
            of = f"the {count} " if count is not None else ""
            clause = f"at least {_number(group.percent or 0)} % of {of}{_kinds(group, many=True)}"
    if group.required:
        required = [organisations_by_id.get(i, f"organisation {i}") for i in group.required]
        clause += f" (including {join_words(required)})"
    return clause


def _singular(group: StakeholderGroup, count: int | None) -> bool:
    """Whether the clause names one signatory ('every customs administration has signed')."""
    if group.rule is RuleKind.at_least:
        return group.n == 1
    if group.rule is RuleKind.percent:
        return False
    return len(group.organisation_ids) == 1 if group.organisation_ids else count in (None, 1)


def describe(
    groups: Sequence[StakeholderGroup],
    organisations_by_id: Mapping[int, str],
    counts: Mapping[str, int] | None = None,
) -> list[str]:
    """One clause per group, in the groups' order; `counts` maps a group's name to its size."""
    sizes = counts or {}
    return [describe_group(g, organisations_by_id, sizes.get(g.name)) for g in groups]


def in_force_sentence(
    groups: Sequence[StakeholderGroup],
    organisations_by_id: Mapping[int, str],
    counts: Mapping[str, int] | None = None,
) -> str:
    """The whole quorum as one sentence: 'In force when the customs administration and at least
    5 of the 12 trade associations have signed.' Without groups everyone invited must sign."""
    if not groups:
        return "In force when every organisation invited has signed."
    clauses = describe(groups, organisations_by_id, counts)
    one = len(groups) == 1 and _singular(groups[0], (counts or {}).get(groups[0].name))
    return f"In force when {join_words(clauses)} {'has' if one else 'have'} signed."
