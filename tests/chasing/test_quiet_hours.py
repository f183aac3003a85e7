"""Quiet hours for every email to a signatory, in skipped time: the exact local time of each kind.

A contact in Asia/Kathmandu (UTC+05:45) with quiet hours 22:00-07:00 (no weekend, so the day the
test runs does not matter). Invitations, deadline notices, expiry, reopening, cancellation and the
in-force announcement wait for 07:00 local; a receipt answers the signatory's own action at once.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from temporalio.service import RPCError

from models.policy import ChasePolicy, QuietHours
from models.quorum import StakeholderGroup
from models.user import Role
from pledgeflow.db import session_scope
from pledgeflow.dev.mail_sink import ReceivedMail
from services import users
from services.audit.history.replay import replay
from tests import factories
from tests.helpers import eventually, running_workers
from workflows import client as workflow_client
from workflows.campaign import CampaignWorkflow
from workflows.campaign_messages import AddInvitees, EndCampaign, ExtendDeadline
from workflows.pledge import PledgeWorkflow
from workflows.pledge_messages import DelegateRequest, ReopenRequest, SignRequest
from workflows.quiet_hours import QuietWindow, next_allowed

pytestmark = pytest.mark.any_database  # when each email goes out; the records have their own db tests

NPT = ZoneInfo("Asia/Kathmandu")
ACCRA = ZoneInfo("Africa/Accra")
DAY = timedelta(days=1)
NIGHTS = QuietHours.model_validate({"enabled": True, "start": "22:00", "end": "07:00", "weekend": []})
POLICY = ChasePolicy(reminder_days=[], reminder_days_before_deadline=[], ladder=[], quiet_hours=NIGHTS)
WINDOW = QuietWindow(enabled=True, start="22:00", end="07:00", weekend=[])


async def _skip_to(own_ts_env, moment: datetime) -> None:
    now = await own_ts_env.get_current_time()
    assert moment > now, f"{moment} is already past ({now})"
    await own_ts_env.sleep(moment - now)


async def _next_utc(own_ts_env, at: time) -> datetime:
    """The next moment at `at` UTC, at least a minute away."""
    now = await own_ts_env.get_current_time()
    moment = datetime.combine(now.date(), at, tzinfo=UTC)
    while moment <= now + timedelta(minutes=1):
        moment += DAY
    return moment


def _of_kind(mailbox, kind: str) -> list[ReceivedMail]:
    return [m for m in mailbox.messages if m.kind == kind]


async def _mails(mailbox, kind: str, count: int) -> list[ReceivedMail]:
    async def probe():
        return _of_kind(mailbox, kind)

    return await eventually(probe, lambda found: len(found) >= count)


async def _none_yet(mailbox, kind: str) -> None:
    await asyncio.sleep(1.0)  # a worker that would send now has had the time to
    assert _of_kind(mailbox, kind) == []


def _local(moment: datetime, zone: ZoneInfo = NPT) -> datetime:
    return moment.astimezone(zone)


async def _start(own_ts_env, settings, db, **kwargs):
    seeded = factories.campaign_with_invitees(db, **kwargs)
    factories.launch(db, seeded.campaign.id)
    await workflow_client.start_campaign(own_ts_env.client, settings, seeded.campaign.id)
    handles = [
        workflow_client.pledge_handle(own_ts_env.client, seeded.campaign.id, o.id)
        for o in seeded.organisations
    ]
    for handle in handles:  # every pledge workflow runs (its link works) even if its mail waits
        await eventually(lambda h=handle: _view_or_none(h), lambda v: v is not None and v.chase_started_at)
    return seeded, handles


async def _view_or_none(handle):
    """The pledge's view, or None while the launch batch has not started its workflow yet."""
    try:
        return await handle.query(PledgeWorkflow.view)
    except RPCError:
        return None


async def _sign(handle, invitation_id: int) -> None:
    await handle.execute_update(
        PledgeWorkflow.sign,
        SignRequest(
            invitation_id=invitation_id, signer_name="Sita Sharma", signer_title="Chair", consent=True
        ),
    )


def test_the_one_rule_moves_a_night_email_to_the_morning_and_leaves_a_day_email():
    launch = datetime(2026, 12, 1, 18, 20, tzinfo=UTC)
    assert _local(launch).time() == time(0, 5)
    assert next_allowed(launch, "Asia/Kathmandu", WINDOW) == datetime(2026, 12, 2, 1, 15, tzinfo=UTC)
    afternoon = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # 17:45 in Kathmandu
    assert next_allowed(afternoon, "Asia/Kathmandu", WINDOW) == afternoon
    assert next_allowed(launch, "Africa/Accra", WINDOW) == launch  # 18:20 in Accra: working hours


async def test_invitation_and_extension_wait_for_0700_in_kathmandu_and_the_receipt_does_not(
    own_ts_env, settings, db, mailbox
):
    launch = await _next_utc(own_ts_env, time(18, 20))  # 00:05 in Kathmandu
    await _skip_to(own_ts_env, launch)
    deadline = launch.date() + timedelta(days=30)
    async with running_workers(own_ts_env.client, settings, db):
        seeded, [handle] = await _start(
            own_ts_env,
            settings,
            db,
            count=1,
            policy=POLICY,
            timezones=["Asia/Kathmandu"],
            campaign_timezone="Asia/Kathmandu",
            deadline=deadline,
        )
        morning = datetime.combine(launch.date() + DAY, time(7, 0), tzinfo=NPT)
        assert _local(launch).time() == time(0, 5) and morning.astimezone(UTC).time() == time(1, 15)
        await _none_yet(mailbox, "invitation")
        await _skip_to(own_ts_env, morning - timedelta(minutes=1))
        await _none_yet(mailbox, "invitation")
        await _skip_to(own_ts_env, morning + timedelta(minutes=1))
        [invitation] = await _mails(mailbox, "invitation", 1)
        assert invitation.recipients == [seeded.contacts[0].email]
        assert _local(invitation.date) == morning
        progress = await workflow_client.campaign_progress(own_ts_env.client, seeded.campaign.id)
        assert (progress.invited, progress.undeliverable) == (1, 0)

        # The coordinator extends the deadline at 00:05 the next night: the notice waits too.
        await _skip_to(own_ts_env, launch + DAY)
        campaign = workflow_client.campaign_handle(own_ts_env.client, seeded.campaign.id)
        new_deadline = (deadline + timedelta(days=14)).isoformat()
        await campaign.execute_update(
            CampaignWorkflow.extend_deadline, ExtendDeadline(deadline=new_deadline, actor="user:1")
        )
        await _none_yet(mailbox, "deadline_extended")
        await _skip_to(own_ts_env, morning + DAY + timedelta(minutes=1))
        [notice] = await _mails(mailbox, "deadline_extended", 1)
        assert (
            _local(notice.date) == morning + DAY
            and format_date(date.fromisoformat(new_deadline), "long", locale="en_GH") in notice.subject
        )

        # The contact signs at 23:30 local: the receipt answers them at once.
        signing = datetime.combine(launch.date() + 2 * DAY, time(23, 30), tzinfo=NPT)
        await _skip_to(own_ts_env, signing)
        await _sign(handle, seeded.invitations[0].id)
        [receipt] = await _mails(mailbox, "signature_confirmation", 1)
        signed_at = (await handle.query(PledgeWorkflow.view)).signed_at
        assert receipt.date == signed_at.replace(microsecond=0)
        assert _local(receipt.date).replace(second=0) == signing
        to_contact = [m.kind for m in mailbox.messages if seeded.contacts[0].email in m.recipients]
        assert to_contact == ["invitation", "deadline_extended", "signature_confirmation"]


async def test_a_launch_in_the_day_sends_at_once_and_expiry_reopening_cancellation_wait(
    own_ts_env, settings, db, mailbox
):
    launch = await _next_utc(own_ts_env, time(6, 15))  # 12:00 in Kathmandu
    await _skip_to(own_ts_env, launch)
    deadline = launch.date() + 2 * DAY
    async with running_workers(own_ts_env.client, settings, db):
        seeded, [handle] = await _start(
            own_ts_env,
            settings,
            db,
            count=1,
            policy=POLICY,
            timezones=["Asia/Kathmandu"],
            campaign_timezone="Asia/Kathmandu",
            deadline=deadline,
        )
        [invitation] = await _mails(mailbox, "invitation", 1)
        assert invitation.date == launch, "a launch in working hours goes in the batch at once"

        # Expiry at midnight local: the invitation closes then, the notice goes at 07:00.
        expiry = datetime.combine(deadline + DAY, time(0, 0), tzinfo=NPT)
        morning = expiry + timedelta(hours=7)
        await _skip_to(own_ts_env, expiry + timedelta(minutes=5))
        view = await eventually(lambda: handle.query(PledgeWorkflow.view), lambda v: v.status == "expired")
        assert view.status == "expired"
        await _none_yet(mailbox, "expiry_notice")
        await _skip_to(own_ts_env, morning + timedelta(minutes=1))
        [notice] = await _mails(mailbox, "expiry_notice", 1)
        assert _local(notice.date) == morning

        # Reopened by the coordinator at 23:00 local: the fresh link waits for the morning.
        reopening = datetime.combine(expiry.date(), time(23, 0), tzinfo=NPT)
        await _skip_to(own_ts_env, reopening)
        await handle.execute_update(
            PledgeWorkflow.reopen,
            ReopenRequest(deadline=(deadline + timedelta(days=20)).isoformat(), timezone="Asia/Kathmandu"),
        )
        await asyncio.sleep(1.0)
        assert len(_of_kind(mailbox, "invitation")) == 1
        await _skip_to(own_ts_env, morning + DAY + timedelta(minutes=1))
        reopened = (await _mails(mailbox, "invitation", 2))[1]
        assert _local(reopened.date) == morning + DAY and "reopened" in reopened.text

        # Cancelled at 02:00 local: the notice goes at 07:00.
        cancelling = datetime.combine(expiry.date() + 2 * DAY, time(2, 0), tzinfo=NPT)
        await _skip_to(own_ts_env, cancelling)
        campaign = workflow_client.campaign_handle(own_ts_env.client, seeded.campaign.id)
        await campaign.execute_update(CampaignWorkflow.cancel, EndCampaign(actor="user:1", reason="funding"))
        await _none_yet(mailbox, "campaign_cancelled")
        await _skip_to(own_ts_env, morning + 2 * DAY + timedelta(minutes=1))
        [cancelled] = await _mails(mailbox, "campaign_cancelled", 1)
        assert _local(cancelled.date) == morning + 2 * DAY
        assert [m.kind for m in mailbox.messages if seeded.contacts[0].email in m.recipients] == [
            "invitation",
            "expiry_notice",
            "invitation",
            "campaign_cancelled",
        ]


async def test_the_in_force_announcement_reaches_each_signatory_in_their_own_hours(
    own_ts_env, settings, db, mailbox
):
    launch = await _next_utc(own_ts_env, time(12, 0))  # 17:45 in Kathmandu, 12:00 in Accra
    await _skip_to(own_ts_env, launch)
    async with running_workers(own_ts_env.client, settings, db):
        seeded = factories.campaign_with_invitees(
            db,
            count=2,
            policy=POLICY,
            timezones=["Asia/Kathmandu", "Africa/Accra"],
            quorum=[
                StakeholderGroup.model_validate(
                    {"name": "everyone", "kinds": ["trade_association"], "rule": "all"}
                )
            ],
        )
        factories.launch(db, seeded.campaign.id)
        await workflow_client.start_campaign(own_ts_env.client, settings, seeded.campaign.id)
        await _mails(mailbox, "invitation", 2)
        kathmandu, accra = (
            workflow_client.pledge_handle(own_ts_env.client, seeded.campaign.id, o.id)
            for o in seeded.organisations
        )
        await _sign(kathmandu, seeded.invitations[0].id)
        # The last signature at 18:20 UTC: 00:05 in Kathmandu, 18:20 in Accra.
        in_force = launch + timedelta(hours=6, minutes=20)
        await _skip_to(own_ts_env, in_force)
        await _sign(accra, seeded.invitations[1].id)
        announced = await _mails(mailbox, "pact_in_force", 2)
        await _none_yet_beyond(mailbox, "pact_in_force", 2)
        by_recipient = {m.recipients[0]: m.date for m in announced}
        assert set(by_recipient) == {seeded.contacts[1].email, seeded.coordinator.email}
        assert all(in_force <= d <= in_force + timedelta(seconds=5) for d in by_recipient.values())
        morning = datetime.combine(_local(in_force).date(), time(7, 0), tzinfo=NPT)
        await _skip_to(own_ts_env, morning + timedelta(minutes=1))
        announced = await _mails(mailbox, "pact_in_force", 3)
        assert announced[2].recipients == [seeded.contacts[0].email]
        assert _local(announced[2].date) == morning
        assert "Organisation 1" in announced[2].text and "Organisation 2" in announced[2].text
        await asyncio.sleep(0.5)
        assert len(_of_kind(mailbox, "pact_in_force")) == 3, "one announcement each"


async def _none_yet_beyond(mailbox, kind: str, count: int) -> None:
    await asyncio.sleep(1.0)
    assert len(_of_kind(mailbox, kind)) == count


async def test_review_emails_wait_for_the_morning_in_kathmandu(own_ts_env, settings, db, mailbox):
    from services.reviews.calendar import add_months
    from tests.reviews.test_cycles import REVIEWER, _cycle, _decide, _submit, settings_for

    with session_scope(db) as session:
        users.get_or_create_user(session, email=REVIEWER, name="Monitor", role=Role.reviewer, actor="test")
    launch = await _next_utc(own_ts_env, time(12, 0))  # 17:45 in Kathmandu
    await _skip_to(own_ts_env, launch)
    async with running_workers(own_ts_env.client, settings, db):
        seeded, [pledge] = await _start(
            own_ts_env,
            settings,
            db,
            count=1,
            policy=POLICY,
            timezones=["Asia/Kathmandu"],
            campaign_timezone="Asia/Kathmandu",
            review=settings_for(),
        )
        await _mails(mailbox, "invitation", 1)
        # Signed at 00:05 local: the receipt at once, the pact (one signatory) in force at once,
        # its announcement to the signatory at 07:00.
        signing = launch + timedelta(hours=6, minutes=20)
        await _skip_to(own_ts_env, signing)
        await _sign(pledge, seeded.invitations[0].id)
        [receipt] = await _mails(mailbox, "signature_confirmation", 1)
        assert _local(receipt.date).replace(second=0, microsecond=0).time() == time(0, 5)
        view = await eventually(lambda: pledge.query(PledgeWorkflow.view), lambda v: v.pact_in_force_at)
        in_force = view.pact_in_force_at
        assert in_force is not None
        morning = datetime.combine(_local(in_force).date(), time(7, 0), tzinfo=NPT)
        contact = seeded.contacts[0].email
        await _skip_to(own_ts_env, morning + timedelta(minutes=1))
        [announced] = [m for m in await _mails(mailbox, "pact_in_force", 2) if contact in m.recipients]
        assert _local(announced.date) == morning

        # The cycle opens at 00:05 local three months on: the report request goes at 07:00.
        opens = add_months(in_force, 3)
        assert _local(opens).time().replace(second=0, microsecond=0) == time(0, 5)
        await _skip_to(own_ts_env, opens + timedelta(minutes=1))
        handle, cycle = await _cycle(own_ts_env, seeded, 1)
        await _none_yet(mailbox, "report_request")
        request_morning = datetime.combine(_local(opens).date(), time(7, 0), tzinfo=NPT)
        await _skip_to(own_ts_env, request_morning + timedelta(minutes=1))
        [request] = await _mails(mailbox, "report_request", 1)
        assert request.recipients == [contact] and _local(request.date) == request_morning

        # Submitted at 23:00 local: the reviewer (the campaign's zone) is asked at 07:00.
        submitting = request_morning + timedelta(hours=16)
        await _skip_to(own_ts_env, submitting)
        await _submit(own_ts_env, db, handle, cycle.report_id)
        await _none_yet(mailbox, "review_request")
        await _skip_to(own_ts_env, request_morning + DAY + timedelta(minutes=1))
        [review_request] = await _mails(mailbox, "review_request", 1)
        assert review_request.recipients == [REVIEWER]
        assert _local(review_request.date) == request_morning + DAY

        # Accepted by the reviewer at 23:30 local: the signatory hears at 07:00.
        await _skip_to(own_ts_env, request_morning + DAY + timedelta(hours=16, minutes=30))
        await _decide(own_ts_env, db, handle, cycle.report_id, accept=True)
        await _none_yet(mailbox, "report_accepted")
        await _skip_to(own_ts_env, request_morning + 2 * DAY + timedelta(minutes=1))
        [accepted] = await _mails(mailbox, "report_accepted", 1)
        assert accepted.recipients == [contact] and _local(accepted.date) == request_morning + 2 * DAY
        result = await handle.result()
        assert (result.accepted, result.standing) == (True, "good")
        # The new code path (emails held in state, sent by timer) replays deterministically.
        for run in (handle, pledge):
            verdict = await replay(
                await run.fetch_history(), workflows=workflow_client.registered_workflows()
            )
            assert verdict.clean, verdict.describe()


async def test_a_delegation_at_night_confirms_at_once_and_invites_the_colleague_at_0700(
    own_ts_env, settings, db, mailbox
):
    launch = await _next_utc(own_ts_env, time(12, 0))  # 17:45 in Kathmandu
    await _skip_to(own_ts_env, launch)
    async with running_workers(own_ts_env.client, settings, db):
        seeded, [handle] = await _start(
            own_ts_env,
            settings,
            db,
            count=1,
            policy=POLICY,
            timezones=["Asia/Kathmandu"],
            campaign_timezone="Asia/Kathmandu",
        )
        await _mails(mailbox, "invitation", 1)
        handing_over = launch + timedelta(hours=5, minutes=45)  # 23:30 local
        await _skip_to(own_ts_env, handing_over)
        await handle.execute_update(
            PledgeWorkflow.delegate,
            DelegateRequest(
                invitation_id=seeded.invitations[0].id, name="Ram Thapa", email="ram@org1.example"
            ),
        )
        [confirmation] = await _mails(mailbox, "delegation_notice", 1)
        assert confirmation.recipients == [seeded.contacts[0].email]
        assert _local(confirmation.date).replace(second=0).time() == time(23, 30)
        await _none_yet_beyond(mailbox, "invitation", 1)
        morning = datetime.combine(_local(handing_over).date() + DAY, time(7, 0), tzinfo=NPT)
        await _skip_to(own_ts_env, morning + timedelta(minutes=1))
        invitation = (await _mails(mailbox, "invitation", 2))[1]
        assert invitation.recipients == ["ram@org1.example"] and _local(invitation.date) == morning


async def test_invitees_added_at_night_are_invited_at_0700(own_ts_env, settings, db, mailbox):
    launch = await _next_utc(own_ts_env, time(12, 0))  # 17:45 in Kathmandu
    await _skip_to(own_ts_env, launch)
    async with running_workers(own_ts_env.client, settings, db):
        seeded, _ = await _start(
            own_ts_env,
            settings,
            db,
            count=1,
            policy=POLICY,
            timezones=["Asia/Kathmandu"],
            campaign_timezone="Asia/Kathmandu",
        )
        [first] = await _mails(mailbox, "invitation", 1)
        assert first.date == launch
        late = factories.campaign_with_invitees(db, count=1, prefix="Late ", timezones=["Asia/Kathmandu"])
        adding = launch + timedelta(hours=6, minutes=20)  # 00:05 local
        await _skip_to(own_ts_env, adding)
        campaign = workflow_client.campaign_handle(own_ts_env.client, seeded.campaign.id)
        added = await campaign.execute_update(
            CampaignWorkflow.add_invitees,
            AddInvitees(organisation_ids=[late.organisations[0].id], contact_ids=[None], actor="user:1"),
        )
        assert added.invitations == 1
        await _none_yet_beyond(mailbox, "invitation", 1)
        morning = datetime.combine(_local(adding).date(), time(7, 0), tzinfo=NPT)
        await _skip_to(own_ts_env, morning + timedelta(minutes=1))
        invitation = (await _mails(mailbox, "invitation", 2))[1]
        assert invitation.recipients == [late.contacts[0].email] and _local(invitation.date) == morning
        progress = await workflow_client.campaign_progress(own_ts_env.client, seeded.campaign.id)
        assert (progress.invitations_planned, progress.invited) == (2, 2)
