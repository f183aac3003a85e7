"""One signatory through several review cycles, in skipped time: on time, late with reminders,
escalated, lapsed then restored, sent back and resubmitted; and a short history after many cycles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from models.policy import ChasePolicy, QuietHours
from models.report import ItemStatus, ReportStatus, Standing
from models.review import ReviewSettings
from models.user import Role
from pledgeflow.db import session_scope
from services import users
from services.reviews import reports
from services.reviews.reports import ItemInput
from tests import factories
from tests.helpers import eventually, running_workers
from workflows import client as workflow_client
from workflows.pledge import PledgeWorkflow
from workflows.pledge_messages import SignRequest
from workflows.review import ReviewCycleWorkflow
from workflows.review_messages import ReportDecided, ReportSubmitted

pytestmark = pytest.mark.any_database  # when each review email goes out; the records have their own db tests

DAY = timedelta(days=1)
REVIEWER = "reviewer@monitor.example"


def settings_for(**overrides) -> ReviewSettings:
    values = dict(
        every_months=3,
        report_due_days=30,
        reminder_days_before_due=[7, 1],
        review_days=14,
        revision_days=14,
        grace_days=10,
        lapse_days=20,
        reviewers=[REVIEWER],
    )
    return ReviewSettings(**{**values, **overrides})


async def _in_force(own_ts_env, settings, db, mailbox, review):
    """A one-signatory campaign whose pact is in force; returns (seeded, pledge handle, in_force_at)."""
    with session_scope(db) as session:
        users.get_or_create_user(session, email=REVIEWER, name="Monitor", role=Role.reviewer, actor="test")
    seeded = factories.campaign_with_invitees(
        db,
        count=1,
        policy=ChasePolicy(
            quiet_hours=QuietHours(enabled=False), reminder_days=[], reminder_days_before_deadline=[]
        ),
        review=review,
    )
    factories.launch(db, seeded.campaign.id)
    await workflow_client.start_campaign(own_ts_env.client, settings, seeded.campaign.id)
    await mailbox.wait_for_async(1)
    pledge = workflow_client.pledge_handle(own_ts_env.client, seeded.campaign.id, seeded.organisations[0].id)
    await pledge.execute_update(
        PledgeWorkflow.sign,
        SignRequest(
            invitation_id=seeded.invitations[0].id, signer_name="Kofi", signer_title="CEO", consent=True
        ),
    )
    view = await eventually(
        lambda: pledge.query(PledgeWorkflow.view), lambda v: v.pact_in_force_at is not None
    )
    return seeded, pledge, view.pact_in_force_at


def mails(mailbox, kind):
    return [m for m in mailbox.messages if m.kind == kind]


async def _skip_to(own_ts_env, moment) -> None:
    now = await own_ts_env.get_current_time()
    if moment > now:
        await own_ts_env.sleep(moment - now)


async def _cycle(own_ts_env, seeded, cycle):
    handle = workflow_client.review_handle(
        own_ts_env.client, seeded.campaign.id, seeded.organisations[0].id, cycle
    )
    view = await eventually(lambda: _view(handle), lambda v: v is not None and v.phase == "awaiting_report")
    return handle, view


async def _view(handle):
    from temporalio.service import RPCError

    try:
        return await handle.query(ReviewCycleWorkflow.view)
    except RPCError:  # not started yet
        return None


async def _submit(own_ts_env, db, handle, report_id, statuses=ItemStatus.implemented):
    now = await own_ts_env.get_current_time()  # the workflows' clock, not the wall clock
    with session_scope(db) as session:
        report = reports.get_or_raise(session, report_id)
        keys = [i.commitment_key for i in reports.items_of(session, report_id)]
        reports.save_draft(
            session,
            report=report,
            items={
                k: ItemInput(status=statuses, narrative=f"Done: {k}", links=["https://evidence.example/" + k])
                for k in keys
            },
            actor="test",
        )
        reports.submit(session, report=report, at=now, actor="test")
    with Session(db) as session:
        report = reports.get_or_raise(session, report_id)
        event = ReportSubmitted(report_id=report_id, version=report.version, on_time=bool(report.on_time))
    return await handle.execute_update(ReviewCycleWorkflow.report_submitted, event)


async def _decide(own_ts_env, db, handle, report_id, accept, comments=None):
    now = await own_ts_env.get_current_time()
    with session_scope(db) as session:
        report = reports.get_or_raise(session, report_id)
        reports.decide(
            session,
            report=report,
            accept=accept,
            comments=comments or {},
            note="" if accept else "Please add evidence",
            reviewer_email=REVIEWER,
            at=now,
        )
    return await handle.execute_update(
        ReviewCycleWorkflow.report_decided,
        ReportDecided(report_id=report_id, accepted=accept, reviewer=REVIEWER),
    )


async def _finished(handle):
    return await handle.result()


async def test_on_time_then_late_with_reminders_then_sent_back_and_resubmitted(
    own_ts_env, settings, db, mailbox
):
    async with running_workers(own_ts_env.client, settings, db):
        seeded, pledge, in_force = await _in_force(own_ts_env, settings, db, mailbox, settings_for())

        # Cycle 1, on time: request, submit, accept; standing stays good.
        from services.reviews.calendar import add_months

        opens = add_months(in_force, 3)
        await _skip_to(own_ts_env, opens + timedelta(minutes=1))
        handle, view = await _cycle(own_ts_env, seeded, 1)
        [request] = await eventually(lambda: _async(mails(mailbox, "report_request")), lambda m: len(m) == 1)
        assert request.recipients == [seeded.contacts[0].email]
        assert view.due_at.replace(microsecond=0) == (opens + 30 * DAY).replace(microsecond=0)
        await _submit(own_ts_env, db, handle, view.report_id)
        await eventually(lambda: _async(mails(mailbox, "review_request")), lambda m: len(m) == 1)
        assert mails(mailbox, "review_request")[0].recipients == [REVIEWER]
        await _decide(own_ts_env, db, handle, view.report_id, accept=True)
        result = await _finished(handle)
        assert (result.accepted, result.standing, result.versions) == (True, "good", 1)
        assert len(mails(mailbox, "report_reminder")) == 0
        with Session(db) as session:
            assert reports.get_or_raise(session, view.report_id).on_time is True

        # Cycle 2, late: both reminders, then overdue at the due date.
        opens2 = add_months(in_force, 6)
        await _skip_to(own_ts_env, opens2 + timedelta(minutes=1))
        handle, view = await _cycle(own_ts_env, seeded, 2)
        due = view.due_at
        await _skip_to(own_ts_env, due + timedelta(hours=1))
        reminders = await eventually(lambda: _async(mails(mailbox, "report_reminder")), lambda m: len(m) == 2)
        assert [m.date for m in reminders] == [
            (due - 7 * DAY).replace(microsecond=0),
            (due - DAY).replace(microsecond=0),
        ]
        assert [m.subject.split(":")[0] for m in reminders] == ["Reminder 1 of 2", "Reminder 2 of 2"]
        changes = await eventually(lambda: _async(mails(mailbox, "standing_changed")), lambda m: len(m) == 2)
        assert sorted(r for m in changes for r in m.recipients) == sorted(
            [seeded.contacts[0].email, seeded.coordinator.email]
        )
        with Session(db) as session:
            assert (
                reports.standing_of(
                    session, campaign_id=seeded.campaign.id, organisation_id=seeded.organisations[0].id
                )
                is Standing.overdue
            )
        # Sent back with comments, revised, resubmitted, accepted: good standing again.
        await _submit(own_ts_env, db, handle, view.report_id)
        first = view.report_id
        await _decide(
            own_ts_env, db, handle, first, accept=False, comments={"c1": "Publish the fee schedule online"}
        )
        revision = await eventually(
            lambda: handle.query(ReviewCycleWorkflow.view),
            lambda v: v.phase == "awaiting_report" and v.version == 2,
        )
        [sent_back] = await eventually(
            lambda: _async(mails(mailbox, "report_sent_back")), lambda m: len(m) == 1
        )
        assert sent_back.recipients == [seeded.contacts[0].email]
        with Session(db) as session:
            assert reports.get_or_raise(session, first).status is ReportStatus.sent_back
            carried = reports.items_of(session, revision.report_id)
            assert all(i.status is ItemStatus.implemented for i in carried), "answers are carried over"
            assert reports.get_or_raise(session, first).on_time is False
        await _submit(own_ts_env, db, handle, revision.report_id)
        await _decide(own_ts_env, db, handle, revision.report_id, accept=True)
        result = await _finished(handle)
        assert (result.accepted, result.standing, result.versions) == (True, "good", 2)
        await eventually(lambda: _async(mails(mailbox, "standing_changed")), lambda m: len(m) == 4)
        description = await pledge.describe()
        assert description.status.name == "RUNNING", "the pledge lives on into the next cycle"


async def _async(value):
    return value


async def test_escalated_then_lapsed_then_restored(own_ts_env, settings, db, mailbox):
    async with running_workers(own_ts_env.client, settings, db):
        seeded, _, in_force = await _in_force(own_ts_env, settings, db, mailbox, settings_for())
        from services.reviews.calendar import add_months

        await _skip_to(own_ts_env, add_months(in_force, 3) + timedelta(minutes=1))
        handle, view = await _cycle(own_ts_env, seeded, 1)
        due = view.due_at

        async def standing():
            with Session(db) as session:
                return reports.standing_of(
                    session, campaign_id=seeded.campaign.id, organisation_id=seeded.organisations[0].id
                )

        await _skip_to(own_ts_env, due + 11 * DAY)  # past the 10-day grace: non-compliant
        await eventually(standing, lambda s: s is Standing.non_compliant)
        await _skip_to(own_ts_env, due + 29 * DAY)  # the ladder counts from the due date (28 days: level 1)
        escalations = await eventually(
            lambda: _async(mails(mailbox, "report_escalation")), lambda m: len(m) == 1
        )
        assert seeded.contacts[0].email in escalations[0].recipients
        await _skip_to(own_ts_env, due + 31 * DAY)  # grace + 20 days: lapsed
        await eventually(standing, lambda s: s is Standing.lapsed)
        register = (seeded.campaign.register_key,)
        assert register
        # A late report, accepted, restores good standing.
        await _submit(own_ts_env, db, handle, view.report_id)
        await _decide(own_ts_env, db, handle, view.report_id, accept=True)
        result = await _finished(handle)
        assert (result.accepted, result.standing) == (True, "good")
        await eventually(standing, lambda s: s is Standing.good)
        tos = [m for m in mails(mailbox, "standing_changed") if seeded.contacts[0].email in m.recipients]
        assert len(tos) == 4
        from sqlmodel import select

        from models.audit import AuditEntry

        with Session(db) as session:
            changes = session.exec(
                select(AuditEntry).where(AuditEntry.kind == "standing.changed").order_by(AuditEntry.seq)
            ).all()
        assert [c.data["to"] for c in changes] == ["overdue", "non_compliant", "lapsed", "good"]


async def test_history_stays_short_over_many_cycles(own_ts_env, settings, db, mailbox):
    cycles = 8
    async with running_workers(own_ts_env.client, settings, db):
        seeded, pledge, in_force = await _in_force(own_ts_env, settings, db, mailbox, settings_for())
        from services.reviews.calendar import add_months

        for cycle in range(1, cycles + 1):
            await _skip_to(own_ts_env, add_months(in_force, 3 * cycle) + timedelta(minutes=1))
            handle, view = await _cycle(own_ts_env, seeded, cycle)
            await _submit(own_ts_env, db, handle, view.report_id)
            await _decide(own_ts_env, db, handle, view.report_id, accept=True)
            await _finished(handle)
        await _skip_to(own_ts_env, add_months(in_force, 3 * cycles) + 2 * DAY)
        history = await pledge.fetch_history()
        assert len(history.events) < 40, f"the current run has {len(history.events)} events"
        from services.audit.history.export import fetch_chain

        chain = await fetch_chain(own_ts_env.client, pledge.id)
        assert len(chain) == cycles + 1, "one run per cycle, plus the one that waits for the next"
        assert max(len(run.events) for run in chain) < 60
        with Session(db) as session:
            for cycle in range(1, cycles + 1):
                report = reports.latest(
                    session,
                    campaign_id=seeded.campaign.id,
                    organisation_id=seeded.organisations[0].id,
                    cycle=cycle,
                )
                assert report is not None and report.status is ReportStatus.accepted


@pytest.mark.parametrize("cadence", ["windows"])
def test_calendar_windows_and_month_ends(cadence):
    from datetime import UTC, datetime

    from models.review import ReportWindow
    from services.reviews.calendar import add_months, cycle_times

    assert add_months(datetime(2027, 1, 31, tzinfo=UTC), 1) == datetime(2027, 2, 28, tzinfo=UTC)
    every = settings_for()
    times = cycle_times(every, in_force_at=datetime(2027, 1, 31, 9, tzinfo=UTC), cycle=2, timezone="UTC")
    assert (times.period_start, times.opens_at) == (
        datetime(2027, 4, 30, 9, tzinfo=UTC),
        datetime(2027, 7, 31, 9, tzinfo=UTC),
    )
    windows = ReviewSettings(windows=[ReportWindow(start="04-01", end="06-30")], reviewers=[])
    first = cycle_times(
        windows, in_force_at=datetime(2027, 5, 10, tzinfo=UTC), cycle=1, timezone="Africa/Accra"
    )
    assert (
        first.opens_at.date().isoformat() == "2028-04-01" and first.due_at.date().isoformat() == "2028-07-01"
    )
    assert first.closes_at.date().isoformat() == "2029-04-01"


async def test_a_coordinator_opens_the_next_cycle_now_through_the_api(own_ts_env, settings, db, mailbox):
    import httpx

    from api.app import create_app

    async def connect():
        return own_ts_env.client

    app = create_app(settings, engine=db, connect_temporal=connect)
    async with (
        running_workers(own_ts_env.client, settings, db),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as site,
    ):
        seeded, _pledge, in_force = await _in_force(own_ts_env, settings, db, mailbox, settings_for())
        headers = {"Authorization": f"Bearer {seeded.token}"}
        await eventually(
            lambda: workflow_client.campaign_progress(own_ts_env.client, seeded.campaign.id),
            lambda p: p.status == "in_force",
        )
        answer = await site.post(f"/campaigns/{seeded.campaign.id}/review-cycles/next", headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"campaign_id": seeded.campaign.id, "cycle": 1}
        # Months before its date: the report request goes out now.
        handle, view = await _cycle(own_ts_env, seeded, 1)
        now = await own_ts_env.get_current_time()
        assert now < in_force + 30 * DAY
        [request] = await eventually(lambda: _async(mails(mailbox, "report_request")), lambda m: len(m) == 1)
        assert request.recipients == [seeded.contacts[0].email]
        assert abs(view.due_at - (now + 30 * DAY)) < DAY
        await _submit(own_ts_env, db, handle, view.report_id)
        await _decide(own_ts_env, db, handle, view.report_id, accept=True)
        assert (await _finished(handle)).accepted
        # The next one too, numbered from the reports there are.
        second = await site.post(f"/campaigns/{seeded.campaign.id}/review-cycles/next", headers=headers)
        assert second.status_code == 200 and second.json()["cycle"] == 2
        await _cycle(own_ts_env, seeded, 2)
        await eventually(lambda: _async(mails(mailbox, "report_request")), lambda m: len(m) == 2)
        lifecycle = (await site.get(f"/campaigns/{seeded.campaign.id}/lifecycle", headers=headers)).json()
        assert [e["detail"] for e in lifecycle if e["action"] == "open_review_cycle"] == [
            "cycle 1",
            "cycle 2",
        ]
        assert all(seeded.coordinator.email in e["actor"] for e in lifecycle)
