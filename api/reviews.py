"""Review cycles in the JSON API: reports, reviewers' decisions, summaries, standings.

Coordinators read the reports of the campaigns they can see, auditors and admins all of them,
reviewers those of the campaigns that name them (a reviewer sees the reports assigned to them).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.deps import ContextDep, Cycle, RecordId, SessionDep, UserDep, can_see_campaign, require_role
from api.responses import ERRORS_READ, ERRORS_READ_STATE, ERRORS_TEMPORAL
from models.campaign import Campaign
from models.common import utcnow
from models.report import Report, ReportPublic, ReportStatus
from models.user import Role, User
from pledgeflow.errors import Conflict, FieldProblem, NotFound, not_found
from services import campaigns
from services.reviews import report_summary, reports
from services.reviews.report_summary import ReportSummary, StandingEntry
from workflows import client as workflow_client
from workflows.review_messages import ReportDecided

router = APIRouter(tags=["reports"])


class DecisionRequest(BaseModel):
    accept: bool = Field(description="true accepts the report; false sends it back for revision")
    comments: dict[str, str] = Field(default_factory=dict, description="A comment per commitment key")
    note: str = Field(default="", max_length=4000, description="A note to the organisation")


def is_reviewer(campaign: Campaign, user: User) -> bool:
    """True when the campaign names this user among its reviewers."""
    return user.email.lower() in {str(e).lower() for e in reports.settings_of(campaign).reviewers}


def readable_campaign(session: Session, user: User, campaign_id: int) -> Campaign:
    """The campaign if the user may read its reports (404 otherwise, so ids do not leak)."""
    campaign = campaigns.get_or_raise(session, campaign_id)
    if user.role in (Role.admin, Role.auditor):
        return campaign
    if user.role is Role.reviewer and is_reviewer(campaign, user):
        return campaign
    if user.role is Role.coordinator and can_see_campaign(session, user, campaign):
        return campaign
    raise not_found("campaign", campaign_id)


def _readable_report(session: Session, user: User, report_id: int) -> Report:
    report = reports.get_or_raise(session, report_id)
    try:
        readable_campaign(session, user, report.campaign_id)
    except NotFound:
        raise not_found("report", report_id) from None
    return report


@router.get("/campaigns/{campaign_id}/reports", response_model=list[ReportPublic], responses=ERRORS_READ)
def list_reports(
    campaign_id: RecordId,
    session: SessionDep,
    user: UserDep,
    cycle: Cycle = None,
) -> list[ReportPublic]:
    """The newest version of each organisation's report for a cycle."""
    campaign = readable_campaign(session, user, campaign_id)
    cycle = cycle if cycle is not None else report_summary.current_cycle(session, campaign.id or 0)
    if cycle is None:
        return []
    rows = report_summary.latest_reports(session, campaign_id=campaign.id or 0, cycle=cycle)
    return [reports.public_view(session, report) for report in rows]


@router.get(
    "/campaigns/{campaign_id}/reports/summary", response_model=ReportSummary, responses=ERRORS_READ_STATE
)
def reports_summary(
    campaign_id: RecordId,
    session: SessionDep,
    user: UserDep,
    cycle: Cycle = None,
) -> ReportSummary:
    """Per organisation: reported, on time or late, status, standing and each commitment's status;
    per Arusha key factor: how many commitments are implemented, in progress, not started, not applicable."""
    return report_summary.summary(session, readable_campaign(session, user, campaign_id), cycle)


@router.get(
    "/campaigns/{campaign_id}/reports.csv",
    response_class=Response,
    responses={
        **ERRORS_READ_STATE,
        200: {"content": {"text/csv": {}}, "description": "One row per organisation and commitment"},
    },
)
def reports_csv(
    campaign_id: RecordId,
    session: SessionDep,
    user: UserDep,
    cycle: Cycle = None,
) -> Response:
    """The summary as CSV: one row per organisation and commitment, with the commitment's factors."""
    summary = report_summary.summary(session, readable_campaign(session, user, campaign_id), cycle)
    filename = f"campaign-{campaign_id}-reports-cycle-{summary.cycle or 0}.csv"
    return Response(
        content=report_summary.to_csv(summary),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/campaigns/{campaign_id}/standings", response_model=list[StandingEntry], responses=ERRORS_READ)
def standings(campaign_id: RecordId, session: SessionDep, user: UserDep) -> list[StandingEntry]:
    """Each signatory's standing: good, overdue, non_compliant or lapsed."""
    campaign = readable_campaign(session, user, campaign_id)
    return report_summary.standings(session, campaign.id or 0)


@router.get("/reports/{report_id}", response_model=ReportPublic, responses=ERRORS_READ)
def read_report(report_id: RecordId, session: SessionDep, user: UserDep) -> ReportPublic:
    """One report version with its items, links and evidence."""
    return reports.public_view(session, _readable_report(session, user, report_id))


@router.post("/reports/{report_id}/decision", response_model=ReportPublic, responses=ERRORS_TEMPORAL)
async def decide(
    report_id: RecordId, data: DecisionRequest, session: SessionDep, user: UserDep, context: ContextDep
) -> ReportPublic:
    """Accept a submitted report, or send it back with a comment per commitment (reviewers only)."""
    require_role(user, Role.reviewer, Role.admin)
    report = reports.get_or_raise(session, report_id)
    reports.require_reviewer(session, report, user.email)
    if report.status is not ReportStatus.submitted:
        raise Conflict(
            f"report {report_id} is {report.status.value}: only a submitted report is decided",
            errors=[FieldProblem("status", report.status.value)],
        )
    cycle = (report.campaign_id, report.organisation_id, report.cycle)
    client = await context.temporal()
    session.commit()  # end the read transaction: nothing is held while Temporal answers
    try:
        view = await workflow_client.review_cycle_view(client, *cycle)
    except NotFound:
        raise Conflict(
            f"no review cycle is running for report {report_id}: it cannot be decided now",
            errors=[FieldProblem("phase", "not running")],
        ) from None
    if view.phase != "awaiting_review" or view.report_id != report.id:
        raise Conflict(
            f"the review cycle is {view.phase.replace('_', ' ')} (report {view.report_id}); "
            f"report {report_id} is not awaiting a decision",
            errors=[FieldProblem("phase", view.phase)],
        )
    reports.decide(
        session,
        report=report,
        accept=data.accept,
        comments=data.comments,
        note=data.note,
        reviewer_email=user.email,
        at=utcnow(),
    )
    session.commit()  # the records hold the decision before the workflow acts on it
    await workflow_client.decide_report(
        client,
        *cycle,
        ReportDecided(report_id=report.id or 0, accepted=data.accept, reviewer=user.email.lower()),
    )
    return reports.public_view(session, report)
