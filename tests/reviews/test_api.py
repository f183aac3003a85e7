"""Reports in the JSON API: who reads what, the reviewer's decision through the review cycle,
summaries, CSV and standings; every error is a problem document."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest_asyncio
from sqlmodel import Session

from api.app import create_app
from models.common import utcnow
from models.report import ItemStatus, ReportStatus
from models.user import Role
from pledgeflow.db import session_scope
from services.reviews import reports
from tests import factories
from tests.campaigns.test_api import assert_problem, bearer
from tests.helpers import eventually, running_workers
from tests.reviews import records as rr
from workflows.review import ReviewCycleWorkflow
from workflows.review_messages import ReportSubmitted

DAY = timedelta(days=1)


@pytest_asyncio.fixture
async def api(ts_env, settings, db) -> AsyncIterator[httpx.AsyncClient]:
    async def connect():
        return ts_env.client

    app = create_app(settings, engine=db, connect_temporal=connect)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        yield client


def _tokens(db):
    """Tokens of the campaign's reviewer, a reviewer of nothing, an auditor and another coordinator."""
    _, reviewer = factories.coordinator(db, email=rr.REVIEWER, role=Role.reviewer)
    _, outsider = factories.coordinator(db, email=rr.OUTSIDER, role=Role.reviewer)
    _, auditor = factories.coordinator(db, email="auditor@wco.example", role=Role.auditor)
    _, stranger = factories.coordinator(db, email="someone.else@wco.example")
    return reviewer, outsider, auditor, stranger


def _two_reports(db):
    """Organisation 1 submitted (and is revising after a send-back); organisation 2 has a draft."""
    seeded = rr.signed_campaign(db, count=2)
    first = rr.open_report(db, seeded)
    rr.fill(db, first, ItemStatus.in_progress)
    rr.submit(db, first)
    rr.decide(db, first, accept=False, comments={"c3": "Which hotline?"})
    with session_scope(db) as session:
        revision = reports.new_version(
            session, report=reports.get_or_raise(session, first), due_at=utcnow() + 14 * DAY, at=utcnow()
        ).id
    draft = rr.open_report(db, seeded, 1)
    return seeded, first, revision, draft


async def test_who_reads_the_reports(api, db):
    seeded, first, revision, draft = _two_reports(db)
    reviewer, outsider, auditor, stranger = _tokens(db)
    url = f"/campaigns/{seeded.campaign.id}/reports"
    for token in (seeded.token, reviewer, auditor):
        listed = await api.get(url, headers=bearer(token))
        assert listed.status_code == 200, listed.text
        assert [(r["id"], r["version"], r["status"]) for r in listed.json()] == [
            (revision, 2, "draft"),
            (draft, 1, "draft"),
        ]
    body = (await api.get(url, params={"cycle": 1}, headers=bearer(reviewer))).json()
    assert body[0]["organisation_name"] == "Organisation 1"
    assert [i["status"] for i in body[0]["items"]] == ["in_progress"] * 3, "answers carried over"
    assert (await api.get(url, params={"cycle": 2}, headers=bearer(auditor))).json() == []
    assert_problem(await api.get(url, headers=bearer(outsider)), 404)
    assert_problem(await api.get(url, headers=bearer(stranger)), 404)
    assert_problem(await api.get(url), 401)
    one = await api.get(f"/reports/{first}", headers=bearer(reviewer))
    assert one.status_code == 200 and one.json()["status"] == "sent_back"
    assert one.json()["items"][2]["reviewer_comment"] == "Which hotline?"
    assert one.json()["decided_by"] == rr.REVIEWER
    assert_problem(await api.get(f"/reports/{first}", headers=bearer(outsider)), 404)
    assert_problem(await api.get(f"/reports/{first}", headers=bearer(stranger)), 404)
    assert_problem(await api.get("/reports/987654", headers=bearer(auditor)), 404)


async def test_summary_csv_and_standings(api, db):
    seeded, _first, _revision, _draft = _two_reports(db)
    reviewer, outsider, _auditor, _stranger = _tokens(db)
    summary = await api.get(f"/campaigns/{seeded.campaign.id}/reports/summary", headers=bearer(seeded.token))
    assert summary.status_code == 200, summary.text
    body = summary.json()
    assert (body["cycle"], body["expected"], body["reported"], body["on_time"]) == (1, 2, 1, 1)
    one, two = body["organisations"]
    assert (one["status"], one["on_time"], one["standing"], one["commitments"]["c1"]) == (
        "sent_back",
        True,
        "good",
        "in_progress",
    )
    assert (two["status"], two["reported"], two["on_time"]) == ("draft", False, None)
    factor = next(f for f in body["factors"] if f["factor"] == "code_of_conduct")
    assert (factor["number"], factor["label"], factor["in_progress"]) == (7, "Code of Conduct", 1)
    exported = await api.get(
        f"/campaigns/{seeded.campaign.id}/reports.csv", params={"cycle": 1}, headers=bearer(reviewer)
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        exported.headers["content-disposition"]
        == f'attachment; filename="campaign-{seeded.campaign.id}-reports-cycle-1.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 6 and {r["organisation"] for r in rows} == {"Organisation 1", "Organisation 2"}
    assert next(r for r in rows if r["commitment"] == "c3" and r["organisation"] == "Organisation 1")[
        "factors"
    ] == ("Audit and Investigation")
    assert_problem(
        await api.get(f"/campaigns/{seeded.campaign.id}/reports.csv", headers=bearer(outsider)), 404
    )
    standings = await api.get(f"/campaigns/{seeded.campaign.id}/standings", headers=bearer(seeded.token))
    assert [(s["organisation_name"], s["standing"]) for s in standings.json()] == [
        ("Organisation 1", "good"),
        ("Organisation 2", "good"),
    ]
    assert_problem(await api.get("/campaigns/987654/reports/summary", headers=bearer(seeded.token)), 404)


async def test_decisions_only_by_the_campaigns_reviewers(api, db):
    seeded = rr.signed_campaign(db, count=1)
    report_id = rr.open_report(db, seeded)
    reviewer, outsider, auditor, _stranger = _tokens(db)
    url = f"/reports/{report_id}/decision"
    body = {"accept": True}
    assert_problem(await api.post(url, json=body, headers=bearer(seeded.token)), 403)
    assert_problem(await api.post(url, json=body, headers=bearer(auditor)), 403)
    refused = assert_problem(await api.post(url, json=body, headers=bearer(outsider)), 403, "reviewer")
    assert "not a reviewer of campaign" in refused["detail"]
    assert_problem(await api.post(url, json=body, headers=bearer(reviewer)), 409, "status")  # a draft
    assert_problem(await api.post("/reports/987654/decision", json=body, headers=bearer(reviewer)), 404)
    assert_problem(await api.post(url, json={"accept": "maybe"}, headers=bearer(reviewer)), 422, "accept")
    rr.fill(db, report_id)
    rr.submit(db, report_id)
    # Submitted in the records, but no review cycle runs for it: refused, nothing written.
    assert_problem(await api.post(url, json=body, headers=bearer(reviewer)), 409, "phase")
    with Session(db) as session:
        assert reports.get_or_raise(session, report_id).status is ReportStatus.submitted


async def test_decision_while_temporal_is_down_writes_nothing(settings, db):
    seeded = rr.signed_campaign(db, count=1)
    report_id = rr.open_report(db, seeded)
    rr.fill(db, report_id)
    rr.submit(db, report_id)
    reviewer, *_ = _tokens(db)

    async def unreachable():
        raise ConnectionError("connection refused")

    app = create_app(settings, engine=db, connect_temporal=unreachable)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as api:
        answer = await api.post(
            f"/reports/{report_id}/decision", json={"accept": True}, headers=bearer(reviewer)
        )
    assert_problem(answer, 503)
    with Session(db) as session:
        report = reports.get_or_raise(session, report_id)
        assert (report.status, report.decided_by) == (ReportStatus.submitted, None)


# ---- through the review cycle, on a time-skipping server of the test's own --------------------


@pytest_asyncio.fixture
async def cycle_api(own_ts_env, settings, db, mailbox) -> AsyncIterator[httpx.AsyncClient]:
    async def connect():
        return own_ts_env.client

    app = create_app(settings, engine=db, connect_temporal=connect)
    async with (
        running_workers(own_ts_env.client, settings, db),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        yield client


async def _submitted(handle, db, report_id):
    """The signatory's part, as the report page does it: lock in the records, then tell the cycle."""
    report = rr.submit(db, report_id)
    await handle.execute_update(
        ReviewCycleWorkflow.report_submitted,
        ReportSubmitted(report_id=report_id, version=report.version, on_time=bool(report.on_time)),
    )


async def _view(handle, check):
    return await eventually(lambda: handle.query(ReviewCycleWorkflow.view), check)


def _kind(mailbox, kind):
    async def probe():
        return [m for m in mailbox.messages if m.kind == kind]

    return probe


async def test_reviewer_sends_back_then_accepts_through_the_api(cycle_api, own_ts_env, settings, db, mailbox):
    api = cycle_api
    seeded = rr.signed_campaign(db, count=1)
    reviewer, outsider, *_ = _tokens(db)
    cycle = await rr.start_cycle(own_ts_env.client, settings, seeded)
    view = await _view(cycle.handle, lambda v: v.phase == "awaiting_report")
    first = view.report_id
    url = f"/reports/{first}/decision"
    rr.fill(db, first)
    # Not yet submitted: the records refuse before the cycle is asked.
    assert_problem(await api.post(url, json={"accept": True}, headers=bearer(reviewer)), 409)
    await _submitted(cycle.handle, db, first)
    await _view(cycle.handle, lambda v: v.phase == "awaiting_review")
    await eventually(_kind(mailbox, "review_request"), lambda m: len(m) == 1)

    invalid = await api.post(
        url, json={"accept": False, "comments": {"c9": "Unknown"}, "note": "x"}, headers=bearer(reviewer)
    )
    assert_problem(invalid, 422, "comments.c9")
    empty = await api.post(url, json={"accept": False}, headers=bearer(reviewer))
    assert_problem(empty, 422, "comments")
    assert_problem(await api.post(url, json={"accept": True}, headers=bearer(outsider)), 403)
    with Session(db) as session:
        assert reports.get_or_raise(session, first).status is ReportStatus.submitted, "refusals write nothing"

    sent_back = await api.post(
        url,
        json={"accept": False, "comments": {"c2": "Attach the code"}, "note": "One gap"},
        headers=bearer(reviewer),
    )
    assert sent_back.status_code == 200, sent_back.text
    assert sent_back.json()["status"] == "sent_back" and sent_back.json()["items"][1]["reviewer_comment"] == (
        "Attach the code"
    )
    view = await _view(cycle.handle, lambda v: v.phase == "awaiting_report" and v.version == 2)
    second = view.report_id
    [notice] = await eventually(_kind(mailbox, "report_sent_back"), lambda m: len(m) == 1)
    assert "Attach the code" in notice.text and notice.recipients == [seeded.contacts[0].email]
    assert_problem(await api.post(url, json={"accept": True}, headers=bearer(reviewer)), 409)

    await _submitted(cycle.handle, db, second)
    await _view(cycle.handle, lambda v: v.phase == "awaiting_review" and v.report_id == second)
    accepted = await api.post(f"/reports/{second}/decision", json={"accept": True}, headers=bearer(reviewer))
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    result = await cycle.handle.result()
    assert (result.accepted, result.versions) == (True, 2)
    await eventually(_kind(mailbox, "report_accepted"), lambda m: len(m) == 1)
    summary = (
        await api.get(f"/campaigns/{seeded.campaign.id}/reports/summary", headers=bearer(reviewer))
    ).json()
    assert [(o["status"], o["version"], o["reported"]) for o in summary["organisations"]] == [
        ("accepted", 2, True)
    ]
