"""The reviewer's queue: per reviewer (only the campaigns that name them), grouped by where each
report stands, each reviewable version linking to the reviewer's own review page."""

from __future__ import annotations

import re
from datetime import timedelta

from models.common import utcnow
from models.report import ItemStatus
from models.user import Role
from pledgeflow.db import session_scope
from services.reviews import reports
from tests import factories
from tests.console.staff import console_client, person
from tests.reviews import records as rr

DAY = timedelta(days=1)
GROUP = re.compile(r'<section class="queue-group" aria-labelledby="queue-([a-z_]+)">(.*?)</section>', re.S)


def _groups(html: str) -> dict[str, str]:
    return {state: body for state, body in GROUP.findall(html)}


def _submitted(db, seeded, index: int) -> int:
    report = rr.open_report(db, seeded, index)
    rr.fill(db, report, ItemStatus.implemented)
    rr.submit(db, report)
    return report


def _two_campaigns(db):
    """North names REVIEWER: a report at every stage. South names OUTSIDER: one submitted."""
    north_reviewer = person(db, Role.reviewer, email=rr.REVIEWER, name="North Reviewer")
    south_reviewer = person(db, Role.reviewer, email=rr.OUTSIDER, name="South Reviewer")
    north = factories.campaign_with_invitees(db, count=5, prefix="North ", review=rr.review_settings())
    south = factories.campaign_with_invitees(
        db, count=1, prefix="South ", review=rr.review_settings(reviewers=[rr.OUTSIDER])
    )
    submitted = _submitted(db, north, 0)
    rr.open_report(db, north, 1)  # due in 30 days
    rr.open_report(db, north, 2, due_in=-2 * DAY)  # overdue
    sent_back = _submitted(db, north, 3)
    rr.decide(db, sent_back, accept=False, comments={"c1": "Publish the fee schedule"})
    with session_scope(db) as session:
        reports.new_version(
            session, report=reports.get_or_raise(session, sent_back), due_at=utcnow() + 14 * DAY, at=utcnow()
        )
    accepted = _submitted(db, north, 4)
    rr.decide(db, accepted, accept=True)
    south_submitted = _submitted(db, south, 0)
    return north_reviewer, south_reviewer, submitted, sent_back, south_submitted


async def test_each_reviewer_sees_the_reports_of_their_own_campaigns_by_state(console, db):
    north_reviewer, south_reviewer, _submitted, _sent_back, _south = _two_campaigns(db)
    async with console_client(console.app, north_reviewer) as client:
        page = await client.get("/console/reviews")
        assert page.status_code == 200
        groups = _groups(page.text)
        assert list(groups) == ["submitted", "overdue", "sent_back", "due"]
        assert "North Organisation 1" in groups["submitted"] and "Review version 1" in groups["submitted"]
        assert "North Organisation 3" in groups["overdue"] and "Nothing submitted yet" in groups["overdue"]
        assert "North Organisation 4" in groups["sent_back"] and "Read version 1" in groups["sent_back"]
        assert "North Organisation 2" in groups["due"]
        assert "North Organisation 5" not in page.text, "accepted reports leave the queue"
        assert "South Organisation" not in page.text
        # The link opens the existing review page, as this reviewer.
        [link] = re.findall(r'href="(/rv/[^"]+)"', groups["submitted"])
        review = await client.get(link)
        assert review.status_code == 200 and "North Organisation 1" in review.text
        assert rr.REVIEWER in review.text
    async with console_client(console.app, south_reviewer) as client:
        page = await client.get("/console/reviews")
        groups = _groups(page.text)
        assert "South Organisation 1" in groups["submitted"]
        assert "North Organisation" not in page.text


async def test_an_admin_sees_every_queue_but_no_review_link_unless_named(console, db):
    _two_campaigns(db)
    admin = person(db, Role.admin)
    async with console_client(console.app, admin) as client:
        page = await client.get("/console/reviews")
    groups = _groups(page.text)
    assert "North Organisation 1" in groups["submitted"] and "South Organisation 1" in groups["submitted"]
    assert "/rv/" not in page.text and "You are not named as a reviewer" in page.text


async def test_coordinators_have_no_review_queue(console, db):
    coordinator = person(db, Role.coordinator)
    async with console_client(console.app, coordinator) as client:
        page = await client.get("/console/reviews")
    assert page.status_code == 403
