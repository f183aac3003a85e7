"""Imports: organisations and contacts from a coordinator's spreadsheet (CSV or XLSX)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, UploadFile
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.context import ApiContext
from api.deps import MAX_RECORD_ID, ContextDep, SessionDep, UserDep, actor_of, campaign_for, require_writer
from api.responses import ERRORS_WRITE, Problem
from models.campaign import Campaign, CampaignStatus
from models.imports import ImportReport
from models.invitation import InviteeChoice
from models.user import User
from pledgeflow.errors import Conflict
from pledgeflow.i18n import load_catalogs
from services import campaigns, invitations
from services.imports import invitees, stakeholders
from services.imports.limits import MAX_COLUMNS, MAX_ROWS, MAX_UNCOMPRESSED_BYTES
from services.imports.spreadsheet import MAX_BYTES, check_size, read_sheet
from workflows import client as workflow_client
from workflows.campaign_messages import AddInvitees

router = APIRouter(prefix="/imports", tags=["imports"])


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {"application/problem+json": {}}}


ERRORS_IMPORT: dict[int | str, dict[str, Any]] = {
    **ERRORS_WRITE,
    409: _problem("Some rows are refused and accept_good_rows is false: nothing was applied"),
    413: _problem(
        f"The file is larger than {MAX_BYTES // 1024 // 1024} MB, a workbook unpacks to more than "
        f"{MAX_UNCOMPRESSED_BYTES // 1024 // 1024} MB, or a cell or line is longer than its limit "
        "(the problem names the limit and the value)"
    ),
    404: _problem("campaign_id names no campaign the caller can see"),
    415: _problem("Not a CSV or XLSX file"),
    422: _problem(
        "The file cannot be read (encoding, missing columns, no rows, unsafe XML), has more rows or "
        f"columns than accepted ({MAX_ROWS:,} rows, {MAX_COLUMNS} columns), or invalid parameters"
    ),
}


class RowNotInvited(BaseModel):
    row: int
    reason: str


class StakeholderImportReport(ImportReport):
    """The import's report and, with campaign_id, the invitations its accepted rows made."""

    campaign_id: int | None = None
    invitation_ids: list[int] = Field(default_factory=list, description="Invitations made in the campaign")
    not_invited: list[RowNotInvited] = Field(
        default_factory=list, description="Accepted rows that invite no one"
    )


async def invite(
    session: Session, context: ApiContext, *, campaign: Campaign, choices: list[InviteeChoice], user: User
) -> list[int]:
    """Invite these organisations (through the named contacts): a draft's wait for its launch,
    a running campaign's are signalled to its workflow and emailed at once. The new ids."""
    if not choices:
        return []
    if campaign.status is CampaignStatus.draft:
        created = campaigns.choose_invitees(
            session, campaign=campaign, choices=choices, actor=actor_of(user), by=user
        )
        return [i.id for i in created if i.id is not None]
    if campaign.status is not CampaignStatus.launched:
        raise Conflict(f"campaign {campaign.id} is {campaign.status}: no one can be invited any more")
    campaigns.check_invitees_in_directory(session, user=user, choices=choices)
    campaign_id = campaign.id or 0
    before = {i.id for i in invitations.list_for_campaign(session, campaign_id=campaign_id, limit=1_000_000)}
    session.commit()
    await workflow_client.add_invitees(
        await context.temporal(),
        campaign_id,
        AddInvitees(
            organisation_ids=[c.organisation_id for c in choices],
            contact_ids=[c.contact_id for c in choices],
            actor=actor_of(user),
        ),
    )
    session.expire_all()
    listed = invitations.list_for_campaign(session, campaign_id=campaign_id, limit=1_000_000)
    return [i.id for i in listed if i.id not in before]


@router.post("/stakeholders", response_model=StakeholderImportReport, responses=ERRORS_IMPORT)
async def import_stakeholders(
    file: UploadFile,
    session: SessionDep,
    user: UserDep,
    context: ContextDep,
    dry_run: bool = Query(True, description="Only report what would be created, updated or refused"),
    accept_good_rows: bool = Query(False, description="Apply the good rows even though some are refused"),
    campaign_id: int | None = Query(
        None,
        ge=1,
        le=MAX_RECORD_ID,
        description="Also invite each accepted row's organisation to this campaign, through its contact",
    ),
) -> StakeholderImportReport:
    """Import organisations and contacts into the caller's directory, one row each; a dry run by default.

    Columns: organisation, kind, country (required); external_ref, head_name, head_email,
    contact_name, contact_email, contact_title, locale, timezone, escalation_name,
    escalation_email. Importing the same file again changes nothing. A file with refused
    rows is applied only with accept_good_rows; otherwise the answer is 409 naming every
    refused cell as rows[<row number>].<column>, and nothing is written. A contact whose locale
    has no translation yet (e.g. 'ne') is accepted with a warning in rows[].warnings that names
    the language they will get instead (English); 'fr-CI' reads French and gets none.
    """
    require_writer(user)
    campaign = campaign_for(session, user, campaign_id, write=True) if campaign_id is not None else None
    # Starlette has spooled the upload to a temporary file; read no more than the limit of it.
    check_size(file.size or 0)
    content = file.file.read(MAX_BYTES + 1)
    file_name = file.filename or "upload"
    sheet = read_sheet(content, file_name)
    # The file is matched against, and written into, the caller's own directory only.
    # Rows whose contact's language has no catalog among this app's templates get a warning.
    catalogs = load_catalogs(context.settings.templates_dir)
    plan = stakeholders.plan(
        session, sheet, content=content, file_name=file_name, owner_id=user.id, catalogs=catalogs
    )
    invited: list[int] = []
    skipped: dict[int, str] = {}
    if not dry_run:
        stakeholders.apply(session, plan, actor=actor_of(user), accept_good_rows=accept_good_rows)
        if campaign is not None:
            chosen = invitees.invitees_of(session, campaign=campaign, import_plan=plan)
            skipped = chosen.skipped
            invited = await invite(session, context, campaign=campaign, choices=chosen.choices, user=user)
    answer = stakeholders.report(plan, dry_run=dry_run, accept_good_rows=accept_good_rows)
    return StakeholderImportReport(
        **answer.model_dump(),
        campaign_id=campaign_id,
        invitation_ids=invited,
        not_invited=[RowNotInvited(row=r, reason=why) for r, why in sorted(skipped.items())],
    )
