"""Actions on a launched campaign, each behind a confirmation page: extend the deadline (with a
preview of the notice), remind now, reopen an expired invitation, cancel, close, open the next
review cycle. They go through the same workflow client calls as the API, with `staff.actor`, so
the workflow's history and the audit log name the person who acted."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from api.console.flash import flash, ngettext
from api.console.signed_in import ConsoleDep, Staff, StaffDep, staff_form
from api.deps import ContextDep, RecordId, SessionDep, campaign_for
from models.campaign import Campaign, CampaignStatus
from models.common import utcnow
from models.email_message import EmailKind
from models.invitation import Invitation, InvitationStatus
from models.labels import label
from pledgeflow.errors import Conflict, FieldProblem, InvalidInput, NotFound, PledgeflowError, not_found
from pledgeflow.i18n import N_
from pledgeflow.links import LinkSigner
from pledgeflow.mail.render import EmailRenderer, RenderedEmail
from services import campaign_progress, campaigns, invitations
from services.notifications.base import LinkContext, MailRef
from services.notifications.registry import compose
from workflows import client as workflow_client
from workflows.campaign_messages import EndCampaign, ExtendDeadline, RemindNow
from workflows.pledge_messages import ReopenRequest

router = APIRouter(prefix="/console/campaigns", include_in_schema=False)
LIVE = (CampaignStatus.launched, CampaignStatus.in_force)
TEMPLATES = "console/campaigns/actions/"
REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # as the API's RemindBody takes it


def _page_of(campaign_id: int) -> str:
    return f"/console/campaigns/{campaign_id}"


def _live_campaign(
    session: Session, staff: Staff, campaign_id: int, *, statuses: tuple[CampaignStatus, ...] = LIVE
) -> Campaign:
    """The campaign, if this person may write it and it is in one of `statuses` (Conflict otherwise)."""
    campaign = campaign_for(session, staff.user, campaign_id, write=True)
    if campaign.status not in statuses:
        raise Conflict(
            f"campaign {campaign_id} is {campaign.status.value}: this action is not open to it",
            errors=[FieldProblem("status", f"the campaign is {campaign.status.value}")],
        )
    return campaign


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _date(text: str) -> date:
    """A posted date, or InvalidInput naming the deadline field."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput.for_field("deadline", "enter a date as YYYY-MM-DD") from None


def _errors(exc: PledgeflowError) -> dict[str, str]:
    return {p.field: p.reason for p in exc.errors} or {"deadline": exc.detail}


def _invitation(session: Session, campaign_id: int, raw: str) -> Invitation:
    try:
        invitation = invitations.get_or_raise(session, int(raw))
    except ValueError:
        raise NotFound("no such invitation") from None
    if invitation.campaign_id != campaign_id:
        # As one that does not exist: another campaign's ids tell nothing.
        raise not_found("invitation", invitation.id or 0)
    return invitation


def _preview(session: Session, context: Any, campaign_id: int, deadline: date) -> RenderedEmail | None:
    """The deadline notice as the first open invitation would get it, by the real composer.

    Links are signed with a throwaway key: the preview shows the email, never a working link.
    """
    open_ids = campaign_progress.open_invitation_ids(session, campaign_id)
    if not open_ids:
        return None
    links = LinkContext(
        signer=LinkSigner(secrets.token_urlsafe(32)),
        base_url=context.settings.public_base_url,
        ttl=timedelta(days=1),
    )
    draft = compose(
        session,
        links,
        kind=EmailKind.deadline_extended.value,
        ref=MailRef(
            planned_at=utcnow(), invitation_id=open_ids[0], params={"deadline": deadline.isoformat()}
        ),
    )
    return EmailRenderer(context.settings.templates_dir, labels=label).render(
        draft.kind.value, draft.locale, draft.context
    )


# ---- extend the deadline -------------------------------------------------------------------------


@router.get("/{campaign_id}/actions/extend")
def extend_form(
    campaign_id: RecordId,
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    staff: StaffDep,
    context: ContextDep,
) -> Response:
    """Choose a new date; with one chosen, the notice as it will be sent and the choice to send it."""
    campaign = _live_campaign(session, staff, campaign_id, statuses=(CampaignStatus.launched,))
    raw = request.query_params.get("deadline", "")
    errors: dict[str, str] = {}
    preview = None
    if raw:
        try:
            deadline = _date(raw)
            campaigns.check_new_deadline(campaign, deadline)
            preview = _preview(session, context, campaign_id, deadline)
        except PledgeflowError as exc:
            errors = _errors(exc)
    return tools.renderer.render(
        request,
        TEMPLATES + "extend.html",
        staff=staff,
        status=422 if errors else 200,
        campaign=campaign,
        deadline=raw,
        errors=errors,
        chosen=bool(raw) and not errors,
        preview=preview,
        waiting=len(campaign_progress.open_invitation_ids(session, campaign_id)),
    )


@router.post("/{campaign_id}/actions/extend")
async def extend(
    campaign_id: RecordId,
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    staff: StaffDep,
    context: ContextDep,
) -> Response:
    """Move the deadline (the workflow tells those who have not answered, unless told not to)."""
    form = await staff_form(request, tools, staff)
    campaign = _live_campaign(session, staff, campaign_id, statuses=(CampaignStatus.launched,))
    raw = _field(form, "deadline")
    notify = _field(form, "notify") != "no"
    try:
        deadline = _date(raw)
        campaigns.check_new_deadline(campaign, deadline)
        session.close()
        await workflow_client.extend_campaign_deadline(
            await context.temporal(),
            campaign_id,
            ExtendDeadline(deadline=deadline.isoformat(), actor=staff.actor, notify=notify),
        )
    except (InvalidInput, Conflict) as exc:
        return tools.renderer.render(
            request,
            TEMPLATES + "extend.html",
            staff=staff,
            status=422,
            campaign=campaign,
            deadline=raw,
            errors=_errors(exc),
            chosen=False,
            preview=None,
            waiting=0,
        )
    told = (
        N_("The deadline is now %(deadline)s; those who have not answered are being told.")
        if notify
        else N_("The deadline is now %(deadline)s; no one was emailed.")
    )
    return tools.renderer.redirect(_page_of(campaign_id), flash=flash(told, deadline=deadline))


# ---- remind now ---------------------------------------------------------------------------------


@router.get("/{campaign_id}/actions/remind")
def remind_form(
    campaign_id: RecordId, request: Request, tools: ConsoleDep, session: SessionDep, staff: StaffDep
) -> Response:
    """Confirm a reminder to one invitation (?invitation=) or to all who have not answered."""
    campaign = _live_campaign(session, staff, campaign_id)
    raw = request.query_params.get("invitation", "")
    one = _invitation(session, campaign_id, raw) if raw else None
    rows = campaign_progress.invitation_rows(
        session, campaign, campaign_progress.InvitationFilter(status="sent")
    )
    chosen = [r for r in rows if one is None or r.id == one.id]
    return tools.renderer.render(
        request,
        TEMPLATES + "remind.html",
        staff=staff,
        campaign=campaign,
        invitation=one,
        rows=chosen,
        request_id=uuid.uuid4().hex,  # sent back with the form: a second click reminds no one twice
    )


@router.post("/{campaign_id}/actions/remind")
async def remind(
    campaign_id: RecordId,
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    staff: StaffDep,
    context: ContextDep,
) -> Response:
    """Send the reminders now; the request id stops a double click from reminding anyone twice."""
    form = await staff_form(request, tools, staff)
    _live_campaign(session, staff, campaign_id)
    raw = _field(form, "invitation")
    only = [_invitation(session, campaign_id, raw).id or 0] if raw else None
    request_id = _field(form, "request_id")
    if not REQUEST_ID.fullmatch(request_id):
        request_id = uuid.uuid4().hex
    session.close()
    result = await workflow_client.remind_now(
        await context.temporal(),
        campaign_id,
        RemindNow(actor=staff.actor, invitation_ids=only, request_id=request_id),
    )
    reminded = ngettext("Reminded %(num)s organisation.", "Reminded %(num)s organisations.", result.reminded)
    return tools.renderer.redirect(_page_of(campaign_id), flash=reminded)


# ---- reopen an expired invitation ---------------------------------------------------------------


@router.get("/{campaign_id}/actions/reopen")
def reopen_form(
    campaign_id: RecordId, request: Request, tools: ConsoleDep, session: SessionDep, staff: StaffDep
) -> Response:
    """Confirm reopening one expired invitation until a new date."""
    campaign = _live_campaign(session, staff, campaign_id)
    invitation = _invitation(session, campaign_id, request.query_params.get("invitation", ""))
    view = invitations.view(session, invitation.id or 0)
    return tools.renderer.render(
        request,
        TEMPLATES + "reopen.html",
        staff=staff,
        campaign=campaign,
        invitation=invitation,
        organisation=view.organisation.name,
        deadline="",
        errors={},
    )


@router.post("/{campaign_id}/actions/reopen")
async def reopen(
    campaign_id: RecordId,
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    staff: StaffDep,
    context: ContextDep,
) -> Response:
    """Reopen it: the contact gets a fresh link, open until the new date."""
    form = await staff_form(request, tools, staff)
    campaign = _live_campaign(session, staff, campaign_id)
    invitation = _invitation(session, campaign_id, _field(form, "invitation"))
    organisation = invitations.view(session, invitation.id or 0).organisation.name
    raw = _field(form, "deadline")
    zone = campaign.timezone
    try:
        deadline = _date(raw)
        campaigns.require_future_date(deadline, timezone=zone)
        if invitation.status is not InvitationStatus.expired:
            raise Conflict(
                "only an expired invitation reopens",
                errors=[FieldProblem("deadline", f"the invitation is {invitation.status.value}")],
            )
        session.close()
        await workflow_client.reopen(
            await context.temporal(),
            campaign_id,
            invitation.organisation_id,
            ReopenRequest(deadline=deadline.isoformat(), timezone=zone, actor=staff.actor),
        )
    except (InvalidInput, Conflict) as exc:
        return tools.renderer.render(
            request,
            TEMPLATES + "reopen.html",
            staff=staff,
            status=422,
            campaign=campaign,
            invitation=invitation,
            organisation=organisation,
            deadline=raw,
            errors=_errors(exc),
        )
    return tools.renderer.redirect(
        _page_of(campaign_id),
        flash=flash(
            N_("Reopened the invitation of %(organisation)s until %(deadline)s."),
            organisation=organisation,
            deadline=deadline,
        ),
    )


# ---- cancel, close, next review cycle ------------------------------------------------------------

ENDINGS = {
    "cancel": (
        N_("Cancel the campaign"),
        N_("Everyone invited is told the campaign was cancelled; open links stop working."),
    ),
    "close": (
        N_("Close the campaign"),
        N_("No more answers are taken; open links say the campaign is closed."),
    ),
}


@router.get("/{campaign_id}/actions/{ending}")
def end_form(
    campaign_id: RecordId,
    ending: str,
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    staff: StaffDep,
) -> Response:
    """Confirm cancelling or closing, with a reason passed on to those invited."""
    if ending == "review-cycle":
        campaign = _live_campaign(session, staff, campaign_id, statuses=(CampaignStatus.in_force,))
        return tools.renderer.render(request, TEMPLATES + "review_cycle.html", staff=staff, campaign=campaign)
    if ending not in ENDINGS:
        raise NotFound(f"no action {ending}")
    campaign = _live_campaign(session, staff, campaign_id)
    heading, consequence = ENDINGS[ending]
    return tools.renderer.render(
        request,
        TEMPLATES + "end.html",
        staff=staff,
        campaign=campaign,
        ending=ending,
        heading=heading,
        consequence=consequence,
    )


@router.post("/{campaign_id}/actions/{ending}")
async def end(
    campaign_id: RecordId,
    ending: str,
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    staff: StaffDep,
    context: ContextDep,
) -> Response:
    """Cancel, close, or open the next review cycle now."""
    form = await staff_form(request, tools, staff)
    if ending == "review-cycle":
        _live_campaign(session, staff, campaign_id, statuses=(CampaignStatus.in_force,))
        session.close()
        cycle = await workflow_client.open_next_review_cycle(
            await context.temporal(), campaign_id, staff.actor
        )
        return tools.renderer.redirect(
            _page_of(campaign_id), flash=flash(N_("Opened review cycle %(cycle)s."), cycle=cycle)
        )
    if ending not in ENDINGS:
        raise NotFound(f"no action {ending}")
    _live_campaign(session, staff, campaign_id)
    request_body = EndCampaign(actor=staff.actor, reason=_field(form, "reason")[:2000])
    session.close()
    client = await context.temporal()
    if ending == "cancel":
        await workflow_client.cancel_campaign(client, campaign_id, request_body)
        return tools.renderer.redirect(
            _page_of(campaign_id),
            flash=flash(N_("The campaign is cancelled; everyone invited is being told.")),
        )
    await workflow_client.close_campaign(client, campaign_id, request_body)
    return tools.renderer.redirect(_page_of(campaign_id), flash=flash(N_("The campaign is closed.")))
