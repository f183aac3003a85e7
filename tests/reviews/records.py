"""Records for the review-cycle tests: a pact in force, reviewers, reports at every stage, and a
review cycle workflow started directly on the test's task queue."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from temporalio.client import Client, WorkflowHandle

from models.common import utcnow
from models.report import ItemStatus, Report
from models.review import ReportTemplate, ReviewSettings
from models.user import Role
from pledgeflow.config import Settings
from pledgeflow.db import session_scope
from pledgeflow.dev.mail_sink import ReceivedMail
from pledgeflow.links import LinkPurpose, LinkSigner
from services import campaigns, signatures, users
from services.reviews import reports
from services.reviews.reports import ItemInput
from tests import factories
from tests.conftest import TEST_SECRET
from workflows.chasing import ChasePlan
from workflows.ids import review_workflow_id
from workflows.pledge_messages import Signer
from workflows.quiet_hours import QuietWindow
from workflows.review import ReviewCycleWorkflow
from workflows.review_messages import CycleTimes, ReviewCycleInput, ReviewCycleResult, ReviewTerms

REVIEWER = "monitor@regional-body.example"
OUTSIDER = "other.monitor@regional-body.example"  # a reviewer, but of no campaign here
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
REPORT_LINK = re.compile(r"https?://\S+/r/([A-Za-z0-9_.\-]+)")
REVIEW_LINK = re.compile(r"https?://\S+/rv/([A-Za-z0-9_.\-]+)")


def known(value: int | None) -> int:
    """A record's id, which the factories always set."""
    assert value is not None
    return value


def review_settings(**overrides: object) -> ReviewSettings:
    values: dict[str, object] = {
        "every_months": 12,
        "report_due_days": 30,
        "reminder_days_before_due": [7, 1],
        "reviewers": [REVIEWER],
        "template": ReportTemplate(
            introduction="Tell us how each commitment was implemented this year.",
            prompts={"c1": "Where are the fees published? Give the address of the page."},
            max_file_mb=1,
        ),
    }
    return ReviewSettings.model_validate({**values, **overrides})


def signed_campaign(
    db: Engine, *, count: int = 2, locales: list[str] | None = None, review: ReviewSettings | None = None
) -> factories.Seeded:
    """A pact in force: every invited organisation signed; the campaign names REVIEWER."""
    with session_scope(db) as session:
        for email in (REVIEWER, OUTSIDER):
            users.get_or_create_user(session, email=email, name="Monitor", role=Role.reviewer, actor="test")
    seeded = factories.campaign_with_invitees(
        db, count=count, locales=locales, review=review or review_settings()
    )
    factories.launch(db, known(seeded.campaign.id))
    now = utcnow()
    with session_scope(db) as session:
        for number, invitation in enumerate(seeded.invitations, start=1):
            signatures.record(
                session,
                invitation_id=known(invitation.id),
                receipt_id=f"PF-TEST-{number}",
                signer=Signer(
                    name=f"Signer {number}", title="Director", publish_name=True, ip=None, user_agent=None
                ),
                signed_at=now,
            )
        campaigns.mark_in_force(session, campaign_id=known(seeded.campaign.id), at=now, groups=[])
        seeded.campaign = campaigns.get_or_raise(session, known(seeded.campaign.id))
    return seeded


def times(
    cycle: int = 1, *, due_in: timedelta = timedelta(days=30), now: datetime | None = None
) -> CycleTimes:
    now = now or utcnow()
    return CycleTimes(
        cycle=cycle,
        period_start=now - timedelta(days=365),
        period_end=now,
        opens_at=now,
        due_at=now + due_in,
        closes_at=now + timedelta(days=365),
    )


def open_report(
    db: Engine, seeded: factories.Seeded, index: int = 0, *, cycle: int = 1, due_in=timedelta(days=30)
) -> int:
    """The cycle's first draft for organisation `index`, as the workflow's activity opens it."""
    calendar = times(cycle, due_in=due_in)
    with session_scope(db) as session:
        report = reports.open_report(
            session,
            campaign_id=known(seeded.campaign.id),
            organisation_id=known(seeded.organisations[index].id),
            invitation_id=known(seeded.invitations[index].id),
            cycle=cycle,
            period_start=calendar.period_start,
            period_end=calendar.period_end,
            due_at=calendar.due_at,
            at=utcnow(),
        )
        return known(report.id)


def fill(
    db: Engine, report_id: int, statuses: dict[str, ItemStatus | None] | ItemStatus = ItemStatus.implemented
) -> None:
    with session_scope(db) as session:
        report = reports.get_or_raise(session, report_id)
        keys = [item.commitment_key for item in reports.items_of(session, report_id)]
        chosen = statuses if isinstance(statuses, dict) else dict.fromkeys(keys, statuses)
        reports.save_draft(
            session,
            report=report,
            items={
                k: ItemInput(status=s, narrative=f"Done: {k}", links=[f"https://evidence.example/{k}"])
                for k, s in chosen.items()
            },
            actor="test",
        )


def submit(db: Engine, report_id: int, at: datetime | None = None) -> Report:
    with session_scope(db) as session:
        return reports.submit(
            session, report=reports.get_or_raise(session, report_id), at=at or utcnow(), actor="test"
        )


def decide(
    db: Engine, report_id: int, *, accept: bool, comments: dict[str, str] | None = None, note: str = ""
) -> Report:
    with session_scope(db) as session:
        return reports.decide(
            session,
            report=reports.get_or_raise(session, report_id),
            accept=accept,
            comments=comments or {},
            note=note or ("" if accept else "Please add evidence"),
            reviewer_email=REVIEWER,
            at=utcnow(),
        )


def report_token(report_id: int, days: int = 30) -> str:
    return LinkSigner(TEST_SECRET).make(
        report_id, LinkPurpose.report, datetime.now(UTC) + timedelta(days=days)
    )


def review_token(report_id: int, reviewer: str = REVIEWER, days: int = 30) -> str:
    return LinkSigner(TEST_SECRET).make(
        report_id, LinkPurpose.review, datetime.now(UTC) + timedelta(days=days), actor=reviewer
    )


def link_token(mail: ReceivedMail, pattern: re.Pattern[str] = REPORT_LINK) -> str:
    match = pattern.search(mail.text)
    assert match, f"no link in: {mail.text[:600]}"
    return match.group(1)


@dataclass
class Cycle:
    handle: WorkflowHandle[ReviewCycleWorkflow, ReviewCycleResult]
    times: CycleTimes


async def start_cycle(
    client: Client,
    settings: Settings,
    seeded: factories.Seeded,
    index: int = 0,
    *,
    cycle: int = 1,
    due_in: timedelta = timedelta(days=30),
    reviewers: list[str] | None = None,
) -> Cycle:
    """A ReviewCycleWorkflow started directly (the pledge workflow starts it as a child)."""
    calendar = times(cycle, due_in=due_in)
    handle = await client.start_workflow(
        ReviewCycleWorkflow.run,
        ReviewCycleInput(
            campaign_id=known(seeded.campaign.id),
            organisation_id=known(seeded.organisations[index].id),
            invitation_id=known(seeded.invitations[index].id),
            times=calendar,
            terms=ReviewTerms(
                review_days=14,
                revision_days=14,
                reminder_days_before_due=[7, 1],
                reviewers=reviewers if reviewers is not None else [REVIEWER],
                report_plan=ChasePlan(
                    reminder_days_before_deadline=[7, 1],
                    quiet=QuietWindow(enabled=False),
                    timezones={"contact": "UTC", "coordinator": "UTC"},
                ),
            ),
            email_task_queue=settings.email_task_queue,
        ),
        id=review_workflow_id(known(seeded.campaign.id), known(seeded.organisations[index].id), cycle),
        task_queue=settings.task_queue,
    )
    return Cycle(handle=handle, times=calendar)
