"""Reminders, the escalation ladder, quiet hours, extension and expiry, in skipped time.

Each test asserts the exact sequence and Date of the emails the SMTP server receives.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from sqlmodel import Session
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus

from models.invitation import InvitationStatus
from models.policy import ChasePolicy, LadderLevel, QuietHours, RecipientRole
from services import invitations
from tests import factories
from tests.helpers import eventually, running_workers
from workflows import client as workflow_client
from workflows.campaign import CampaignWorkflow
from workflows.campaign_messages import ExtendDeadline
from workflows.chasing import ChasePlan
from workflows.pledge import PledgeWorkflow
from workflows.pledge_messages import PledgeInput, ReopenRequest, SignRequest
from workflows.quiet_hours import QuietWindow

pytestmark = pytest.mark.any_database  # when each email goes out; the records have their own db tests

DAY = timedelta(days=1)
CHASE_KINDS = ("reminder", "escalation", "expiry_notice", "deadline_extended")
NO_QUIET = QuietHours(enabled=False)


def chase_mails(mailbox):
    return [m for m in mailbox.messages if m.kind in CHASE_KINDS]


async def _launch(own_ts_env, settings, db, mailbox, held_for=None, **kwargs):
    """Launch now; `held_for`: skip that long first when the invitations wait for quiet hours."""
    seeded = factories.campaign_with_invitees(db, **kwargs)
    factories.launch(db, seeded.campaign.id)
    await workflow_client.start_campaign(own_ts_env.client, settings, seeded.campaign.id)
    if held_for is not None:
        await own_ts_env.sleep(held_for)
    found = await mailbox.wait_for_async(len(seeded.organisations), subject_contains="Invitation")
    assert len(found) == len(seeded.organisations)
    handle = workflow_client.pledge_handle(own_ts_env.client, seeded.campaign.id, seeded.organisations[0].id)
    view = await eventually(
        lambda: handle.query(PledgeWorkflow.view), lambda v: v.chase_started_at is not None
    )
    return seeded, handle, view.chase_started_at.replace(microsecond=0)  # Date headers keep seconds


async def _skip_to(own_ts_env, moment: datetime) -> None:
    now = await own_ts_env.get_current_time()
    if moment > now:
        await own_ts_env.sleep(moment - now)


async def _wait_chase(mailbox, count):
    found = await eventually(lambda _=None: _async(chase_mails(mailbox)), lambda m: len(m) >= count)
    return found


async def _async(value):
    return value


LADDER = ChasePolicy(reminder_days=[7, 14, 21], reminder_days_before_deadline=[], quiet_hours=NO_QUIET)


async def test_whole_ladder_in_order_at_exact_times(own_ts_env, settings, db, mailbox):
    async with running_workers(own_ts_env.client, settings, db):
        seeded, handle, start = await _launch(
            own_ts_env,
            settings,
            db,
            mailbox,
            count=1,
            policy=LADDER,
            supervisors=True,
            focal_point_email="focal@regional.example",
        )
        contact = seeded.contacts[0].email
        expected = [
            ("reminder", [contact], 7, "Reminder 1 of 3"),
            ("reminder", [contact], 14, "Reminder 2 of 3"),
            ("reminder", [contact], 21, "Reminder 3 of 3"),
            ("escalation", [contact], 28, "Escalation level 1 of 4"),
            ("escalation", ["head1@org1.example", contact], 35, "Escalation level 2 of 4"),
            ("escalation", [seeded.coordinator.email], 42, "Escalation level 3 of 4"),
            ("escalation", ["focal@regional.example"], 49, "Escalation level 4 of 4"),
        ]
        for index, (kind, recipients, days, subject) in enumerate(expected, start=1):
            await _skip_to(own_ts_env, start + days * DAY + timedelta(minutes=1))
            mails = await _wait_chase(mailbox, index)
            mail = mails[index - 1]
            assert (mail.kind, mail.recipients, mail.date) == (kind, recipients, start + days * DAY), (
                mail.subject
            )
            assert subject in mail.subject
        assert "head1@org1.example" in mails[4].to and contact in mails[4].cc
        assert "unresponsive" in mails[6].text
        await _skip_to(own_ts_env, start + 80 * DAY)
        assert len(chase_mails(mailbox)) == len(expected)
        with Session(db) as session:
            assert (
                invitations.get_or_raise(session, seeded.invitations[0].id).status
                is InvitationStatus.unresponsive
            )
        # Still able to sign after the ladder ran out.
        await handle.execute_update(
            PledgeWorkflow.sign,
            SignRequest(
                invitation_id=seeded.invitations[0].id,
                signer_name="Late Signer",
                signer_title="Head",
                consent=True,
            ),
        )


@pytest.mark.parametrize("sign_on_day", [1, 15, 29, 36, 43])
async def test_the_chase_stops_when_the_contact_signs(own_ts_env, settings, db, mailbox, sign_on_day):
    async with running_workers(own_ts_env.client, settings, db):
        seeded, handle, start = await _launch(
            own_ts_env,
            settings,
            db,
            mailbox,
            count=1,
            policy=LADDER,
            supervisors=True,
            focal_point_email="focal@regional.example",
        )
        await _skip_to(own_ts_env, start + sign_on_day * DAY)
        sent_before = len([d for d in (7, 14, 21, 28, 35, 42, 49) if d < sign_on_day])
        await _wait_chase(mailbox, sent_before)
        await handle.execute_update(
            PledgeWorkflow.sign,
            SignRequest(
                invitation_id=seeded.invitations[0].id, signer_name="Kofi", signer_title="CEO", consent=True
            ),
        )
        await mailbox.wait_for_async(1, subject_contains="Receipt")
        await _skip_to(own_ts_env, start + 90 * DAY)
        assert len(chase_mails(mailbox)) == sent_before
        assert (await handle.query(PledgeWorkflow.view)).next_step_at is None


def _next_friday_2200_utc(after: datetime) -> datetime:
    friday = after + timedelta(days=(4 - after.weekday()) % 7)
    moment = datetime.combine(friday.date(), time(22, 0), tzinfo=UTC)
    return moment if moment > after + timedelta(hours=1) else moment + 7 * DAY


async def test_quiet_hours_in_kathmandu_and_monrovia(own_ts_env, settings, db, mailbox):
    now = await own_ts_env.get_current_time()
    # Launch on a Friday at 22:00 UTC, so the first reminder falls due a week later at that hour.
    await _skip_to(own_ts_env, _next_friday_2200_utc(now))
    policy = ChasePolicy(reminder_days=[7], reminder_days_before_deadline=[], ladder=[])
    async with running_workers(own_ts_env.client, settings, db):
        seeded, _, start = await _launch(
            own_ts_env,
            settings,
            db,
            mailbox,
            count=2,
            policy=policy,
            timezones=["Asia/Kathmandu", "Africa/Monrovia"],
            held_for=3 * DAY,  # Friday 22:00 UTC is night (and then the weekend) in both zones
        )
        monday = start.date() + timedelta(days=3)
        invitations = {m.recipients[0]: m.date for m in mailbox.messages if m.kind == "invitation"}
        assert invitations == {
            seeded.contacts[0].email: datetime.combine(monday, time(8, 0), tzinfo=ZoneInfo("Asia/Kathmandu")),
            seeded.contacts[1].email: datetime.combine(
                monday, time(8, 0), tzinfo=ZoneInfo("Africa/Monrovia")
            ),
        }
        due = start + 7 * DAY
        assert due.weekday() == 4 and due.hour == 22
        await _skip_to(own_ts_env, due + 4 * DAY)
        mails = await _wait_chase(mailbox, 2)
        by_recipient = {m.recipients[0]: m.date for m in mails}
        monday = due.date() + timedelta(days=3)
        # Kathmandu (UTC+05:45): Saturday 03:45 local is the weekend; Monday 08:00 NPT is 02:15 UTC.
        kathmandu = datetime.combine(monday, time(8, 0), tzinfo=ZoneInfo("Asia/Kathmandu"))
        # Monrovia (UTC+00:00): Friday 22:00 is night, then the weekend; Monday 08:00 GMT.
        monrovia = datetime.combine(monday, time(8, 0), tzinfo=ZoneInfo("Africa/Monrovia"))
        assert by_recipient[seeded.contacts[0].email] == kathmandu.astimezone(UTC)
        assert by_recipient[seeded.contacts[1].email] == monrovia.astimezone(UTC)
        assert kathmandu.astimezone(UTC).time() == time(2, 15)


async def test_extending_the_deadline_replans_the_reminders(own_ts_env, settings, db, mailbox):
    today = (await own_ts_env.get_current_time()).date()
    deadline = today + timedelta(days=20)
    policy = ChasePolicy(
        reminder_days=[7], reminder_days_before_deadline=[3], ladder=[], quiet_hours=NO_QUIET
    )
    async with running_workers(own_ts_env.client, settings, db):
        seeded, _handle, start = await _launch(
            own_ts_env,
            settings,
            db,
            mailbox,
            count=1,
            policy=policy,
            deadline=deadline,
            campaign_timezone="UTC",
        )
        await _skip_to(own_ts_env, start + 8 * DAY)
        [first] = await _wait_chase(mailbox, 1)
        assert first.date == start + 7 * DAY and "Reminder 1 of 2" in first.subject
        # The contacts are in Ghana: Ghana's English writes the day first (CLDR en_GH).
        assert f"The deadline is {format_date(deadline, 'long', locale='en_GH')}" in first.text
        new_deadline = deadline + timedelta(days=14)
        campaign = workflow_client.campaign_handle(own_ts_env.client, seeded.campaign.id)
        await campaign.execute_update(
            CampaignWorkflow.extend_deadline,
            ExtendDeadline(deadline=new_deadline.isoformat(), actor="user:1"),
        )
        notice = (await _wait_chase(mailbox, 2))[1]
        assert (
            notice.kind == "deadline_extended"
            and format_date(new_deadline, "long", locale="en_GH") in notice.subject
        )
        old_reminder = datetime.combine(deadline + DAY, time(0), tzinfo=UTC) - 3 * DAY
        new_reminder = datetime.combine(new_deadline + DAY, time(0), tzinfo=UTC) - 3 * DAY
        new_expiry = datetime.combine(new_deadline + DAY, time(0), tzinfo=UTC)
        await _skip_to(own_ts_env, old_reminder + DAY)
        assert len(chase_mails(mailbox)) == 2, "no reminder on the old schedule"
        await _skip_to(own_ts_env, new_expiry + DAY)
        mails = await _wait_chase(mailbox, 4)
        assert [(m.kind, m.date) for m in mails[2:]] == [
            ("reminder", new_reminder),
            ("expiry_notice", new_expiry),
        ]
        assert f"The deadline is {format_date(new_deadline, 'long', locale='en_GH')}" in mails[2].text


async def test_expiry_then_reopening(own_ts_env, settings, db, mailbox):
    today = (await own_ts_env.get_current_time()).date()
    deadline = today + timedelta(days=10)
    policy = ChasePolicy(reminder_days=[], reminder_days_before_deadline=[], ladder=[], quiet_hours=NO_QUIET)
    async with running_workers(own_ts_env.client, settings, db):
        seeded, handle, _start = await _launch(
            own_ts_env,
            settings,
            db,
            mailbox,
            count=1,
            policy=policy,
            deadline=deadline,
            campaign_timezone="UTC",
        )
        expiry = datetime.combine(deadline + DAY, time(0), tzinfo=UTC)
        await _skip_to(own_ts_env, expiry + timedelta(hours=1))
        [notice] = await _wait_chase(mailbox, 1)
        assert notice.kind == "expiry_notice" and notice.date == expiry
        assert seeded.coordinator.email in notice.text
        with Session(db) as session:
            assert (
                invitations.get_or_raise(session, seeded.invitations[0].id).status is InvitationStatus.expired
            )
        progress = await eventually(
            lambda: workflow_client.campaign_progress(own_ts_env.client, seeded.campaign.id),
            lambda p: p.expired == 1,
        )
        assert progress.open == 0
        result = await handle.execute_update(
            PledgeWorkflow.reopen,
            ReopenRequest(deadline=(deadline + timedelta(days=30)).isoformat(), timezone="UTC"),
        )
        assert result.invitation_id == seeded.invitations[0].id
        fresh = await mailbox.wait_for_async(
            2, subject_contains="Invitation to sign", to=seeded.contacts[0].email
        )
        reopened = [m for m in fresh if "reopened" in m.text]
        assert reopened, "a fresh invitation says it was reopened"
        with Session(db) as session:
            invitation = invitations.get_or_raise(session, seeded.invitations[0].id)
            assert invitation.status is InvitationStatus.sent and invitation.deadline == deadline + timedelta(
                days=30
            )
        await handle.execute_update(
            PledgeWorkflow.sign,
            SignRequest(
                invitation_id=seeded.invitations[0].id, signer_name="Kofi", signer_title="CEO", consent=True
            ),
        )
        await eventually(
            lambda: workflow_client.campaign_progress(own_ts_env.client, seeded.campaign.id),
            lambda p: (p.signed, p.expired) == (1, 0),
        )


async def _start_pledge_with_plan(client, settings, seeded, plan):
    """A pledge workflow with a hand-made plan (as if it had been waiting since plan.started_at)."""
    invitation = seeded.invitations[0]
    return await client.start_workflow(
        PledgeWorkflow.run,
        PledgeInput(
            campaign_id=seeded.campaign.id,
            organisation_id=invitation.organisation_id,
            invitation_id=invitation.id,
            email_task_queue=settings.email_task_queue,
            plan=plan,
        ),
        id=f"pledge-{seeded.campaign.id}-{invitation.organisation_id}",
        task_queue=settings.task_queue,
    )


async def test_steps_that_fell_due_unseen_are_collapsed_into_one(own_ts_env, settings, db, mailbox):
    """The workflow wakes 22 days after the invitation, as it does when no worker ran meanwhile."""
    seeded = factories.campaign_with_invitees(db, count=1)
    factories.launch(db, seeded.campaign.id)
    now = await own_ts_env.get_current_time()
    plan = ChasePlan(
        started_at=now - 22 * DAY,
        reminder_days=[7, 14, 21],
        quiet=QuietWindow(enabled=False),
        timezones={"contact": "UTC"},
    )
    async with running_workers(own_ts_env.client, settings, db):
        handle = await _start_pledge_with_plan(own_ts_env.client, settings, seeded, plan)
        [reminder] = await _wait_chase(mailbox, 1)
        assert "Reminder 3 of 3" in reminder.subject and reminder.date >= now.replace(microsecond=0)
        await own_ts_env.sleep(30 * DAY)
        assert len(chase_mails(mailbox)) == 1
        view = await handle.query(PledgeWorkflow.view)
        assert view.reminders_sent == 1 and view.next_step_at is None


async def test_a_worker_down_over_two_reminders_sends_one_on_the_dev_server(dev_env, settings, db, mailbox):
    """Real time on the real server: two reminders fall due while no worker runs."""
    seeded = factories.campaign_with_invitees(db, count=1)
    factories.launch(db, seeded.campaign.id)
    now = datetime.now(UTC)
    plan = ChasePlan(
        started_at=now - 21 * DAY + timedelta(seconds=6),  # reminder 3 of "21 days after" in 6 s
        deadline_at=now + 3 * DAY + timedelta(seconds=8),  # "3 days before the deadline" in 8 s
        reminder_days=[7, 14, 21],
        reminder_days_before_deadline=[3],
        quiet=QuietWindow(enabled=False),
        timezones={"contact": "UTC"},
    )
    async with running_workers(dev_env.client, settings, db):
        handle = await _start_pledge_with_plan(dev_env.client, settings, seeded, plan)
        # Reminders 1 and 2 were already due at start: one email, not two.
        [first] = await _wait_chase(mailbox, 1)
        assert "Reminder 2 of 4" in first.subject
    # No worker runs now. Wait until the last reminder is due, then show from the history that
    # the last workflow task any worker completed came before either reminder was due: both
    # fell due unseen.
    assert plan.deadline_at is not None
    first_due, last_due = plan.started_at + 21 * DAY, plan.deadline_at - 3 * DAY
    await asyncio.sleep(max((last_due - datetime.now(UTC)).total_seconds(), 0) + 1)
    history = await handle.fetch_history()
    last_task_done = max(
        event.event_time.ToDatetime(tzinfo=UTC)
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    )
    assert last_task_done < first_due < last_due < datetime.now(UTC), "no worker saw the reminders fall due"
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    async with running_workers(dev_env.client, settings, db):
        mails = await _wait_chase(mailbox, 2)
        await asyncio.sleep(2)
        assert len(chase_mails(mailbox)) == 2, "one reminder after the restart, not a burst"
        assert "Reminder 4 of 4" in mails[1].subject
        view = await handle.query(PledgeWorkflow.view)
        assert view.reminders_sent == 2 and view.next_step_at == plan.deadline_at
        await handle.terminate("test over")


def test_policy_with_impossible_values_is_refused(db):
    from pledgeflow.errors import InvalidInput

    with pytest.raises(ValueError, match="negative delay"):
        ChasePolicy(ladder=[LadderLevel(after_days=-1, recipient=RecipientRole.contact)])
    with pytest.raises(ValueError, match="needs a recipient"):
        ChasePolicy(ladder=[LadderLevel(after_days=3, recipient=None)])
    with pytest.raises(ValueError, match="positive"):
        ChasePolicy(reminder_days=[-2])
    with pytest.raises(InvalidInput) as late:
        factories.campaign_with_invitees(
            db, count=0, deadline=date.today() + timedelta(days=10), policy=ChasePolicy(reminder_days=[7, 30])
        )
    assert late.value.errors[0].field == "policy.reminder_days[1]"
    with pytest.raises(InvalidInput) as no_focal:
        factories.campaign_with_invitees(
            db,
            count=0,
            prefix="B ",
            policy=ChasePolicy(ladder=[LadderLevel(after_days=5, recipient=RecipientRole.focal_point)]),
        )
    assert no_focal.value.errors[0].field == "policy.ladder[0].recipient"
