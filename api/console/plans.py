"""Action plans in the console: the list, a plan's measures and indicator charts, submit and approve."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.responses import Response

from api.console.flash import flash
from api.console.plan_charts import indicator_chart
from api.console.signed_in import ConsoleDep, StaffDep, staff_form
from api.console.tables import download
from api.deps import RecordId, SessionDep
from models.action_plan import ActionPlan, PlanStatus
from models.organisation import Organisation
from models.programme import Programme
from models.user import Role, User
from pledgeflow.i18n import N_
from services.plans import exports, figures, plans

router = APIRouter(prefix="/console", include_in_schema=False)


def plan_figures(session: Session, plan: ActionPlan) -> figures.PlanFigures | None:
    programme = session.get(Programme, plan.programme_id)
    tolerance = programme.tolerance_percent if programme else 10
    return figures.for_plan(session, plan, tolerance_percent=tolerance)


def may_approve(user: User, plan: ActionPlan) -> bool:
    return (
        user.role in (Role.reviewer, Role.admin)
        and plan.owner_id != user.id
        and plan.status is PlanStatus.submitted
    )


@router.get("/plans")
def plan_list(request: Request, tools: ConsoleDep, session: SessionDep, staff: StaffDep) -> Response:
    """The plans this person may see, by country, with what their last reports say."""
    rows = []
    for plan in plans.list_for(session, user=staff.user):
        shown = plan_figures(session, plan)
        latest = [f.latest() for f in shown.indicators] if shown else []
        rows.append(
            {
                "plan": plan,
                "administration": session.get(Organisation, plan.organisation_id),
                "measures": len(shown.measures) if shown else 0,
                "implemented": sum(m.state.value == "implemented" for m in shown.measures) if shown else 0,
                "indicators": len(latest),
                "on_track": sum(p is not None and p.assessment.standing.value == "on_track" for p in latest),
            }
        )
    return tools.renderer.render(request, "console/plans/list.html", staff=staff, rows=rows)


@router.get("/plans/{plan_id}")
def plan_page(
    plan_id: RecordId, request: Request, tools: ConsoleDep, session: SessionDep, staff: StaffDep
) -> Response:
    """A plan: its measures and their state, each indicator's chart, its versions; submit and approve."""
    plan = plans.get_for(session, user=staff.user, plan_id=plan_id)
    shown = plan_figures(session, plan)
    return tools.renderer.render(
        request,
        "console/plans/plan.html",
        staff=staff,
        plan=plan,
        programme=session.get(Programme, plan.programme_id),
        administration=session.get(Organisation, plan.organisation_id),
        figures=shown,
        charts={f.indicator.key: indicator_chart(f) for f in shown.indicators} if shown else {},
        draft=plans.content(session, plan) if shown is None else None,
        versions=plans.versions(session, plan),
        may_submit=plans.may_edit(staff.user, plan) and plan.status is PlanStatus.draft,
        may_approve=may_approve(staff.user, plan),
        today=date.today(),
    )


@router.post("/plans/{plan_id}/submit")
async def submit_plan(
    plan_id: RecordId, request: Request, tools: ConsoleDep, session: SessionDep, staff: StaffDep
) -> Response:
    """Send the draft to a reviewer."""
    plan = plans.get_for(session, user=staff.user, plan_id=plan_id)
    await staff_form(request, tools, staff)
    plans.submit(session, plan=plan, user=staff.user, actor=staff.actor)
    return tools.renderer.redirect(
        f"/console/plans/{plan_id}", flash=flash(N_("The plan is sent for approval."))
    )


@router.post("/plans/{plan_id}/approve")
async def approve_plan(
    plan_id: RecordId, request: Request, tools: ConsoleDep, session: SessionDep, staff: StaffDep
) -> Response:
    """Approve the current version: from now on it is the one measured."""
    plan = plans.get_for(session, user=staff.user, plan_id=plan_id)
    await staff_form(request, tools, staff)
    plans.approve(session, plan=plan, user=staff.user, actor=staff.actor)
    return tools.renderer.redirect(
        f"/console/plans/{plan_id}",
        flash=flash(N_("Version %(version)s of the plan is approved."), version=plan.current_version),
    )


@router.get("/plans/{plan_id}/readings.{kind}")
def plan_readings(
    plan_id: RecordId, kind: Literal["csv", "xlsx"], session: SessionDep, staff: StaffDep
) -> Response:
    """The figures behind the plan's charts: every accepted reading with its path value and standing."""
    plan = plans.get_for(session, user=staff.user, plan_id=plan_id)
    shown = plan_figures(session, plan)
    rows = exports.reading_rows(shown) if shown else []
    return download(f"plan-{plan_id}-readings", exports.READINGS_HEADER, rows, as_xlsx=kind == "xlsx")
