"""The demo programme that `pledgeflow dev` seeds: A-CIP, its sixteen countries, and two approved
action plans with two accepted years of measurements, so the console's plan pages, the country
grid and the public plan pages have something true to show on a first run.

The measurements of past years are history, written as the records an accepted cycle leaves
(PlanReport accepted, readings, milestone updates); cycles from now on run as workflows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.action_plan import ActionPlan, ActionPlanBase
from models.campaign import Campaign, Visibility
from models.organisation import OrganisationCreate, OrganisationKind
from models.plan_content import PlanContent
from models.plan_report import IndicatorReading, MilestoneState, MilestoneUpdate, PlanReport
from models.programme import Programme, ProgrammeCreate
from models.report import ReportStatus
from models.user import Role, User
from pledgeflow.db import session_scope
from services import organisations, users
from services.plans import plans

ACTOR = "system:demo"
PROGRAMME_SLUG = "a-cip"
# DOMAIN.md: the programme's beneficiary countries.
COUNTRIES = ["AF", "BF", "CI", "ET", "GH", "JO", "LB", "LR", "ML", "MZ", "NE", "NP", "PS", "SL", "TN", "TZ"]


def _plan(prefix: str, start: int) -> PlanContent:
    """A four-year plan: a fee-transparency measure (higher is better), a clearance-time measure
    (lower is better) and a code-of-conduct measure carried by milestones."""
    end = start + 3
    return PlanContent.model_validate(
        {
            "measures": [
                {
                    "key": f"{prefix}-fees",
                    "title": "Publish every fee and charge online",
                    "description": (
                        "All official fees, charges and procedures on the public website and at every office."
                    ),
                    "factors": ["transparency", "regulatory_framework"],
                    "uncac": ["art10", "art5"],
                    "responsible_unit": "Communications and Trade Facilitation",
                    "starts_on": f"{start}-01-01",
                    "ends_on": f"{end}-12-31",
                    "milestones": [
                        {
                            "key": f"{prefix}-fees-portal",
                            "title": "Fee portal online",
                            "due_on": f"{start}-09-30",
                            "deliverable": "Public fee portal",
                        },
                    ],
                    "indicators": [
                        {
                            "key": f"{prefix}-fees-published",
                            "name": "Share of fees published",
                            "unit": "%",
                            "direction": "higher_is_better",
                            "baseline_value": 20,
                            "baseline_on": f"{start - 1}-12-31",
                            "targets": [
                                {"by": f"{start + 1}-12-31", "value": 60},
                                {"by": f"{end}-12-31", "value": 100},
                            ],
                            "source": "Audit of the published tariff against the fee schedule",
                        }
                    ],
                },
                {
                    "key": f"{prefix}-clearance",
                    "title": "Cut the time to clear an import declaration",
                    "factors": ["automation", "reform_and_modernization"],
                    "uncac": ["art7"],
                    "responsible_unit": "Operations",
                    "starts_on": f"{start}-01-01",
                    "ends_on": f"{end}-12-31",
                    "indicators": [
                        {
                            "key": f"{prefix}-clearance-hours",
                            "name": "Median clearance time",
                            "unit": "hours",
                            "direction": "lower_is_better",
                            "baseline_value": 72,
                            "baseline_on": f"{start - 1}-12-31",
                            "targets": [{"by": f"{end}-12-31", "value": 24}],
                            "source": "Time Release Study",
                        }
                    ],
                },
                {
                    "key": f"{prefix}-conduct",
                    "title": "Code of conduct for every officer",
                    "factors": ["code_of_conduct", "human_resource_management"],
                    "uncac": ["art8"],
                    "responsible_unit": "Human Resources",
                    "starts_on": f"{start}-01-01",
                    "ends_on": f"{start + 1}-12-31",
                    "milestones": [
                        {
                            "key": f"{prefix}-conduct-adopted",
                            "title": "Code adopted",
                            "due_on": f"{start}-06-30",
                        },
                        {
                            "key": f"{prefix}-conduct-trained",
                            "title": "Every officer trained",
                            "due_on": f"{start + 1}-12-31",
                        },
                    ],
                },
            ]
        }
    )


@dataclass(frozen=True)
class _DemoAdministration:
    name: str
    country: str
    prefix: str
    # Per past year: fees published %, clearance hours, and which milestones were done.
    years: list[tuple[float | None, float | None, list[str]]]


ADMINISTRATIONS = [
    _DemoAdministration(
        "Customs Division, Ghana Revenue Authority",
        "GH",
        "gh",
        [(45, 60, ["gh-fees-portal", "gh-conduct-adopted"]), (62, 50, [])],
    ),
    _DemoAdministration(
        "Direction générale des Douanes de Côte d'Ivoire",
        "CI",
        "ci",
        [(30, 70, ["ci-conduct-adopted"]), (35, 71, [])],
    ),
]


def ensure_demo_programme(engine: Engine) -> int:
    """Create (once) the A-CIP programme and the demo plans; returns the programme's id."""
    with session_scope(engine) as session:
        existing = session.exec(select(Programme).where(Programme.slug == PROGRAMME_SLUG)).first()
        if existing is not None:
            return existing.id or 0
        programme = plans.create_programme(
            session,
            data=ProgrammeCreate(
                slug=PROGRAMME_SLUG,
                name="Anti-Corruption and Integrity Promotion (A-CIP) Programme",
                description="WCO programme for integrity in customs, on the Revised Arusha Declaration.",
                countries=COUNTRIES,
            ),
            actor=ACTOR,
        )
        officer = users.get_or_create_user(
            session,
            email="coordinator@demo.example",
            name="Demo Coordinator",
            role=Role.coordinator,
            actor=ACTOR,
        )
        reviewer = users.get_or_create_user(
            session, email="reviewer@demo.example", name="Demo Reviewer", role=Role.reviewer, actor=ACTOR
        )
        start = date.today().year - 2
        for administration in ADMINISTRATIONS:
            _seed_plan(session, programme, officer, reviewer, administration, start)
        for campaign in session.exec(select(Campaign).where(Campaign.region == "GH")).all():
            campaign.programme_id, campaign.country = programme.id, "GH"
            session.add(campaign)
        return programme.id or 0


def _seed_plan(
    session: Session,
    programme: Programme,
    officer: User,
    reviewer: User,
    administration: _DemoAdministration,
    start: int,
) -> ActionPlan:
    organisation = organisations.find_by_name(
        session, name=administration.name, country=administration.country, owner_id=officer.id
    ) or organisations.create(
        session,
        data=OrganisationCreate(
            name=administration.name,
            kind=OrganisationKind.customs_administration,
            country=administration.country,
        ),
        actor=ACTOR,
        owner_id=officer.id,
    )
    content = _plan(administration.prefix, start)
    plan = plans.create(
        session,
        programme=programme,
        organisation=organisation,
        data=ActionPlanBase(
            title=f"Integrity action plan {start}-{start + 3}",
            starts_on=date(start, 1, 1),
            ends_on=date(start + 3, 12, 31),
            visibility=Visibility.public,
        ),
        content=content,
        owner=officer,
        actor=ACTOR,
    )
    plans.submit(session, plan=plan, user=officer, actor=ACTOR)
    plans.approve(session, plan=plan, user=reviewer, actor=f"user:{reviewer.email}")
    prefix = administration.prefix
    for cycle, (fees, hours, _done) in enumerate(administration.years, start=1):
        year = start + cycle - 1
        year_end = date(year, 12, 31)
        report = PlanReport(
            plan_id=plan.id or 0,
            plan_version=plan.approved_version or 1,
            cycle=cycle,
            status=ReportStatus.accepted,
            period_start=date(year, 1, 1),
            period_end=year_end,
            due_at=datetime(year + 1, 1, 31, tzinfo=UTC),
            reporter_email=f"plans@{prefix}.customs.demo.example",
            submitted_at=datetime(year + 1, 1, 20, tzinfo=UTC),
            decided_at=datetime(year + 1, 1, 27, tzinfo=UTC),
            decided_by=reviewer.email,
        )
        session.add(report)
        session.flush()
        for key, value in ((f"{prefix}-fees-published", fees), (f"{prefix}-clearance-hours", hours)):
            session.add(
                IndicatorReading(
                    report_id=report.id or 0, indicator_key=key, value=value, measured_on=year_end
                )
            )
        done_so_far = {key for *_, keys in administration.years[:cycle] for key in keys}
        for _, milestone in content.milestones():
            if milestone.due_on <= year_end:
                state = MilestoneState.done if milestone.key in done_so_far else MilestoneState.pending
                session.add(
                    MilestoneUpdate(
                        report_id=report.id or 0,
                        milestone_key=milestone.key,
                        state=state,
                        completed_on=milestone.due_on if state is MilestoneState.done else None,
                    )
                )
    return plan
