"""The review page behind review links: read a submitted report, accept it or send it back.

`/rv/{token}` names a report version and one reviewer (the link's actor). The form works without
JavaScript and is protected against CSRF; the decision is written in the records first, then the
review cycle is told. What the page shows and the checks behind it are in `services.reviews.pages`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, Response

from api.context import ApiContext
from api.csrf import FIELD
from api.deps import ContextDep, ReadSessionDep, RecordId
from api.pages.reports import MAX_FORM_FIELDS, cycle_view, download, moments, open_report, text
from api.pages.tools import PageTools, ToolsDep
from models.common import utcnow
from models.report import ReportStatus
from pledgeflow.db import read_only, session_scope
from pledgeflow.errors import Conflict, Forbidden, InvalidInput, NotFound, PledgeflowError, Unavailable
from pledgeflow.links import LinkPurpose
from services.reviews import pages as report_pages
from services.reviews import reports
from services.reviews.pages import Decision, DecisionRefused, Problem, ReportPage
from workflows import client as workflow_client
from workflows.review_messages import ReportDecided, ReviewCycleView

router = APIRouter(tags=["pages"], include_in_schema=False)

# Reviewers are staff, not contacts: their pages follow `?lang=` and Accept-Language, else English.
REVIEWER_LOCALE: str | None = None


def _open_review(
    token: str, session: Session, context: ApiContext, tools: PageTools
) -> tuple[str, ReportPage] | Response:
    """The reviewer and the report behind a review link, or the page that says why not."""
    opened = open_report(token, LinkPurpose.review, session, context, tools)
    if isinstance(opened, Response):
        return opened
    claims, page = opened
    try:
        if not claims.actor:
            raise Forbidden("the link names no reviewer")
        reports.require_reviewer(session, page.report, claims.actor)
    except Forbidden:
        return tools.pages.message(
            locale=REVIEWER_LOCALE, status=403, key="review.not_reviewer", reviewer=claims.actor or "?"
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
    entries = report_pages.entries(session, page)
    # For a revision, the comments made on the previous version, beside each answer.
    earlier = {e.key: e.comment for e in entries} if page.report.status is ReportStatus.submitted else {}
    response = tools.pages.render(
        "reviews/review.html",
        locale=REVIEWER_LOCALE,
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
        **{**report_pages.shown(session, page), **moments(page)},
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
        locale=REVIEWER_LOCALE,
        status=409,
        key="review.not_submitted",
        organisation=page.view.organisation.name,
        version=page.report.version,
    )


def _decided(tools: PageTools, page: ReportPage) -> HTMLResponse:
    report = page.report
    return tools.pages.message(
        locale=REVIEWER_LOCALE,
        zone=page.zone,
        status=409,
        key="review.decided_accepted"
        if report.status is ReportStatus.accepted
        else "review.decided_sent_back",
        reviewer=report.decided_by or "",
        date=report.decided_at,
    )


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
        if text(form, "report_id") != str(report.id):
            return tools.pages.message(locale=REVIEWER_LOCALE, status=403, key="report.other_organisation")
        if report.status in (ReportStatus.accepted, ReportStatus.sent_back):
            return _decided(tools, page)
        if report.status is not ReportStatus.submitted:
            return _not_submitted(tools, page)
        decision = report_pages.decision(page, reviewer, form)
        if isinstance(decision, DecisionRefused):
            return _review_page(
                request,
                tools,
                token,
                page,
                session,
                reviewer,
                status=422,
                problems=[decision.problem],
                comments=decision.comments,
                note=decision.note,
            )
        return decision


def _record_decision(
    request: Request, tools: PageTools, context: ApiContext, token: str, decision: Decision
) -> Response | None:
    """Write the decision in the records; a page when they refuse it."""
    with session_scope(context.engine) as session:
        page = report_pages.load(session, decision.report_id)
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
                locale=REVIEWER_LOCALE, status=403, key="review.not_reviewer", reviewer=decision.reviewer
            )
    return None


@router.post("/rv/{token}", response_class=HTMLResponse)
async def decide_report(token: str, request: Request, context: ContextDep, tools: ToolsDep) -> Response:
    """Record the reviewer's decision, then tell the review cycle."""
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    tools.pages.answer_in(text(form, "lang"), page=f"/rv/{token}")
    if not tools.csrf.check(request, token, text(form, FIELD)):
        return tools.pages.message(locale=REVIEWER_LOCALE, status=403, key="form.csrf")
    checked = await run_in_threadpool(_check_decision, request, tools, context, token, form)
    if isinstance(checked, Response):
        return checked
    try:
        cycle: ReviewCycleView | None = await cycle_view(
            context, checked.campaign_id, checked.organisation_id, checked.cycle
        )
    except Unavailable:
        return tools.pages.unavailable(locale=REVIEWER_LOCALE, body_key="review.unavailable_body")
    except NotFound:
        cycle = None
    if cycle is None or cycle.phase != "awaiting_review" or cycle.report_id != checked.report_id:
        return tools.pages.message(
            locale=REVIEWER_LOCALE,
            status=409,
            key="review.closed",
            phase=cycle.phase if cycle else "not_running",
        )
    refused = await run_in_threadpool(_record_decision, request, tools, context, token, checked)
    if refused is not None:
        return refused
    try:
        await workflow_client.decide_report(
            await context.temporal(),
            checked.campaign_id,
            checked.organisation_id,
            checked.cycle,
            ReportDecided(report_id=checked.report_id, accepted=checked.accept, reviewer=checked.reviewer),
        )
    except Unavailable:
        return tools.pages.unavailable(locale=REVIEWER_LOCALE, body_key="review.pending_body")
    except PledgeflowError as exc:
        return tools.pages.message(locale=REVIEWER_LOCALE, status=409, key="review.closed", phase=exc.detail)
    return tools.pages.done(
        locale=REVIEWER_LOCALE,
        key="done.report_accepted" if checked.accept else "done.report_sent_back",
        organisation=checked.organisation_name,
        version=checked.version,
    )


@router.get("/rv/{token}/evidence/{evidence_id}")
def review_evidence(
    token: str, evidence_id: RecordId, session: ReadSessionDep, context: ContextDep, tools: ToolsDep
) -> Response:
    """Download a file of the report under review, for its reviewer."""
    opened = _open_review(token, session, context, tools)
    if isinstance(opened, Response):
        return opened
    _, page = opened
    return download(tools, context, session, page.report.id or 0, evidence_id)
