"""The new-campaign form: a details page that makes the draft, then one page per set-up step.

Every step is a plain form (POST, then 303): "Save" stays on the step, "Save and continue" goes
to the next one, and the add/remove buttons of repeated rows re-render the page without saving,
so the form works without JavaScript. Only drafts are edited here.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.responses import Response

from api.console.campaign_form_fields import Values, errors_by_field, known_fields
from api.console.campaign_form_groups import GroupsStep
from api.console.campaign_form_settings import ChasingStep, ReviewsStep
from api.console.campaign_form_steps import DetailsStep, FormError, PledgeStep, Step
from api.console.flash import flash
from api.console.signed_in import ConsoleDep, ConsoleTools, Staff, StaffDep, staff_form
from api.deps import RecordId, SessionDep, campaign_for, require_writer
from models.campaign import Campaign, CampaignStatus
from pledgeflow.errors import NotFound
from pledgeflow.i18n import N_

router = APIRouter(prefix="/console", include_in_schema=False)

DETAILS = DetailsStep()
STEPS: dict[str, Step] = {
    s.key: s for s in (DETAILS, PledgeStep(), GroupsStep(), ChasingStep(), ReviewsStep())
}
ORDER = list(STEPS)


def step_url(campaign_id: int, key: str) -> str:
    return f"/console/campaigns/{campaign_id}/edit/{key}"


def next_url(campaign_id: int, key: str) -> str:
    """The step after this one; after reviews come the invitees (their own pages)."""
    index = ORDER.index(key)
    if index + 1 < len(ORDER):
        return step_url(campaign_id, ORDER[index + 1])
    return f"/console/campaigns/{campaign_id}/invitees"


def _page(
    request: Request,
    tools: ConsoleTools,
    session: Session,
    staff: Staff,
    step: Step,
    campaign: Campaign | None,
    values: Values,
    errors: dict[str, str] | None = None,
) -> Response:
    return tools.renderer.render(
        request,
        step.template,
        staff=staff,
        status=422 if errors else 200,
        campaign=campaign,
        step=step.key,
        values=values,
        errors=errors or {},
        action=step_url(campaign.id or 0, step.key) if campaign else "/console/campaigns/new",
        **step.extras(session, staff.user, campaign, values),
    )


def _refused(session: Session, values: Values, exc: FormError) -> dict[str, str]:
    session.rollback()  # nothing of a refused step is kept
    return errors_by_field(exc.problems, known_fields(values, ("form",)))


def _draft(session: Session, staff: Staff, campaign_id: int, key: str) -> tuple[Campaign, Step]:
    """The campaign to edit (this person may write it) and the step; NotFound for an unknown step."""
    campaign = campaign_for(session, staff.user, campaign_id, write=True)
    step = STEPS.get(key)
    if step is None:
        raise NotFound(f"there is no set-up step '{key}'")
    return campaign, step


def _not_draft(tools: ConsoleTools, campaign: Campaign) -> Response | None:
    if campaign.status is CampaignStatus.draft:
        return None
    return tools.renderer.redirect(
        f"/console/campaigns/{campaign.id}",
        flash=flash(
            N_("This campaign is %(status)s: its set-up can no longer change."),
            status=campaign.status.value.replace("_", " "),
        ),
    )


@router.get("/campaigns/new")
def new_campaign(request: Request, tools: ConsoleDep, session: SessionDep, staff: StaffDep) -> Response:
    """The details form of a campaign still to be made."""
    require_writer(staff.user)
    values: dict[str, Any] = {name: "" for name in DETAILS.FIELDS}
    values.update(region="GH", visibility="private", coordinator_email=staff.user.email)
    return _page(request, tools, session, staff, DETAILS, None, values)


@router.post("/campaigns/new")
async def create_campaign(
    request: Request, tools: ConsoleDep, session: SessionDep, staff: StaffDep
) -> Response:
    """Make the draft, owned by the signed-in person, and go on to its pledge."""
    require_writer(staff.user)
    form = await staff_form(request, tools, staff)
    values = DETAILS.read(form)
    try:
        campaign = DETAILS.create(session, values, staff.user, staff.actor)
    except FormError as exc:
        return _page(request, tools, session, staff, DETAILS, None, values, _refused(session, values, exc))
    return tools.renderer.redirect(
        step_url(campaign.id or 0, "pledge"), flash=flash(N_("Draft “%(title)s” made."), title=campaign.title)
    )


@router.get("/campaigns/{campaign_id}/edit/{key}")
def edit_step(
    campaign_id: RecordId, key: str, request: Request, tools: ConsoleDep, session: SessionDep, staff: StaffDep
) -> Response:
    """One step, filled from the draft."""
    campaign, step = _draft(session, staff, campaign_id, key)
    if (moved := _not_draft(tools, campaign)) is not None:
        return moved
    return _page(request, tools, session, staff, step, campaign, step.load(session, campaign))


@router.post("/campaigns/{campaign_id}/edit/{key}")
async def save_step(
    campaign_id: RecordId, key: str, request: Request, tools: ConsoleDep, session: SessionDep, staff: StaffDep
) -> Response:
    """Save the step ("save": stay; "continue": the next step), or add or remove a row."""
    campaign, step = _draft(session, staff, campaign_id, key)
    form = await staff_form(request, tools, staff)
    if (moved := _not_draft(tools, campaign)) is not None:
        return moved
    values = step.read(form)
    action = str(form.get("action") or "save")
    edited = step.edit(values, action)
    if edited is not None:
        return _page(request, tools, session, staff, step, campaign, edited)
    try:
        step.save(session, campaign, values, staff.actor)
    except FormError as exc:
        return _page(request, tools, session, staff, step, campaign, values, _refused(session, values, exc))
    if action == "continue":
        return tools.renderer.redirect(next_url(campaign_id, key), flash=flash(N_("Saved.")))
    return tools.renderer.redirect(step_url(campaign_id, key), flash=flash(N_("Saved.")))
