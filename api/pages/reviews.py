"""The pages behind report and review links: fill in a self-assessment report, review it.

As with signing, the link's signed token is the credential: `/r/{token}` names a report version
(the signatory's form), `/rv/{token}` a report version and one reviewer. The forms work without
JavaScript, post multipart (files), and are protected against CSRF. Every draft is saved before
anything is checked, so a refused file or a missing status loses nothing already typed.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import FileResponse, HTMLResponse, Response

from api.context import ApiContext
from api.csrf import FIELD
from api.deps import ContextDep, ReadSessionDep, RecordId
from api.pages.signing import PageTools, ToolsDep
from models.arusha import ArushaFactor
from models.campaign import CampaignStatus
from models.common import utcnow
from models.report import Evidence, ItemStatus, Report, ReportItem, ReportStatus
from models.review import ReviewSettings
from pledgeflow.db import read_only, session_scope
from pledgeflow.errors import Conflict, Forbidden, InvalidInput, NotFound, PledgeflowError, Unavailable
from pledgeflow.links import ExpiredLink, LinkClaims, LinkError, LinkPurpose
from services import invitations
from services.invitations import InvitationView
from services.notifications import COORDINATOR_LOCALE
from services.notifications.reviews import local_day, local_time
from services.reviews import reports
from services.reviews.reports import EvidenceRefused, EvidenceTypeRefused, ItemInput
from workflows import client as workflow_client
from workflows.client import run_query, run_update
from workflows.review import ReviewCycleWorkflow
from workflows.review_messages import ReportDecided, ReportSubmitted, ReviewCycleView

router = APIRouter(tags=["pages"], include_in_schema=False)

STATUSES = [s.value for s in ItemStatus]
MAX_FORM_FIELDS = 2000
MAX_FORM_FILES = 200


@dataclass
class Problem:
    """One thing to correct, as a catalog key and its values (the page translates it)."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Entry:
    """One commitment on the report page: the pledge's text and what the signatory answered."""

    number: int
    key: str
    text: str
    factors: list[ArushaFactor]
    prompt: str
    status: str
    narrative: str
    links: str
    evidence: list[Evidence]
    comment: str | None = None  # the reviewer's, on the previous version (or on this one, decided)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class ReportPage:
    """A report version with everything its pages show."""

    report: Report
    view: InvitationView
    settings: ReviewSettings

    @property
    def zone(self) -> str:
        return self.view.campaign.timezone


def _storage(context: ApiContext) -> Path:
    return context.settings.data_dir / "evidence"


def _link_problem(
    tools: PageTools, token: str, context: ApiContext, purpose: LinkPurpose
) -> LinkClaims | Response:
    try:
        return context.links.read(token, purpose)
    except ExpiredLink as exc:
        return tools.pages.message(
            locale=None,
            status=410,
            key="link.expired",
            date=exc.expired_at.strftime("%Y-%m-%d %H:%M UTC"),
            contact="",
        )
    except LinkError:
        return tools.pages.message(locale=None, status=400, key="link.tampered")


def _load(session: Session, report_id: int) -> ReportPage | None:
    report = session.get(Report, report_id)
    if report is None:
        return None
    view = invitations.view(session, report.invitation_id)
    return ReportPage(report=report, view=view, settings=reports.settings_of(view.campaign))


def _open(
    token: str, purpose: LinkPurpose, session: Session, context: ApiContext, tools: PageTools
) -> tuple[LinkClaims, ReportPage] | Response:
    """The report behind a usable link, or the page that says why the link cannot be used."""
    claims = _link_problem(tools, token, context, purpose)
    if isinstance(claims, Response):
        return claims
    page = _load(session, claims.subject_id)
    if page is None:
        return tools.pages.message(locale=None, status=404, key="report.unknown")
    return claims, page


def _contact_suffix(page: ReportPage) -> str:
    email = page.view.campaign.coordinator_email
    return f" ({email})" if email else ""


def _previous(session: Session, report: Report) -> Report | None:
    if report.version <= 1:
        return None
    return session.exec(
        select(Report).where(
            Report.campaign_id == report.campaign_id,
            Report.organisation_id == report.organisation_id,
            Report.cycle == report.cycle,
            Report.version == report.version - 1,
        )
    ).first()


def _evidence(session: Session, report_id: int) -> list[Evidence]:
    return list(
        session.exec(select(Evidence).where(Evidence.report_id == report_id).order_by(col(Evidence.id)))
    )


def _entries(
    session: Session, page: ReportPage, *, typed_links: Mapping[str, str] | None = None
) -> list[Entry]:
    """The commitments with the saved answers (and the links as typed, when some were refused)."""
    report = page.report
    items = {item.commitment_key: item for item in reports.items_of(session, report.id or 0)}
    previous = _previous(session, report)
    earlier: dict[str, ReportItem] = (
        {item.commitment_key: item for item in reports.items_of(session, previous.id or 0)}
        if previous
        else {}
    )
    evidence = _evidence(session, report.id or 0)
    prompts = page.settings.template.prompts
    entries = []
    for number, commitment in enumerate(page.view.pledge.commitment_models(), start=1):
        item = items.get(commitment.key)
        status = item.status if item else None
        narrative = item.narrative if item else ""
        links = (typed_links or {}).get(commitment.key, item.links if item else "")
        comment = (
            item.reviewer_comment
            if item is not None and report.status in (ReportStatus.accepted, ReportStatus.sent_back)
            else (earlier[commitment.key].reviewer_comment if commitment.key in earlier else None)
        )
        entries.append(
            Entry(
                number=number,
                key=commitment.key,
                text=commitment.text,
                factors=commitment.factors,
                prompt=prompts.get(commitment.key, ""),
                status=status.value if status is not None else "",
                narrative=narrative,
                links=links,
                evidence=[e for e in evidence if e.commitment_key == commitment.key],
                comment=comment,
            )
        )
    return entries


def _size(value: int) -> str:
    if value >= 1024 * 1024:
        return f"{value / 1048576:.1f} MB"
    if value >= 1024:
        return f"{value / 1024:.0f} KB"
    return f"{value} B"


def _type_names(types: list[str]) -> str:
    names = []
    for media_type in types:
        extension = mimetypes.guess_extension(media_type) or media_type
        names.append(extension.lstrip(".").upper())
    return ", ".join(dict.fromkeys(names))


def _common(page: ReportPage, session: Session) -> dict[str, Any]:
    report, zone = page.report, page.zone
    previous = _previous(session, report)
    return {
        "report": report,
        "organisation": page.view.organisation,
        "campaign": page.view.campaign,
        "contact": page.view.contact,
        "pledge_title": page.view.pledge.title,
        "introduction": page.settings.template.introduction,
        "period_start": local_day(report.period_start, zone),
        "period_end": local_day(report.period_end - timedelta(seconds=1), zone),
        "due_at": local_time(report.due_at, zone),
        "overdue": report.status is ReportStatus.draft and utcnow() > report.due_at,
        "submitted_at": local_time(report.submitted_at, zone),
        "decided_at": local_time(report.decided_at, zone),
        "previous": previous,
        "size": _size,
    }


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
        "report.html",
        locale=request.query_params.get("lang") or page.view.contact.locale,
        status=status,
        token=token,
        csrf_field=FIELD,
        csrf_token=csrf_value,
        entries=entries if entries is not None else _entries(session, page),
        evidence_base=f"/r/{token}",
        problems=problems or [],
        notice=notice,
        statuses=STATUSES,
        editable=page.report.status is ReportStatus.draft,
        max_file_mb=template.max_file_mb,
        accept=",".join(template.allowed_types),
        accepted_types=_type_names(template.allowed_types),
        **_common(page, session),
    )
    tools.csrf.set_cookie(response, cookie_value)
    return response


def _closed_report_page(tools: PageTools, session: Session, page: ReportPage) -> HTMLResponse | None:
    """The page for a report that is no longer filled in through this link, or None."""
    report, locale = page.report, page.view.contact.locale
    if report.status is ReportStatus.sent_back:
        newest = reports.latest(
            session,
            campaign_id=report.campaign_id,
            organisation_id=report.organisation_id,
            cycle=report.cycle,
        )
        return tools.pages.message(
            locale=locale,
            status=410,
            key="report.superseded",
            version=report.version,
            latest=newest.version if newest else report.version + 1,
            date=local_time(report.decided_at, page.zone),
        )
    if report.status is ReportStatus.draft and page.view.campaign.status in (
        CampaignStatus.cancelled,
        CampaignStatus.closed,
    ):
        return tools.pages.message(
            locale=locale,
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
    opened = _open(token, LinkPurpose.report, session, context, tools)
    if isinstance(opened, Response):
        return opened
    _, page = opened
    return _closed_report_page(tools, session, page) or _report_page(request, tools, token, page, session)


# ---- saving and submitting --------------------------------------------------------------------


def _answers(form: FormData, keys: list[str]) -> tuple[dict[str, ItemInput], dict[str, str], list[Problem]]:
    """What the form says per commitment: valid answers, the links as typed, and bad links."""
    answers: dict[str, ItemInput] = {}
    typed: dict[str, str] = {}
    problems: list[Problem] = []
    for number, key in enumerate(keys, start=1):
        if f"narrative.{key}" not in form and f"status.{key}" not in form and f"links.{key}" not in form:
            continue  # not on this form: leave the saved answer alone
        raw_status = _text(form, f"status.{key}")
        lines = [line.strip() for line in _text(form, f"links.{key}").splitlines() if line.strip()]
        good = [line for line in lines if line.startswith(("http://", "https://"))]
        problems += [
            Problem("report.bad_link", {"number": number, "link": line}) for line in lines if line not in good
        ]
        answers[key] = ItemInput(
            status=ItemStatus(raw_status) if raw_status in STATUSES else None,
            narrative=_text(form, f"narrative.{key}"),
            links=good,
        )
        typed[key] = "\n".join(lines)
    return answers, typed, problems


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _media_type(upload: UploadFile) -> str:
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    if declared and declared != "application/octet-stream":
        return declared
    guessed, _ = mimetypes.guess_type(upload.filename or "")
    return guessed or declared or "application/octet-stream"


def _store_uploads(
    session: Session, form: FormData, page: ReportPage, keys: list[str], storage: Path, actor: str
) -> tuple[list[Problem], int]:
    """Store each file sent; the problems of the refused ones and the status that says why
    (413 too large, 415 content of a type not accepted, 422 otherwise)."""
    template = page.settings.template
    limit = template.max_file_mb * 1024 * 1024
    problems: list[Problem] = []
    statuses: set[int] = set()
    for number, key in enumerate(keys, start=1):
        for upload in form.getlist(f"files.{key}"):
            if not isinstance(upload, UploadFile) or not upload.filename:
                continue  # a file input left empty
            name = Path(upload.filename).name
            media_type = _media_type(upload)
            size = upload.size if upload.size is not None else 0
            values: dict[str, Any] = {"number": number, "file": name}
            if size > limit:
                # Refused from its size alone: a large file is never read into memory.
                values |= {"size": f"{size / 1048576:.1f}", "limit": template.max_file_mb}
                problems.append(Problem("report.file_too_large", values))
                statuses.add(413)
                continue
            # The type is judged from the content in add_evidence, not from what the browser sent.
            upload.file.seek(0)
            try:
                reports.add_evidence(
                    session,
                    report=page.report,
                    commitment_key=key,
                    filename=name,
                    content_type=media_type,
                    data=upload.file.read(limit + 1),
                    settings=page.settings,
                    storage=storage,
                    actor=actor,
                )
            except EvidenceTypeRefused as exc:
                values |= {"type": exc.media_type, "types": _type_names(template.allowed_types)}
                problems.append(Problem("report.file_type", values))
                statuses.add(415)
            except EvidenceRefused as exc:
                problems.append(Problem("report.file_refused", values | {"reason": exc.detail}))
                statuses.add(413 if any(e.reason == "file too large" for e in exc.errors) else 422)
    status = 413 if 413 in statuses else 415 if 415 in statuses else 422 if statuses else 200
    return problems, status


@dataclass
class Submission:
    """A complete, saved draft (or a locked version) to hand to the review cycle."""

    report_id: int
    version: int
    campaign_id: int
    organisation_id: int
    cycle: int
    organisation_name: str
    locale: str
    zone: str
    due_at: datetime
    contact: str  # " (coordinator@...)" for the pages that say whom to ask
    actor: str
    locked: bool = False  # already submitted in the records: only the workflow is to be told
    on_time: bool = False
    submitted_at: datetime | None = None


def _submission(page: ReportPage, actor: str) -> Submission:
    report = page.report
    return Submission(
        report_id=report.id or 0,
        version=report.version,
        campaign_id=report.campaign_id,
        organisation_id=report.organisation_id,
        cycle=report.cycle,
        organisation_name=page.view.organisation.name,
        locale=page.view.contact.locale,
        zone=page.zone,
        due_at=report.due_at,
        contact=_contact_suffix(page),
        actor=actor,
        locked=report.status is ReportStatus.submitted,
        on_time=bool(report.on_time),
        submitted_at=report.submitted_at,
    )


def _locked_page(tools: PageTools, page: ReportPage) -> HTMLResponse:
    report = page.report
    return tools.pages.message(
        locale=page.view.contact.locale,
        status=409,
        key="report.locked",
        version=report.version,
        date=local_time(report.submitted_at, page.zone),
    )


def _save(
    request: Request, tools: PageTools, context: ApiContext, token: str, report_id: int, form: FormData
) -> Response | Submission:
    """Save the draft and the files in one transaction; a page to answer with, or a submission."""
    with session_scope(context.engine) as session:
        page = _load(session, report_id)
        if page is None:
            return tools.pages.message(locale=None, status=404, key="report.unknown")
        report, locale = page.report, page.view.contact.locale
        if _text(form, "report_id") != str(report.id):
            return tools.pages.message(locale=locale, status=403, key="report.other_organisation")
        closed = _closed_report_page(tools, session, page)
        if closed is not None:
            return closed
        actor = f"signatory:{page.view.contact.email}"
        submitting = _text(form, "action") == "submit"
        if report.status is not ReportStatus.draft:
            if submitting and report.status is ReportStatus.submitted:
                return _submission(page, actor)  # perhaps the cycle was never told: the caller checks
            return _locked_page(tools, page)
        keys = [c.key for c in page.view.pledge.commitment_models()]
        answers, typed_links, problems = _answers(form, keys)
        try:
            reports.save_draft(session, report=report, items=answers, actor=actor)
        except InvalidInput as exc:
            session.rollback()
            return _report_page(
                request,
                tools,
                token,
                page,
                session,
                entries=_entries(session, page, typed_links=typed_links),
                status=422,
                problems=[Problem("report.invalid", {"reason": exc.detail})],
            )
        refused, status = _store_uploads(session, form, page, keys, _storage(context), actor)
        problems += refused
        entries = _entries(session, page, typed_links=typed_links)
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
        missing = [entry for entry in entries if not entry.status]
        if missing:
            for entry in missing:
                entry.problems.append(
                    Problem("report.missing_status", {"number": entry.number, "text": entry.text})
                )
            return _report_page(
                request,
                tools,
                token,
                page,
                session,
                entries=entries,
                status=422,
                problems=[p for e in missing for p in e.problems],
            )
        return _submission(page, actor)


def _lock(
    request: Request, tools: PageTools, context: ApiContext, token: str, submission: Submission
) -> Response | Submission:
    """Submit (lock) the version in the records; the submission with its time, or a page."""
    with session_scope(context.engine) as session:
        page = _load(session, submission.report_id)
        assert page is not None
        try:
            report = reports.submit(session, report=page.report, at=utcnow(), actor=submission.actor)
        except InvalidInput as exc:
            session.rollback()
            return _report_page(
                request,
                tools,
                token,
                page,
                session,
                status=422,
                problems=[Problem("report.invalid", {"reason": exc.detail})],
            )
        except Conflict:
            return _locked_page(tools, page)
        return replace(
            submission, locked=True, on_time=bool(report.on_time), submitted_at=report.submitted_at
        )


async def _cycle_view(
    context: ApiContext, campaign_id: int, organisation_id: int, cycle: int
) -> ReviewCycleView:
    handle = workflow_client.review_handle(await context.temporal(), campaign_id, organisation_id, cycle)
    view: ReviewCycleView = await run_query(handle, ReviewCycleWorkflow.view)
    return view


def _unavailable(tools: PageTools, locale: str | None, body_key: str) -> HTMLResponse:
    return tools.pages.render(
        "message.html", locale=locale, status=503, key="error.generic", values={}, body_key=body_key
    )


def _cycle_closed(tools: PageTools, submission: Submission, reason: str) -> HTMLResponse:
    return tools.pages.message(
        locale=submission.locale,
        status=409,
        key="report.locked" if submission.locked else "report.cycle_closed",
        reason=reason,
        contact=submission.contact,
        version=submission.version,
        date=local_time(submission.submitted_at, submission.zone),
    )


async def _tell_cycle(context: ApiContext, tools: PageTools, submission: Submission) -> HTMLResponse:
    """Hand the locked version to the review cycle, and say so."""
    handle = workflow_client.review_handle(
        await context.temporal(), submission.campaign_id, submission.organisation_id, submission.cycle
    )
    try:
        await run_update(
            handle,
            ReviewCycleWorkflow.report_submitted,
            ReportSubmitted(
                report_id=submission.report_id,
                version=submission.version,
                on_time=submission.on_time,
                actor=submission.actor,
            ),
        )
    except Unavailable:
        return _unavailable(tools, submission.locale, "report.submit_pending_body")
    except PledgeflowError as exc:
        return tools.pages.message(
            locale=submission.locale,
            status=409,
            key="report.not_forwarded",
            reason=exc.detail,
            contact=submission.contact,
        )
    return tools.pages.render(
        "done.html",
        locale=submission.locale,
        key="done.report_submitted_on_time" if submission.on_time else "done.report_submitted_late",
        values={
            "organisation": submission.organisation_name,
            "cycle": submission.cycle,
            "version": submission.version,
            "date": local_time(submission.submitted_at, submission.zone),
            "due": local_time(submission.due_at, submission.zone),
        },
        receipt_id="",
        signed_at="",
        pledge_sha256="",
    )


@router.post("/r/{token}", response_class=HTMLResponse)
async def save_report(token: str, request: Request, context: ContextDep, tools: ToolsDep) -> Response:
    """Save the draft and the files, then (with action=submit) submit the report for review.

    Nothing waits on Temporal while the database is held: the draft is committed first, the
    review cycle is asked whether it awaits this report, the version is locked in the records,
    and only then is the cycle told (the records are the source of truth).
    """
    claims = _link_problem(tools, token, context, LinkPurpose.report)
    if isinstance(claims, Response):
        return claims
    form = await request.form(max_files=MAX_FORM_FILES, max_fields=MAX_FORM_FIELDS)
    if not tools.csrf.check(request, token, _text(form, FIELD)):
        return tools.pages.message(locale=None, status=403, key="form.csrf")
    saved = await run_in_threadpool(_save, request, tools, context, token, claims.subject_id, form)
    if isinstance(saved, Response):
        return saved
    try:
        cycle = await _cycle_view(context, saved.campaign_id, saved.organisation_id, saved.cycle)
    except Unavailable:
        return _unavailable(
            tools, saved.locale, "report.submit_pending_body" if saved.locked else "report.unavailable_body"
        )
    except NotFound:
        return _cycle_closed(tools, saved, "not running")
    if cycle.phase != "awaiting_report" or cycle.report_id != saved.report_id:
        return _cycle_closed(tools, saved, cycle.phase.replace("_", " "))
    if not saved.locked:
        locked = await run_in_threadpool(_lock, request, tools, context, token, saved)
        if isinstance(locked, Response):
            return locked
        saved = locked
    return await _tell_cycle(context, tools, saved)


# ---- reviewing --------------------------------------------------------------------------------


def _open_review(
    token: str, session: Session, context: ApiContext, tools: PageTools
) -> tuple[str, ReportPage] | Response:
    """The reviewer and the report behind a review link, or the page that says why not."""
    opened = _open(token, LinkPurpose.review, session, context, tools)
    if isinstance(opened, Response):
        return opened
    claims, page = opened
    try:
        if not claims.actor:
            raise Forbidden("the link names no reviewer")
        reports.require_reviewer(session, page.report, claims.actor)
    except Forbidden:
        return tools.pages.message(
            locale=COORDINATOR_LOCALE, status=403, key="review.not_reviewer", reviewer=claims.actor or "?"
        )
    return claims.actor.lower(), page


def _review_page(
    request: Request,
    tools: PageTools,
    token: str,
    page: ReportPage,
    session: Session,
    reviewer: str,
    *,
    status: int = 200,
    problems: list[Problem] | None = None,
    comments: dict[str, str] | None = None,
    note: str = "",
) -> HTMLResponse:
    cookie_value, csrf_value = tools.csrf.issue(request, token)
    entries = _entries(session, page)
    # For a revision, the comments made on the previous version, beside each answer.
    earlier = {e.key: e.comment for e in entries} if page.report.status is ReportStatus.submitted else {}
    response = tools.pages.render(
        "review.html",
        locale=request.query_params.get("lang") or COORDINATOR_LOCALE,
        status=status,
        token=token,
        csrf_field=FIELD,
        csrf_token=csrf_value,
        entries=entries,
        evidence_base=f"/rv/{token}",
        earlier=earlier,
        problems=problems or [],
        comments=comments or {},
        note=note,
        reviewer=reviewer,
        decidable=page.report.status is ReportStatus.submitted,
        **_common(page, session),
    )
    tools.csrf.set_cookie(response, cookie_value)
    return response


@router.get("/rv/{token}", response_class=HTMLResponse)
def review_form(
    token: str, request: Request, session: ReadSessionDep, context: ContextDep, tools: ToolsDep
) -> Response:
    """The submitted report, read-only, with the form to accept it or send it back."""
    opened = _open_review(token, session, context, tools)
    if isinstance(opened, Response):
        return opened
    reviewer, page = opened
    if page.report.status is ReportStatus.draft:
        return _not_submitted(tools, page)
    return _review_page(request, tools, token, page, session, reviewer)


def _not_submitted(tools: PageTools, page: ReportPage) -> HTMLResponse:
    return tools.pages.message(
        locale=COORDINATOR_LOCALE,
        status=409,
        key="review.not_submitted",
        organisation=page.view.organisation.name,
        version=page.report.version,
    )


def _decided(tools: PageTools, page: ReportPage) -> HTMLResponse:
    report = page.report
    return tools.pages.message(
        locale=COORDINATOR_LOCALE,
        status=409,
        key="review.decided",
        reviewer=report.decided_by or "",
        date=local_time(report.decided_at, page.zone),
        status_name=report.status.value.replace("_", " "),
    )


@dataclass
class Decision:
    """A reviewer's checked decision, ready for the records and the review cycle."""

    report_id: int
    version: int
    campaign_id: int
    organisation_id: int
    cycle: int
    organisation_name: str
    reviewer: str
    accept: bool
    comments: dict[str, str]
    note: str


def _check_decision(
    request: Request, tools: PageTools, context: ApiContext, token: str, form: FormData
) -> Response | Decision:
    """Who decides what on which report; a page when something is wrong (nothing is written)."""
    with Session(read_only(context.engine), expire_on_commit=False) as session:
        opened = _open_review(token, session, context, tools)
        if isinstance(opened, Response):
            return opened
        reviewer, page = opened
        report = page.report
        if _text(form, "report_id") != str(report.id):
            return tools.pages.message(locale=COORDINATOR_LOCALE, status=403, key="report.other_organisation")
        if report.status in (ReportStatus.accepted, ReportStatus.sent_back):
            return _decided(tools, page)
        if report.status is not ReportStatus.submitted:
            return _not_submitted(tools, page)
        keys = [c.key for c in page.view.pledge.commitment_models()]
        comments = {key: _text(form, f"comment.{key}").strip() for key in keys}
        note = _text(form, "note").strip()
        decision = _text(form, "decision")
        problem = (
            Problem("review.choose")
            if decision not in ("accept", "send_back")
            else Problem("review.comment_required")
            if decision == "send_back" and not note and not any(comments.values())
            else None
        )
        if problem is not None:
            return _review_page(
                request,
                tools,
                token,
                page,
                session,
                reviewer,
                status=422,
                problems=[problem],
                comments=comments,
                note=note,
            )
        return Decision(
            report_id=report.id or 0,
            version=report.version,
            campaign_id=report.campaign_id,
            organisation_id=report.organisation_id,
            cycle=report.cycle,
            organisation_name=page.view.organisation.name,
            reviewer=reviewer,
            accept=decision == "accept",
            comments={key: text for key, text in comments.items() if text},
            note=note,
        )


def _record_decision(
    request: Request, tools: PageTools, context: ApiContext, token: str, decision: Decision
) -> Response | None:
    """Write the decision in the records; a page when they refuse it."""
    with session_scope(context.engine) as session:
        page = _load(session, decision.report_id)
        assert page is not None
        try:
            reports.decide(
                session,
                report=page.report,
                accept=decision.accept,
                comments=decision.comments,
                note=decision.note,
                reviewer_email=decision.reviewer,
                at=utcnow(),
            )
        except InvalidInput as exc:
            session.rollback()
            return _review_page(
                request,
                tools,
                token,
                page,
                session,
                decision.reviewer,
                status=422,
                problems=[Problem("report.invalid", {"reason": exc.detail})],
                comments=decision.comments,
                note=decision.note,
            )
        except Conflict:
            session.rollback()
            return _decided(tools, page)
        except Forbidden:
            session.rollback()
            return tools.pages.message(
                locale=COORDINATOR_LOCALE, status=403, key="review.not_reviewer", reviewer=decision.reviewer
            )
    return None


@router.post("/rv/{token}", response_class=HTMLResponse)
async def decide_report(token: str, request: Request, context: ContextDep, tools: ToolsDep) -> Response:
    """Record the reviewer's decision, then tell the review cycle."""
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    if not tools.csrf.check(request, token, _text(form, FIELD)):
        return tools.pages.message(locale=COORDINATOR_LOCALE, status=403, key="form.csrf")
    checked = await run_in_threadpool(_check_decision, request, tools, context, token, form)
    if isinstance(checked, Response):
        return checked
    try:
        cycle: ReviewCycleView | None = await _cycle_view(
            context, checked.campaign_id, checked.organisation_id, checked.cycle
        )
    except Unavailable:
        return _unavailable(tools, COORDINATOR_LOCALE, "review.unavailable_body")
    except NotFound:
        cycle = None
    if cycle is None or cycle.phase != "awaiting_review" or cycle.report_id != checked.report_id:
        return tools.pages.message(
            locale=COORDINATOR_LOCALE,
            status=409,
            key="review.closed",
            phase=cycle.phase.replace("_", " ") if cycle else "not running",
        )
    refused = await run_in_threadpool(_record_decision, request, tools, context, token, checked)
    if refused is not None:
        return refused
    handle = workflow_client.review_handle(
        await context.temporal(), checked.campaign_id, checked.organisation_id, checked.cycle
    )
    try:
        await run_update(
            handle,
            ReviewCycleWorkflow.report_decided,
            ReportDecided(report_id=checked.report_id, accepted=checked.accept, reviewer=checked.reviewer),
        )
    except Unavailable:
        return _unavailable(tools, COORDINATOR_LOCALE, "review.pending_body")
    except PledgeflowError as exc:
        return tools.pages.message(
            locale=COORDINATOR_LOCALE, status=409, key="review.closed", phase=exc.detail
        )
    return tools.pages.render(
        "done.html",
        locale=COORDINATOR_LOCALE,
        key="done.report_accepted" if checked.accept else "done.report_sent_back",
        values={"organisation": checked.organisation_name, "version": checked.version},
        receipt_id="",
        signed_at="",
        pledge_sha256="",
    )


# ---- evidence files ---------------------------------------------------------------------------


def _download(
    tools: PageTools, context: ApiContext, session: Session, report_id: int, evidence_id: int
) -> Response:
    evidence = session.get(Evidence, evidence_id)
    path = reports.evidence_path(_storage(context), evidence.sha256) if evidence else None
    if evidence is None or evidence.report_id != report_id or path is None or not path.is_file():
        return tools.pages.message(locale=None, status=404, key="report.evidence_unknown")
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
    claims = _link_problem(tools, token, context, LinkPurpose.report)
    if isinstance(claims, Response):
        return claims
    return _download(tools, context, session, claims.subject_id, evidence_id)


@router.get("/rv/{token}/evidence/{evidence_id}")
def review_evidence(
    token: str, evidence_id: RecordId, session: ReadSessionDep, context: ContextDep, tools: ToolsDep
) -> Response:
    """Download a file of the report under review, for its reviewer."""
    opened = _open_review(token, session, context, tools)
    if isinstance(opened, Response):
        return opened
    _, page = opened
    return _download(tools, context, session, page.report.id or 0, evidence_id)
