"""Plans made for tests through the plan service, as a programme officer would."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from models.action_plan import ActionPlanBase
from models.organisation import OrganisationCreate, OrganisationKind
from models.plan_content import PlanContent
from models.user import User
from pledgeflow.db import session_scope
from pledgeflow.dev.demo_plans import PROGRAMME_SLUG
from services import organisations
from services.plans import plans


def content(prefix: str = "t", start: int = 2026) -> PlanContent:
    return PlanContent.model_validate(
        {
            "measures": [
                {
                    "key": f"{prefix}-m1",
                    "title": "Publish the fees",
                    "factors": [3],
                    "uncac": ["art. 10"],
                    "starts_on": f"{start}-01-01",
                    "ends_on": f"{start + 2}-12-31",
                    "milestones": [
                        {"key": f"{prefix}-ms1", "title": "Portal online", "due_on": f"{start}-06-30"}
                    ],
                    "indicators": [
                        {
                            "key": f"{prefix}-i1",
                            "name": "Fees published",
                            "unit": "%",
                            "baseline_value": 10,
                            "baseline_on": f"{start - 1}-12-31",
                            "targets": [{"by": f"{start + 2}-12-31", "value": 100}],
                        }
                    ],
                }
            ]
        }
    )


def draft_plan(engine: Engine, owner: User, *, country: str, start: int = 2026) -> int:
    """A draft plan for a new customs administration of `country` in the demo programme."""
    with session_scope(engine) as session:
        programme = plans.programme_by_slug(session, PROGRAMME_SLUG)
        administration = organisations.create(
            session,
            data=OrganisationCreate(
                name=f"Customs of {country}", kind=OrganisationKind.customs_administration, country=country
            ),
            actor="test",
            owner_id=owner.id,
        )
        plan = plans.create(
            session,
            programme=programme,
            organisation=administration,
            data=ActionPlanBase(
                title=f"Plan {country}", starts_on=date(start, 1, 1), ends_on=date(start + 2, 12, 31)
            ),
            content=content(country.lower(), start),
            owner=owner,
            actor=f"user:{owner.email}",
        )
        return plan.id or 0
