"""The report form behind report links: fill in a self-assessment report, attach files, submit it.

As with signing, the link's signed token is the credential: `/r/{token}` names a report version.
The form works without JavaScript, posts multipart (files), and is protected against CSRF. Every
draft is saved before anything is checked, so a refused file or a missing status loses nothing
already typed. What the page shows and the checks behind it are in `services.reviews.pages`.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import FileResponse, HTMLResponse, Response

from api.context import ApiContext
from api.csrf import FIELD
from api.deps import ContextDep, ReadSessionDep, RecordId
from api.pages.tools import PageTools, ToolsDep, read_link
from models.campaign import CampaignStatus
from models.common import utcnow
from models.report import ReportStatus
from pledgeflow.db import session_scope
from pledgeflow.errors import Conflict, InvalidInput, NotFound, PledgeflowError, Unavailable
from pledgeflow.links import LinkClaims, LinkPurpose
from services.reviews import pages as report_pages
from services.reviews import reports
from services.reviews.pages import Entry, Problem, ReportPage, Submission, Upload
from workflows import client as workflow_client
from workflows.review_messages import ReportSubmitted, ReviewCycleView

router = APIRouter(tags=["pages"], include_in_schema=False)

MAX_FORM_FIELDS = 2000
MAX_FORM_FILES = 200


def storage(context: ApiContext) -> Path:
    """Where evidence files are kept."""
    return context.settings.data_dir / "evidence"


def text(form: FormData, name: str) -> str:
    """A text field of a form ('' when absent or a file)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def moments(page: ReportPage) -> dict[str, Any]:
    """The version's days and moments, shown in the reader's language and the campaign's zone."""
    report, zone = page.report, ZoneInfo(page.zone)
    return {
        "zone": zone,
        "period_start": report.period_start.astimezone(zone).date(),
        "period_end": (report.period_end - timedelta(seconds=1)).astimezone(zone).date(),
        "due_at": report.due_at,
        "submitted_at": report.submitted_at,
        "decided_at": report.decided_at,
    }


def coordinator(contact_suffix: str) -> str:
    """The coordinator's address out of the services' ' (coordinator@...)' suffix ('' when none)."""
    return contact_suffix.strip().removeprefix("(").removesuffix(")")


def _contact_locale(session: Session, report_id: int) -> str | None:
    """The language of the contact an (expired) report link was made for, if the report exists."""
    page = report_pages.load(session, report_id)
    return page.view.contact.locale if page else None


def open_report(
    token: str, purpose: LinkPurpose, session: Session, context: ApiContext, tools: PageTools
) -> tuple[LinkClaims, ReportPage] | Response:
    """The report behind a usable link, or the page that says why the link cannot be used."""
    # A review link is a reviewer's, not the contact's: its expiry page follows the reader's browser.
    locale_of = (lambda i: _contact_locale(session, i)) if purpose is LinkPurpose.report else None
    claims = read_link(tools, context, token, purpose, locale_of=locale_of)
    if isinstance(claims, Response):
        return claims
    page = report_pages.load(session, claims.subject_id)
    if page is None:
        return tools.pages.message(locale=None, status=404, key="report.unknown")
    return claims, page


def _report_page(
    request: Request,
    tools: PageTools,
    token: str,
    page: ReportPage,
    session: Session,
    *,
    entries: list[Entry] | None = None,
    status: int = 200,
    problems: list[Problem] | None = None,
    notice: str = "",
) -> HTMLResponse:
    cookie_value, csrf_value = tools.csrf.issue(request, token)
    template = page.settings.template
    response = tools.pages.render(
        "reviews/report.html",
        locale=page.view.contact.locale,
        country=page.view.organisation.country,
        status=status,
        token=token,
        csrf_field=FIELD,
        csrf_token=csrf_value,
        entries=entries if entries is not None else report_pages.entries(session, page),
        evidence_base=f"/r/{token}",
        problems=problems or [],
        notice=notice,
        statuses=report_pages.STATUSES,
        editable=page.report.status is ReportStatus.draft,
        max_file_mb=template.max_file_mb,
        accept=",".join(template.allowed_types),
        accepted_types=report_pages.type_names(template.allowed_types),
        **{**report_pages.shown(session, page), **moments(page)},
    )
    tools.csrf.set_cookie(response, cookie_value)
    return response


def _refused_page(
    request: Request,
    tools: PageTools,
    token: str,
    page: ReportPage,
    session: Session,
    refusal: InvalidInput,
    *,
    entries: list[Entry] | None = None,
) -> HTMLResponse:
    """The form again with what the records refused (nothing of this request was written)."""
    problems = [Problem("report.invalid", {"reason": refusal.detail})]
    return _report_page(request, tools, token, page, session, entries=entries, status=422, problems=problems)


def _closed_report_page(tools: PageTools, session: Session, page: ReportPage) -> HTMLResponse | None:
    """The page for a report that is no longer filled in through this link, or None."""
    report, locale, country = page.report, page.view.contact.locale, page.view.organisation.country
    if report.status is ReportStatus.sent_back:
        return tools.pages.message(
            locale=locale,
            country=country,
            zone=page.zone,
            status=410,
            key="report.superseded",
            version=report.version,
            latest=report_pages.newest_version(session, report),
            date=report.decided_at,
        )
    if report.status is ReportStatus.draft and page.view.campaign.status in (
        CampaignStatus.cancelled,
        CampaignStatus.closed,
    ):
        return tools.pages.message(
            locale=locale,
            country=country,
            status=410,
            key=f"link.{page.view.campaign.status.value}",
            campaign=page.view.campaign.title,
        )
    return None


@router.get("/r/{token}", response_class=HTMLResponse)
def report_form(
    token: str, request: Request, session: ReadSessionDep, context: ContextDep, tools: ToolsDep
) -> Response:
    """The report form (a draft), or the report read-only once submitted."""
    opened = open_report(token, LinkPurpose.report, session, context, tools)
    if isinstance(opened, Response):
        return opened
    _, page = opened
    return _closed_report_page(tools, session, page) or _report_page(request, tools, token, page, session)


# ---- saving and submitting --------------------------------------------------------------------


def _uploads(form: FormData, keys: list[str]) -> list[Upload]:
    """The files sent with the form, per commitment (a file input left empty is no file)."""
    return [
        Upload(
            number=number,
            key=key,
            filename=Path(upload.filename).name,
            declared_type=report_pages.declared_type(upload.content_type, upload.filename),
            size=upload.size if upload.size is not None else 0,
            file=upload.file,
        )
        for number, key in enumerate(keys, start=1)
        for upload in form.getlist(f"files.{key}")
        if isinstance(upload, UploadFile) and upload.filename
    ]


def _locked_page(tools: PageTools, page: ReportPage) -> HTMLResponse:
    report = page.report
    return tools.pages.message(
        locale=page.view.contact.locale,
        country=page.view.organisation.country,
        zone=page.zone,
        status=409,
        key="report.locked",
        version=report.version,
        date=report.submitted_at,
    )


def _save(
    request: Request, tools: PageTools, context: ApiContext, token: str, report_id: int, form: FormData
) -> Response | Submission:
    """Save the draft and the files in one transaction; a page to answer with, or a submission."""
    with session_scope(context.engine) as session:
        page = report_pages.load(session, report_id)
        if page is None:
            return tools.pages.message(locale=None, status=404, key="report.unknown")
        report, locale = page.report, page.view.contact.locale
        if text(form, "report_id") != str(report.id):
            return tools.pages.message(
                locale=locale,
                country=page.view.organisation.country,
                status=403,
                key="report.other_organisation",
            )
        closed = _closed_report_page(tools, session, page)
        if closed is not None:
            return closed
        actor = f"signatory:{page.view.contact.email}"
        submitting = text(form, "action") == "submit"
        if report.status is not ReportStatus.draft:
            if submitting and report.status is ReportStatus.submitted:
                # Perhaps the cycle was never told: the caller checks.
                return report_pages.submission(page, actor)
            return _locked_page(tools, page)
        keys = page.commitment_keys
        answers, typed_links, problems = report_pages.answers(form, keys)
        try:
            reports.save_draft(session, report=report, items=answers, actor=actor)
        except InvalidInput as exc:
            session.rollback()
            entries = report_pages.entries(session, page, typed_links=typed_links)
            return _refused_page(request, tools, token, page, session, exc, entries=entries)
        refused, status = report_pages.store_uploads(
            session, page=page, uploads=_uploads(form, keys), storage=storage(context), actor=actor
        )
        problems += refused
        entries = report_pages.entries(session, page, typed_links=typed_links)
        if problems:
            for problem in problems:
                entries[int(problem.values["number"]) - 1].problems.append(problem)
            return _report_page(
                request,
                tools,
                token,
                page,
                session,
                entries=entries,
                status=status if refused else 422,
                problems=problems,
            )
        if not submitting:
            return _report_page(request, tools, token, page, session, entries=entries, notice="report.saved")
        missing = report_pages.missing_statuses(entries)
        if missing:
            return _report_page(
                request, tools, token, page, session, entries=entries, status=422, problems=missing
            )
        return report_pages.submission(page, actor)


def _lock(
    request: Request, tools: PageTools, context: ApiContext, token: str, submission: Submission
) -> Response | Submission:
    """Submit (lock) the version in the records; the submission with its time, or a page."""
    with session_scope(context.engine) as session:
        page = report_pages.load(session, submission.report_id)
        assert page is not None
        try:
            report = reports.submit(session, report=page.report, at=utcnow(), actor=submission.actor)
        except InvalidInput as exc:
            session.rollback()
            return _refused_page(request, tools, token, page, session, exc)
        except Conflict:
            return _locked_page(tools, page)
        return submission.locked_at(report)


def _cycle_closed(tools: PageTools, submission: Submission, phase: str) -> HTMLResponse:
    return tools.pages.message(
        locale=submission.locale,
        zone=submission.zone,
        status=409,
        key="report.locked" if submission.locked else "report.cycle_closed",
        reason=phase,
        contact=coordinator(submission.contact),
        version=submission.version,
        date=submission.submitted_at,
    )


async def _tell_cycle(context: ApiContext, tools: PageTools, submission: Submission) -> HTMLResponse:
    """Hand the locked version to the review cycle, and say so."""
    try:
        await workflow_client.submit_report(
            await context.temporal(),
            submission.campaign_id,
            submission.organisation_id,
            submission.cycle,
            ReportSubmitted(
                report_id=submission.report_id,
                version=submission.version,
                on_time=submission.on_time,
                actor=submission.actor,
            ),
        )
    except Unavailable:
        return tools.pages.unavailable(locale=submission.locale, body_key="report.submit_pending_body")
    except PledgeflowError as exc:
        return tools.pages.message(
            locale=submission.locale,
            status=409,
            key="report.not_forwarded",
            reason=exc.detail,
            contact=coordinator(submission.contact),
        )
    return tools.pages.done(
        locale=submission.locale,
        zone=submission.zone,
        key="done.report_submitted_on_time" if submission.on_time else "done.report_submitted_late",
        organisation=submission.organisation_name,
        cycle=submission.cycle,
        version=submission.version,
        date=submission.submitted_at,
        due=submission.due_at,
    )


async def cycle_view(
    context: ApiContext, campaign_id: int, organisation_id: int, cycle: int
) -> ReviewCycleView:
    """Where the report's review cycle stands (NotFound when it is not running)."""
    return await workflow_client.review_cycle_view(
        await context.temporal(), campaign_id, organisation_id, cycle
    )


@router.post("/r/{token}", response_class=HTMLResponse)
async def save_report(token: str, request: Request, context: ContextDep, tools: ToolsDep) -> Response:
    """Save the draft and the files, then (with action=submit) submit the report for review.

    Nothing waits on Temporal while the database is held: the draft is committed first, the
    review cycle is asked whether it awaits this report, the version is locked in the records,
    and only then is the cycle told (the records are the source of truth).
    """
    claims = read_link(tools, context, token, LinkPurpose.report)
    if isinstance(claims, Response):
        return claims
    form = await request.form(max_files=MAX_FORM_FILES, max_fields=MAX_FORM_FIELDS)
    tools.pages.answer_in(text(form, "lang"), page=f"/r/{token}")
    if not tools.csrf.check(request, token, text(form, FIELD)):
        return tools.pages.message(locale=None, status=403, key="form.csrf")
    saved = await run_in_threadpool(_save, request, tools, context, token, claims.subject_id, form)
    if isinstance(saved, Response):
        return saved
    try:
        cycle = await cycle_view(context, saved.campaign_id, saved.organisation_id, saved.cycle)
    except Unavailable:
        body_key = "report.submit_pending_body" if saved.locked else "report.unavailable_body"
        return tools.pages.unavailable(locale=saved.locale, body_key=body_key)
    except NotFound:
        return _cycle_closed(tools, saved, "not_running")
    if cycle.phase != "awaiting_report" or cycle.report_id != saved.report_id:
        return _cycle_closed(tools, saved, cycle.phase)
    if not saved.locked:
        locked = await run_in_threadpool(_lock, request, tools, context, token, saved)
        if isinstance(locked, Response):
            return locked
        saved = locked
    return await _tell_cycle(context, tools, saved)


# ---- evidence files ---------------------------------------------------------------------------


def download(
    tools: PageTools, context: ApiContext, session: Session, report_id: int, evidence_id: int
) -> Response:
    """A file of this report as an attachment, or the page that says it is unknown."""
    found = report_pages.evidence_file(
        session, report_id=report_id, evidence_id=evidence_id, storage=storage(context)
    )
    if found is None:
        return tools.pages.message(locale=None, status=404, key="report.evidence_unknown")
    evidence, path = found
    return FileResponse(
        path,
        media_type=evidence.content_type,
        filename=evidence.filename,
        content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
    )


@router.get("/r/{token}/evidence/{evidence_id}")
def report_evidence(
    token: str, evidence_id: RecordId, session: ReadSessionDep, context: ContextDep, tools: ToolsDep
) -> Response:
    """Download a file of this report (and of no other)."""
    claims = read_link(tools, context, token, LinkPurpose.report)
    if isinstance(claims, Response):
        return claims
    return download(tools, context, session, claims.subject_id, evidence_id)
