"""The groups-and-quorum step: stakeholder groups by kind or as a list, their rules, and the
quorum in words (services/quorum_sentence.py) above them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData

from api.console.campaign_form_fields import (
    Values,
    checked,
    or_none,
    row_count,
    row_indexes,
    text,
    without_row,
)
from api.console.campaign_form_steps import update
from api.console.status_labels import KINDS_PLURAL
from models.campaign import Campaign
from models.organisation import Organisation, OrganisationKind
from models.quorum import RuleKind, StakeholderGroup
from models.user import User
from pledgeflow.i18n import N_
from services import directory, invitations, organisations, quorum_sentence


@dataclass
class GroupsStep:
    key: str = "groups"
    template: str = "console/campaigns/form/groups.html"

    def load(self, session: Session, campaign: Campaign) -> Values:
        values: Values = {}
        for i, raw in enumerate(campaign.quorum or []):
            g = StakeholderGroup.model_validate(raw)
            values.update(
                _group(
                    i,
                    g.name,
                    "list" if g.organisation_ids else "kinds",
                    [k.value for k in g.kinds],
                    [str(o) for o in g.organisation_ids],
                    g.rule.value,
                    "" if g.n is None else str(g.n),
                    "" if g.percent is None else f"{g.percent:g}",
                    [str(o) for o in g.required],
                )
            )
        return values

    def read(self, form: FormData) -> Values:
        values: Values = {}
        for new, old in enumerate(row_indexes(form, "quorum", "name")):
            p = f"quorum.{old}."
            values.update(
                _group(
                    new,
                    text(form, p + "name"),
                    text(form, p + "by") or "kinds",
                    checked(form, p + "kinds"),
                    checked(form, p + "organisation_ids"),
                    text(form, p + "rule") or "all",
                    text(form, p + "n"),
                    text(form, p + "percent"),
                    checked(form, p + "required"),
                )
            )
        return values

    def edit(self, values: Values, action: str) -> Values | None:
        rows = row_count(values, "quorum", "name")
        if action == "add":
            return {**values, **_group(rows, "", "kinds", [], [], "all", "", "", [])}
        if action.startswith("remove-"):
            return without_row(values, "quorum", int(action.removeprefix("remove-")), rows)
        return None

    def groups(self, values: Values) -> list[dict[str, Any]]:
        """The groups as the API's body holds them."""
        out = []
        for i in range(row_count(values, "quorum", "name")):
            p = f"quorum.{i}."
            by_list = values[p + "by"] == "list"
            rule = values[p + "rule"]
            out.append(
                {
                    "name": values[p + "name"],
                    "kinds": [] if by_list else values[p + "kinds"],
                    "organisation_ids": values[p + "organisation_ids"] if by_list else [],
                    "rule": rule,
                    "n": or_none(values[p + "n"]) if rule == RuleKind.at_least.value else None,
                    "percent": or_none(values[p + "percent"]) if rule == RuleKind.percent.value else None,
                    "required": values[p + "required"],
                }
            )
        return out

    def save(self, session: Session, campaign: Campaign, values: Values, actor: str) -> None:
        update(session, campaign, {"quorum": self.groups(values)}, actor)

    def extras(
        self, session: Session, user: User, campaign: Campaign | None, values: Values
    ) -> dict[str, Any]:
        known = organisations.list_all(session, visible=directory.organisation_filter(user), limit=1000)
        names = {o.id or 0: o.name for o in known}
        try:
            groups = [StakeholderGroup.model_validate(g) for g in self.groups(values)]
        except ValidationError:
            groups = []  # the sentence is for groups that hold together; the errors say the rest
        counts = group_counts(session, campaign, groups, known)
        return {
            "rows": row_count(values, "quorum", "name"),
            "kinds": [(k.value, KINDS_PLURAL[k]) for k in OrganisationKind],
            "rules": [
                ("all", N_("All of them")),
                ("at_least", N_("At least a number")),
                ("percent", N_("At least a percentage")),
            ],
            "organisations": [(str(o.id), f"{o.name} ({o.country})") for o in known],
            "clauses": quorum_sentence.describe(groups, names, counts),
            "sentence": quorum_sentence.in_force_sentence(groups, names, counts),
        }


def group_counts(
    session: Session, campaign: Campaign | None, groups: list[StakeholderGroup], known: list[Organisation]
) -> dict[str, int]:
    """How many of the draft's chosen invitees each group defined by kind holds."""
    if campaign is None:
        return {}
    invited = {
        i.organisation_id for i in invitations.list_for_campaign(session, campaign_id=campaign.id or 0)
    }
    if not invited:
        return {}
    kind_of = {o.id: o.kind for o in known}
    return {g.name: sum(1 for org in invited if kind_of.get(org) in g.kinds) for g in groups if g.kinds}


def _group(
    i: int,
    name: str,
    by: str,
    kinds: list[str],
    orgs: list[str],
    rule: str,
    n: str,
    percent: str,
    required: list[str],
) -> Values:
    p = f"quorum.{i}."
    return {
        p + "name": name,
        p + "by": by,
        p + "kinds": kinds,
        p + "organisation_ids": orgs,
        p + "rule": rule,
        p + "n": n,
        p + "percent": percent,
        p + "required": required,
    }
