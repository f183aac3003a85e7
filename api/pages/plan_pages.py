"""A public action plan page (UNCAC art. 10): what an administration committed to and achieved."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import HTMLResponse

from api.deps import ContextDep, SessionDep
from api.pages.tools import ToolsDep
from models.organisation import Organisation
from models.programme import Programme
from pledgeflow.errors import NotFound
from services.plans import plans, publication

router = APIRouter(prefix="/action-plans", tags=["public action plans"])


@router.get("/{plan_key}", response_class=HTMLResponse, include_in_schema=False)
def public_plan(plan_key: str, session: SessionDep, context: ContextDep, tools: ToolsDep) -> HTMLResponse:
    """The approved version of a public or unlisted plan, with its measured progress (`?lang=`)."""
    try:
        plan = publication.by_key(session, context.settings.secret_key, plan_key)
    except NotFound:
        return tools.pages.message(locale=None, status=404, key="plan.unknown")
    return tools.pages.render(
        "plans_public/plan.html",
        locale=None,
        plan=plan,
        version=plans.version(session, plan, plan.approved_version),
        figures=publication.figures_of(session, plan),
        administration=session.get(Organisation, plan.organisation_id),
        programme=session.get(Programme, plan.programme_id),
    )
