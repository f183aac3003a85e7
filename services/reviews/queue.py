"""The reviewer's queue: the reports of the campaigns a reviewer is named on, by where each stands.

A report is a chain of versions; the newest version of each organisation's report in each cycle
says where it stands: submitted (waiting for a decision), sent back (a revision is being written),
due (the organisation has not submitted yet) or overdue (not submitted and past its due date).
Accepted reports are done and leave the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, col, select

from models.campaign import Campaign
from models.organisation import Organisation
from models.report import Report, ReportStatus
from models.user import Role, User
from services.reviews.reports import settings_of


class QueueState(StrEnum):
    submitted = "submitted"
    sent_back = "sent_back"
    overdue = "overdue"
    due = "due"


STATES: tuple[QueueState, ...] = (
    QueueState.submitted,
    QueueState.overdue,
    QueueState.sent_back,
    QueueState.due,
)
"""The order the queue shows its groups in: what needs the reviewer first."""


@dataclass(frozen=True)
class QueueEntry:
    """One organisation's report in one cycle, at its newest version."""

    report: Report
    state: QueueState
    campaign_title: str
    organisation_name: str
    reviewable: Report | None  # the version a review page shows: the submitted or sent-back one


def reviews_campaign(campaign: Campaign, user: User) -> bool:
    """Admins review every campaign; reviewers those that name them."""
    if user.role is Role.admin:
        return True
    if user.role is not Role.reviewer:
        return False
    return user.email.lower() in {str(e).lower() for e in settings_of(campaign).reviewers}


def state_of(latest: Report, now: datetime) -> QueueState | None:
    """Where a report stands by its newest version; None once accepted."""
    if latest.status is ReportStatus.accepted:
        return None
    if latest.status is ReportStatus.submitted:
        return QueueState.submitted
    if latest.due_at < now:
        return QueueState.overdue
    if latest.version > 1:
        return QueueState.sent_back
    return QueueState.due


def queue_for(session: Session, *, user: User, now: datetime) -> dict[QueueState, list[QueueEntry]]:
    """The reports this person reviews, grouped by state, oldest due first within a group."""
    campaigns = [
        c
        for c in session.exec(select(Campaign).order_by(col(Campaign.id))).all()
        if reviews_campaign(c, user)
    ]
    grouped: dict[QueueState, list[QueueEntry]] = {state: [] for state in STATES}
    if not campaigns:
        return grouped
    titles = {c.id: c.title for c in campaigns}
    rows = session.exec(
        select(Report, Organisation.name)
        .join(Organisation, col(Organisation.id) == Report.organisation_id)
        .where(col(Report.campaign_id).in_(list(titles)))
        .order_by(
            col(Report.campaign_id), col(Report.organisation_id), col(Report.cycle), col(Report.version)
        )
    ).all()
    chains: dict[tuple[int, int, int], list[tuple[Report, str]]] = {}
    for report, name in rows:
        chains.setdefault((report.campaign_id, report.organisation_id, report.cycle), []).append(
            (report, name)
        )
    for versions in chains.values():
        latest, name = versions[-1]
        state = state_of(latest, now)
        if state is None:
            continue
        reviewable = latest if state is QueueState.submitted else None
        if reviewable is None and len(versions) > 1:
            reviewable = versions[-2][0]  # the version sent back, with the reviewer's comments
        grouped[state].append(
            QueueEntry(
                report=latest,
                state=state,
                campaign_title=titles.get(latest.campaign_id, ""),
                organisation_name=name,
                reviewable=reviewable,
            )
        )
    for entries in grouped.values():
        entries.sort(key=lambda e: (e.report.due_at, e.report.id or 0))
    return grouped


def named_reviewer(session: Session, report: Report, user: User) -> bool:
    """Whether the report's campaign names this person as a reviewer (the review page checks it)."""
    campaign = session.get(Campaign, report.campaign_id)
    return campaign is not None and user.email.lower() in {
        str(e).lower() for e in settings_of(campaign).reviewers
    }
