"""Launch: the checklist, the invitation as each language's invitees will read it, and the launch
itself (the same service and workflow start as the API's), after a confirmation."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.console.flash import ngettext
from api.console.invitees import email_renderer
from api.console.signed_in import ConsoleDep, Staff, StaffDep, staff_form
from api.context import ApiContext
from api.deps import ContextDep, RecordId, SessionDep, campaign_for
from models.campaign import Campaign, CampaignStatus
from pledgeflow.errors import Conflict
from pledgeflow.i18n import load_catalogs
from services import campaign_launch, campaigns
from services.notifications.base import LinkContext
from workflows import client as workflow_client

router = APIRouter(prefix="/console/campaigns", include_in_schema=False)


def _links(context: ApiContext) -> LinkContext:
    settings = context.settings
    return LinkContext(
        signer=context.links, base_url=settings.public_base_url, ttl=timedelta(days=settings.link_ttl_days)
    )


def _render(
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    context: ApiContext,
    staff: Staff,
    campaign: Campaign,
    *,
    template: str = "console/campaigns/launch/page.html",
    problems: list[str] | None = None,
    status: int = 200,
    accepted: list[str] | None = None,
) -> Response:
    renderer = email_renderer(context.settings.templates_dir)
    checks = campaign_launch.checklist(session, campaign)
    catalogs = load_catalogs(context.settings.templates_dir)
    return tools.renderer.render(
        request,
        template,
        staff=staff,
        status=status,
        campaign=campaign,
        step="launch",
        checks=checks,
        ready=all(c.ok for c in checks),
        gaps=campaign_launch.language_gaps(
            campaign_launch.invitee_locales(session, campaign.id or 0), renderer
        ),
        previews=campaign_launch.previews(session, campaign, renderer=renderer, links=_links(context)),
        invited=campaigns.count_invitations(session, campaign.id or 0),
        can_launch=staff.can_write and campaign.status is CampaignStatus.draft,
        problems=problems or [],
        missing_texts=campaign_launch.missing_pledge_texts(session, campaign, catalogs)
        if campaign.status is CampaignStatus.draft
        else [],
        accepted=accepted or [],
    )


@router.get("/{campaign_id}/launch")
def launch_page(
    campaign_id: RecordId,
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    context: ContextDep,
    staff: StaffDep,
) -> Response:
    """What is ready, and the invitation in each language the invitees read."""
    campaign = campaign_for(session, staff.user, campaign_id)
    return _render(request, tools, session, context, staff, campaign)


@router.get("/{campaign_id}/launch/confirm")
def confirm_launch(
    campaign_id: RecordId,
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    context: ContextDep,
    staff: StaffDep,
) -> Response:
    """Ask before the invitations go out (they cannot be called back)."""
    campaign = campaign_for(session, staff.user, campaign_id, write=True)
    return _render(
        request, tools, session, context, staff, campaign, template="console/campaigns/launch/confirm.html"
    )


@router.post("/{campaign_id}/launch")
async def launch(
    campaign_id: RecordId,
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    context: ContextDep,
    staff: StaffDep,
) -> Response:
    """Freeze the pledge, start the campaign workflow, and go to the campaign's page.

    Languages without a pledge text need their box ticked ("send the original to those readers").
    """
    form = await staff_form(request, tools, staff)
    accepted = [v for v in form.getlist("accept_fallback") if isinstance(v, str)]
    campaign = campaign_for(session, staff.user, campaign_id, write=True)
    try:
        campaign_launch.require_pledge_texts(
            session,
            campaign=campaign,
            catalogs=load_catalogs(context.settings.templates_dir),
            accept_fallback=accepted,
            actor=staff.actor,
        )
        campaign = campaigns.mark_launched(session, campaign=campaign, actor=staff.actor)
    except Conflict as exc:
        session.rollback()
        problems = [f"{p.field}: {p.reason}" for p in exc.errors] or [exc.detail]
        return _render(
            request,
            tools,
            session,
            context,
            staff,
            campaign,
            template="console/campaigns/launch/confirm.html",
            problems=problems,
            status=409,
            accepted=accepted,
        )
    # As the API does: the launch is recorded before the workflow starts, so if Temporal is down
    # launching again starts it, with nothing lost.
    session.commit()
    await workflow_client.start_campaign(await context.temporal(), context.settings, campaign_id)
    invited = campaigns.count_invitations(session, campaign_id)
    return tools.renderer.redirect(
        f"/console/campaigns/{campaign_id}",
        flash=ngettext(
            "Launched: %(num)s invitation is on its way.",
            "Launched: %(num)s invitations are on their way.",
            invited,
        ),
    )
