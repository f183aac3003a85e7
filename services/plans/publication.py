"""What the public sees of action plans (UNCAC art. 10), with the administration's consent.

A plan's visibility decides, as a campaign's does for its register: public plans are listed (open
data, the register's link) and readable; unlisted ones are readable by their address only;
private ones not at all. Only the approved version is ever shown, never a draft or a revision
waiting for approval. A plan's address carries a key derived from the server's secret, so an
unlisted plan cannot be found by counting ids.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from models.action_plan import ActionPlan
from models.campaign import Campaign, Visibility
from models.organisation import Organisation
from models.plan_report import PlanReport
from models.programme import Programme
from models.signature import Signature
from pledgeflow.errors import NotFound
from services import register as registry
from services.plans import plans
from services.plans.figures import PlanFigures, for_plan

KEY_BYTES = 8


def public_key(secret: str, plan_id: int) -> str:
    """The plan's public address: its id and a keyed hash of it."""
    digest = hmac.new(secret.encode(), f"plan:{plan_id}".encode(), hashlib.sha256).hexdigest()
    return f"{plan_id}-{digest[: KEY_BYTES * 2]}"


def by_key(session: Session, secret: str, key: str) -> ActionPlan:
    """The plan behind a public address, if it may be shown; NotFound otherwise (whatever the reason)."""
    plan_id, _, _ = key.partition("-")
    unknown = NotFound("there is no public action plan at this address")
    if not plan_id.isdigit() or not hmac.compare_digest(public_key(secret, int(plan_id)), key):
        raise unknown
    plan = session.get(ActionPlan, int(plan_id))
    if plan is None or plan.visibility is Visibility.private or plan.approved_version is None:
        raise unknown
    return plan


def listed(session: Session, programme_id: int) -> list[ActionPlan]:
    """The programme's public, approved plans."""
    return list(
        session.exec(
            select(ActionPlan)
            .where(
                ActionPlan.programme_id == programme_id,
                ActionPlan.visibility == Visibility.public,
                col(ActionPlan.approved_version).is_not(None),
            )
            .order_by(col(ActionPlan.country), col(ActionPlan.id))
        ).all()
    )


def public_plan_of(session: Session, secret: str, campaign: Campaign) -> str | None:
    """The address of the public plan of the campaign's country, for its register; None if none."""
    if campaign.country is None:
        return None
    query = select(ActionPlan).where(
        ActionPlan.country == campaign.country,
        ActionPlan.visibility == Visibility.public,
        col(ActionPlan.approved_version).is_not(None),
    )
    if campaign.programme_id is not None:
        query = query.where(ActionPlan.programme_id == campaign.programme_id)
    plan = session.exec(query.order_by(col(ActionPlan.starts_on).desc())).first()
    return public_key(secret, plan.id or 0) if plan else None


def figures_of(session: Session, plan: ActionPlan) -> PlanFigures:
    programme = session.get(Programme, plan.programme_id)
    shown = for_plan(session, plan, tolerance_percent=programme.tolerance_percent if programme else 10)
    assert shown is not None, "only approved plans are published"
    return shown


def plan_document(session: Session, secret: str, plan: ActionPlan, base_url: str) -> dict[str, Any]:
    """A published plan as open data: the approved version, its measures, indicators and readings."""
    shown = figures_of(session, plan)
    administration = session.get(Organisation, plan.organisation_id)
    approved = plans.version(session, plan, plan.approved_version)
    milestone_states = {key: word for m in shown.measures for key, word in m.milestones.items()}
    return {
        "id": plan.id,
        "url": f"{base_url}/action-plans/{public_key(secret, plan.id or 0)}",
        "title": plan.title,
        "country": plan.country,
        "administration": administration.name if administration else "",
        "starts_on": plan.starts_on.isoformat(),
        "ends_on": plan.ends_on.isoformat(),
        "version": approved.version,
        "sha256": approved.sha256,
        "approved_at": approved.approved_at.isoformat() if approved.approved_at else None,
        "measures": [
            {
                "key": m.measure.key,
                "title": m.measure.title,
                "factors": [f.value for f in m.measure.factors],
                "uncac": [u.value for u in m.measure.uncac],
                "responsible_unit": m.measure.responsible_unit,
                "starts_on": m.measure.starts_on.isoformat(),
                "ends_on": m.measure.ends_on.isoformat(),
                "state": m.state.value,
                "milestones": [
                    {
                        "key": ms.key,
                        "title": ms.title,
                        "due_on": ms.due_on.isoformat(),
                        "state": milestone_states[ms.key].state.value
                        if ms.key in milestone_states
                        else "pending",
                    }
                    for ms in m.measure.milestones
                ],
            }
            for m in shown.measures
        ],
        "indicators": [
            {
                "key": item.indicator.key,
                "measure_key": item.measure.key,
                "name": item.indicator.name,
                "unit": item.indicator.unit,
                "direction": item.indicator.direction.value,
                "baseline": {
                    "value": item.indicator.baseline_value,
                    "on": item.indicator.baseline_on.isoformat(),
                },
                "targets": [{"by": t.by.isoformat(), "value": t.value} for t in item.indicator.targets],
                "source": item.indicator.source,
                "readings": [
                    {
                        "cycle": p.cycle,
                        "on": p.reading.on.isoformat(),
                        "value": p.reading.value,
                        "expected": round(p.assessment.expected, 3),
                        "standing": p.assessment.standing.value,
                        "trend": p.assessment.trend.value,
                    }
                    for p in item.points
                ],
            }
            for item in shown.indicators
        ],
    }


def open_data(session: Session, secret: str, programme: Programme, base_url: str) -> dict[str, Any]:
    """The programme's open data: public registers with standing, and public plans with progress."""
    countries = plans.countries(session, programme.id or 0)
    campaigns = [
        c
        for c in registry.listed(session)
        if c.programme_id == programme.id or (c.country is not None and c.country in countries)
    ]
    registers = []
    for campaign in campaigns:
        entry = registry.register(session, campaign)
        registers.append(
            {
                "campaign_id": entry.campaign_id,
                "url": f"{base_url}/register/{campaign.register_key}",
                "title": entry.title,
                "country": campaign.country,
                "status": entry.status,
                "in_force_at": entry.in_force_at.isoformat() if entry.in_force_at else None,
                "pledge_sha256": entry.pledge_sha256,
                "signatories": [
                    {
                        "organisation": s.organisation,
                        "country": s.country,
                        "signed_at": s.signed_at.isoformat(),
                        "signer": s.signer,
                        "withdrawn_at": s.withdrawn_at.isoformat() if s.withdrawn_at else None,
                        "standing": s.standing,
                    }
                    for s in entry.signatories
                ],
            }
        )
    published = listed(session, programme.id or 0)
    return {
        "programme": {"slug": programme.slug, "name": programme.name, "countries": countries},
        "licence": programme.licence,
        "last_updated": _last_updated(session, published, campaigns, programme).isoformat(),
        "registers": registers,
        "plans": [plan_document(session, secret, plan, base_url) for plan in published],
    }


def _last_updated(
    session: Session, published: list[ActionPlan], campaigns: list[Campaign], programme: Programme
) -> datetime:
    """The newest change among what the export includes (approvals, accepted reports, campaign steps)."""
    moments = [programme.created_at]
    for plan in published:
        approved = plans.version(session, plan, plan.approved_version)
        moments.append(approved.approved_at or approved.created_at)
    if published:
        decided = session.exec(
            select(PlanReport.decided_at).where(col(PlanReport.plan_id).in_([p.id for p in published]))
        ).all()
        moments += [d for d in decided if d is not None]
    for campaign in campaigns:
        moments += [m for m in (campaign.launched_at, campaign.in_force_at, campaign.closed_at) if m]
    for signed in registry_signed_moments(session, campaigns):
        moments.append(signed)
    return max(m.astimezone(UTC) for m in moments)


def registry_signed_moments(session: Session, campaigns: list[Campaign]) -> list[datetime]:
    """When the campaigns' signatures were given or withdrawn: each changes a register."""
    if not campaigns:
        return []
    rows = session.exec(
        select(Signature.signed_at, Signature.withdrawn_at).where(
            col(Signature.campaign_id).in_([c.id for c in campaigns])
        )
    ).all()
    return [m for row in rows for m in row if m is not None]


CSV_HEADER = [
    "country",
    "administration",
    "plan_id",
    "plan_version",
    "measure_key",
    "indicator_key",
    "indicator",
    "unit",
    "direction",
    "baseline_value",
    "baseline_on",
    "final_target",
    "final_target_by",
    "cycle",
    "measured_on",
    "value",
    "expected",
    "standing",
    "trend",
]


def csv_rows(document: dict[str, Any]) -> list[list[Any]]:
    """One row per indicator reading of every published plan (not yet measured: one row, no reading)."""
    rows = []
    for plan in document["plans"]:
        for indicator in plan["indicators"]:
            final = indicator["targets"][-1]
            head = [
                plan["country"],
                plan["administration"],
                plan["id"],
                plan["version"],
                indicator["measure_key"],
                indicator["key"],
                indicator["name"],
                indicator["unit"],
                indicator["direction"],
                indicator["baseline"]["value"],
                indicator["baseline"]["on"],
                final["value"],
                final["by"],
            ]
            readings = indicator["readings"] or [None]
            for reading in readings:
                if reading is None:
                    rows.append([*head, "", "", "", "", "", ""])
                else:
                    rows.append(
                        [
                            *head,
                            reading["cycle"],
                            reading["on"],
                            reading["value"],
                            reading["expected"],
                            reading["standing"],
                            reading["trend"],
                        ]
                    )
    return rows
