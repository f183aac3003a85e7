"""Who a campaign is shared with: its owner (or an admin) adds co-coordinators by email."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlmodel import Session
from starlette.responses import Response

from api.campaign_shares import ShareCreate
from api.console.campaign_form_fields import errors_by_field, text, validation_problems
from api.console.flash import flash
from api.console.signed_in import ConsoleDep, ConsoleTools, Staff, StaffDep, staff_form
from api.deps import RecordId, SessionDep, campaign_for
from models.campaign import Campaign
from pledgeflow.errors import InvalidInput
from pledgeflow.i18n import N_
from services import shares

router = APIRouter(prefix="/console", include_in_schema=False)


def _page(
    request: Request,
    tools: ConsoleTools,
    session: Session,
    staff: Staff,
    campaign: Campaign,
    email: str = "",
    errors: dict[str, str] | None = None,
) -> Response:
    return tools.renderer.render(
        request,
        "console/campaigns/sharing.html",
        staff=staff,
        status=422 if errors else 200,
        campaign=campaign,
        shares=shares.list_for(session, campaign=campaign),
        may_share=shares.can_share(staff.user, campaign),
        email=email,
        errors=errors or {},
    )


def _url(campaign_id: int) -> str:
    return f"/console/campaigns/{campaign_id}/sharing"


@router.get("/campaigns/{campaign_id}/sharing")
def sharing_page(
    campaign_id: RecordId, request: Request, tools: ConsoleDep, session: SessionDep, staff: StaffDep
) -> Response:
    """The co-coordinators, and (for the owner or an admin) the forms to add and remove them."""
    campaign = campaign_for(session, staff.user, campaign_id, write=True)
    return _page(request, tools, session, staff, campaign)


@router.post("/campaigns/{campaign_id}/sharing")
async def add_share(
    campaign_id: RecordId, request: Request, tools: ConsoleDep, session: SessionDep, staff: StaffDep
) -> Response:
    """Share the campaign with an active coordinator or admin."""
    campaign = campaign_for(session, staff.user, campaign_id, write=True)
    form = await staff_form(request, tools, staff)
    email = text(form, "email")
    try:
        data = ShareCreate.model_validate({"email": email})
        _, user = shares.add(session, campaign=campaign, by=staff.user, email=data.email, actor=staff.actor)
    except ValidationError as exc:
        return _page(
            request,
            tools,
            session,
            staff,
            campaign,
            email,
            errors_by_field(validation_problems(exc), {"email"}),
        )
    except InvalidInput as exc:
        session.rollback()
        return _page(request, tools, session, staff, campaign, email, errors_by_field(exc.errors, {"email"}))
    return tools.renderer.redirect(
        _url(campaign_id),
        flash=flash(N_("Shared with %(name)s (%(email)s)."), name=user.name, email=user.email),
    )


@router.post("/campaigns/{campaign_id}/sharing/{user_id}/remove")
async def remove_share(
    campaign_id: RecordId,
    user_id: RecordId,
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    staff: StaffDep,
) -> Response:
    """Stop sharing the campaign with one person."""
    campaign = campaign_for(session, staff.user, campaign_id, write=True)
    await staff_form(request, tools, staff)
    shares.remove(session, campaign=campaign, by=staff.user, user_id=user_id, actor=staff.actor)
    return tools.renderer.redirect(_url(campaign_id), flash=flash(N_("No longer shared with that person.")))
