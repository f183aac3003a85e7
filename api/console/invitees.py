"""A campaign's invitees: the list, a spreadsheet's dry run and import (which also invites its
rows), another contact for an invitee, removing one, and adding more once it runs."""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from api.console.flash import flash, ngettext
from api.console.signed_in import ConsoleDep, Staff, StaffDep, staff_form
from api.context import ApiContext
from api.deps import ContextDep, RecordId, SessionDep, campaign_for
from api.imports import invite
from models.campaign import Campaign, CampaignStatus
from models.contact import ContactCreate
from models.invitation import InviteeChoice
from models.labels import label
from models.organisation import OrganisationKind
from pledgeflow.errors import Conflict, InvalidInput, PledgeflowError
from pledgeflow.i18n import N_
from pledgeflow.mail.render import EmailRenderer
from services import campaign_launch, campaigns, contacts, directory, invitations
from services.imports import invitees, stakeholders, uploads
from services.imports.spreadsheet import MAX_BYTES, read_sheet

router = APIRouter(prefix="/console/campaigns", include_in_schema=False)


@lru_cache(maxsize=4)
def email_renderer(templates_dir: Path) -> EmailRenderer:
    """One renderer per templates folder (it reads the catalogs once)."""
    return EmailRenderer(templates_dir, labels=label)


def _page_url(campaign_id: int) -> str:
    return f"/console/campaigns/{campaign_id}/invitees"


def _errors(exc: PledgeflowError, default_field: str) -> dict[str, str]:
    found = {p.field: p.reason for p in exc.errors} if exc.errors else {}
    return found or {default_field: exc.detail}


def _render_page(
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    context: ApiContext,
    staff: Staff,
    campaign: Campaign,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    campaign_id = campaign.id or 0
    listed = invitations.invitees_of(session, campaign_id=campaign_id)
    gaps = campaign_launch.language_gaps(
        campaign_launch.invitee_locales(session, campaign_id), email_renderer(context.settings.templates_dir)
    )
    running = campaign.status is CampaignStatus.launched
    addable = (
        invitations.not_yet_invited(session, campaign_id=campaign_id, owner_id=staff.user.id or 0)
        if staff.can_write and running
        else []
    )
    return tools.renderer.render(
        request,
        "console/campaigns/invitees/page.html",
        staff=staff,
        status=status,
        campaign=campaign,
        step="invitees",
        invitees=listed,
        gaps=gaps,
        addable=addable,
        editable=staff.can_write and campaign.status is CampaignStatus.draft,
        can_add=staff.can_write and campaign.status in (CampaignStatus.draft, CampaignStatus.launched),
        errors=errors or {},
        max_megabytes=MAX_BYTES // 1024 // 1024,
        kinds=[kind.value for kind in OrganisationKind],
    )


# A file to start from: the columns the import reads, and one row of each kind a campaign usually has.
TEMPLATE_ROWS = [
    ["organisation", "kind", "country", "contact_name", "contact_email", "contact_title", "locale"],
    [
        "Ghana Revenue Authority, Customs Division",
        "customs_administration",
        "GH",
        "Kofi Boateng",
        "kofi.boateng@gra.example",
        "Commissioner",
        "en",
    ],
    [
        "Association des commissionnaires en douane",
        "trade_association",
        "SN",
        "Awa Ndiaye",
        "awa.ndiaye@acd.example",
        "Présidente",
        "fr",
    ],
]


@router.get("/{campaign_id}/invitees/template.csv")
def invitees_template(campaign_id: RecordId, session: SessionDep, staff: StaffDep) -> Response:
    """A CSV with the import's columns and two example rows, to fill in a spreadsheet."""
    campaign_for(session, staff.user, campaign_id)
    out = io.StringIO()
    csv.writer(out).writerows(TEMPLATE_ROWS)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="pledgeflow-invitees.csv"'},
    )


@router.get("/{campaign_id}/invitees")
def invitees_page(
    campaign_id: RecordId,
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    context: ContextDep,
    staff: StaffDep,
) -> Response:
    """The campaign's invitees, the upload form, and (before launch) contact changes."""
    campaign = campaign_for(session, staff.user, campaign_id)
    return _render_page(request, tools, session, context, staff, campaign)


@router.post("/{campaign_id}/invitees/upload")
async def upload_spreadsheet(
    campaign_id: RecordId,
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    context: ContextDep,
    staff: StaffDep,
) -> Response:
    """The dry run: what the file would create, update or refuse; the file is kept for the import."""
    form = await staff_form(request, tools, staff)
    campaign = campaign_for(session, staff.user, campaign_id, write=True)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _render_page(
            request,
            tools,
            session,
            context,
            staff,
            campaign,
            errors={"file": "choose a CSV or XLSX file"},
            status=422,
        )
    content = await upload.read(MAX_BYTES + 1)
    file_name = upload.filename
    try:
        sheet = read_sheet(content, file_name)
        import_plan = stakeholders.plan(
            session, sheet, content=content, file_name=file_name, owner_id=staff.user.id
        )
    except PledgeflowError as exc:
        errors = {"file": "; ".join(_errors(exc, "file").values())}
        return _render_page(
            request, tools, session, context, staff, campaign, errors=errors, status=exc.status
        )
    upload_id = uploads.keep(
        context.settings.data_dir,
        content=content,
        file_name=file_name,
        campaign_id=campaign_id,
        user_id=staff.user.id or 0,
    )
    report = stakeholders.report(import_plan, dry_run=True, accept_good_rows=True)
    good = report.summary.rows.total - report.summary.rows.refused
    return tools.renderer.render(
        request,
        "console/campaigns/invitees/dry_run.html",
        staff=staff,
        campaign=campaign,
        step="invitees",
        report=report,
        good=good,
        upload_id=upload_id,
    )


@router.post("/{campaign_id}/invitees/import")
async def import_and_invite(
    campaign_id: RecordId,
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    context: ContextDep,
    staff: StaffDep,
) -> Response:
    """Import the kept file's good rows into the directory and invite each row's organisation."""
    form = await staff_form(request, tools, staff)
    campaign = campaign_for(session, staff.user, campaign_id, write=True)
    upload_id = str(form.get("upload_id") or "")
    data_dir = context.settings.data_dir
    kept = uploads.find(data_dir, upload_id, campaign_id=campaign_id, user_id=staff.user.id or 0)
    if kept is None:
        errors = {"file": "the uploaded file is no longer available; upload it again"}
        return _render_page(request, tools, session, context, staff, campaign, errors=errors, status=422)
    # Read and planned again from the server's copy: the directory may have changed since the dry run.
    sheet = read_sheet(kept.content, kept.file_name)
    import_plan = stakeholders.plan(
        session, sheet, content=kept.content, file_name=kept.file_name, owner_id=staff.user.id
    )
    try:
        stakeholders.apply(session, import_plan, actor=staff.actor, accept_good_rows=True)
        chosen = invitees.invitees_of(session, campaign=campaign, import_plan=import_plan)
        invited = await invite(session, context, campaign=campaign, choices=chosen.choices, user=staff.user)
    except (
        InvalidInput,
        Conflict,
    ) as exc:  # e.g. every row refused now, or an organisation without a contact
        session.rollback()
        reasons = [f"{p.field}: {p.reason}" for p in exc.errors] or [exc.detail]
        errors = {"file": "nothing was imported; " + "; ".join(reasons)}
        return _render_page(
            request, tools, session, context, staff, campaign, errors=errors, status=exc.status
        )
    session.commit()
    uploads.discard(data_dir, upload_id)
    imported = len(import_plan.rows) - len(import_plan.refused)
    message = ngettext("Imported %(num)s row.", "Imported %(num)s rows.", imported) + ngettext(
        "Invited %(num)s organisation.", "Invited %(num)s organisations.", len(invited)
    )
    if chosen.skipped:
        message += ngettext(
            "%(num)s row invited no one (already invited).",
            "%(num)s rows invited no one (already invited).",
            len(chosen.skipped),
        )
    return tools.renderer.redirect(_page_url(campaign_id), flash=message)


@router.post("/{campaign_id}/invitees/add")
async def add_from_directory(
    campaign_id: RecordId,
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    context: ContextDep,
    staff: StaffDep,
) -> Response:
    """Invite organisations of one's directory (through their first contact) to the campaign."""
    form = await staff_form(request, tools, staff)
    campaign = campaign_for(session, staff.user, campaign_id, write=True)
    ids = [int(v) for v in form.getlist("organisation_id") if isinstance(v, str) and v.isdigit()]
    if not ids:
        errors = {"organisation_id": "choose at least one organisation"}
        return _render_page(request, tools, session, context, staff, campaign, errors=errors, status=422)
    choices = [InviteeChoice(organisation_id=i) for i in ids]
    try:
        invited = await invite(session, context, campaign=campaign, choices=choices, user=staff.user)
    except InvalidInput as exc:
        session.rollback()
        errors = {"organisation_id": "; ".join(p.reason for p in exc.errors) or exc.detail}
        return _render_page(request, tools, session, context, staff, campaign, errors=errors, status=422)
    session.commit()
    return tools.renderer.redirect(
        _page_url(campaign_id),
        flash=ngettext("Invited %(num)s organisation.", "Invited %(num)s organisations.", len(invited)),
    )


@router.post("/{campaign_id}/invitees/{invitation_id}/contact")
async def change_contact(
    campaign_id: RecordId,
    invitation_id: RecordId,
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    context: ContextDep,
    staff: StaffDep,
) -> Response:
    """Write to another contact of the organisation, or to a new one (before launch)."""
    form = await staff_form(request, tools, staff)
    campaign = campaign_for(session, staff.user, campaign_id, write=True)
    invitation = campaigns.draft_invitation(session, campaign=campaign, invitation_id=invitation_id)
    prefix = f"invitation-{invitation_id}-"
    chosen = str(form.get("contact_id") or "")
    try:
        if chosen == "new":
            # A new contact goes into the organisation's directory: only its owner adds one there
            # (a co-coordinator of the campaign may pick among its contacts, not write to it).
            directory.organisation_for(session, staff.user, invitation.organisation_id, write=True)
            contact = contacts.create(
                session,
                data=ContactCreate.model_validate(
                    {
                        "organisation_id": invitation.organisation_id,
                        "name": str(form.get("name") or "").strip(),
                        "email": str(form.get("email") or "").strip(),
                        "title": str(form.get("title") or "").strip() or None,
                        "locale": str(form.get("locale") or "en").strip() or "en",
                    }
                ),
                actor=staff.actor,
            )
            contact_id = contact.id or 0
        elif chosen.isdigit():
            contact_id = int(chosen)
        else:
            raise InvalidInput.for_field("contact_id", "choose a contact")
        campaigns.change_invitee_contact(
            session, campaign=campaign, invitation_id=invitation_id, contact_id=contact_id, actor=staff.actor
        )
    except PledgeflowError as exc:
        session.rollback()
        errors = {prefix + k: v for k, v in _errors(exc, "contact_id").items()}
        return _render_page(request, tools, session, context, staff, campaign, errors=errors, status=422)
    except ValueError as exc:  # the new contact's fields, as pydantic words it
        session.rollback()
        errors = {prefix + _field_of(exc): _reason_of(exc)}
        return _render_page(request, tools, session, context, staff, campaign, errors=errors, status=422)
    session.commit()
    return tools.renderer.redirect(
        _page_url(campaign_id), flash=flash(N_("The invitee's contact was changed."))
    )


def _field_of(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        found = errors()
        if found and found[0].get("loc"):
            return str(found[0]["loc"][0])
    return "contact_id"


def _reason_of(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        found = errors()
        if found:
            return str(found[0].get("msg", "invalid")).removeprefix("Value error, ")
    return str(exc)


@router.get("/{campaign_id}/invitees/{invitation_id}/remove")
def confirm_removal(
    campaign_id: RecordId,
    invitation_id: RecordId,
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    staff: StaffDep,
) -> Response:
    """Ask before taking an organisation off the invitees."""
    campaign = campaign_for(session, staff.user, campaign_id, write=True)
    invitation = campaigns.draft_invitation(session, campaign=campaign, invitation_id=invitation_id)
    shown = invitations.list_for_campaign(session, campaign_id=campaign_id, only_ids=[invitation.id or 0])[0]
    return tools.renderer.render(
        request,
        "console/campaigns/invitees/remove.html",
        staff=staff,
        campaign=campaign,
        step="invitees",
        invitation=shown,
    )


@router.post("/{campaign_id}/invitees/{invitation_id}/remove")
async def remove(
    campaign_id: RecordId,
    invitation_id: RecordId,
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    staff: StaffDep,
) -> Response:
    """Take the organisation off the invitees (before launch)."""
    await staff_form(request, tools, staff)
    campaign = campaign_for(session, staff.user, campaign_id, write=True)
    campaigns.remove_invitee(session, campaign=campaign, invitation_id=invitation_id, actor=staff.actor)
    session.commit()
    return tools.renderer.redirect(_page_url(campaign_id), flash=flash(N_("The invitee was removed.")))
