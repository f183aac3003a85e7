"""Actions on a launched campaign through the console: each behind a confirmation page, each
reaching the workflow with the signed-in person as the actor, each answered by a flash."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

from babel.dates import format_date
from sqlmodel import col, select

from api.app import create_app
from api.deps import actor_of
from models.audit import AuditEntry
from models.campaign import Campaign, CampaignStatus
from models.invitation import InvitationStatus
from models.policy import ChasePolicy, QuietHours
from models.user import CampaignShare, Role
from pledgeflow.db import session_scope
from services import invitations
from tests.console.conftest import Console
from tests.console.launched import launched, sign
from tests.console.staff import console_client, person, post_form
from tests.helpers import eventually, running_workers


def _audit(engine, campaign_id: int, kind: str) -> list[AuditEntry]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(AuditEntry)
            .where(AuditEntry.campaign_id == campaign_id, AuditEntry.kind == kind)
            .order_by(col(AuditEntry.seq))
        ).all()
        session.expunge_all()
        return list(rows)


def _campaign(engine, campaign_id: int) -> Campaign:
    with session_scope(engine) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        session.expunge(campaign)
        return campaign


async def _status(engine, campaign_id: int, wanted: CampaignStatus) -> None:
    async def probe() -> CampaignStatus:
        return _campaign(engine, campaign_id).status

    await eventually(probe, lambda s: s is wanted)


async def test_extend_the_deadline_with_a_preview_and_a_choice_to_notify(console, mailbox):
    run = await launched(console, mailbox, count=2, groups=[])
    amina = person(console.engine, Role.coordinator, email=run.seeded.coordinator.email)
    base = f"/console/campaigns/{run.id}/actions/extend"
    old = _campaign(console.engine, run.id).signature_deadline
    assert old is not None
    later, latest = old + timedelta(days=7), old + timedelta(days=14)
    async with console_client(console.app, amina) as client:
        past = await client.get(f"{base}?deadline={date.today().isoformat()}")
        assert past.status_code == 422
        assert 'id="deadline-error"' in past.text and "must be after" in past.text
        preview = await client.get(f"{base}?deadline={later.isoformat()}")
        assert preview.status_code == 200
        assert "Contact 1" in preview.text and later.isoformat() in preview.text
        assert 'name="notify" value="no"' in preview.text
        mailbox.clear()
        silent = await post_form(client, base, base, {"deadline": later.isoformat(), "notify": "no"})
        assert silent.status_code == 303 and silent.headers["location"] == f"/console/campaigns/{run.id}"
        page = await client.get(silent.headers["location"])
        assert (
            f"The deadline is now {format_date(later, 'long', locale='en')}; no one was emailed." in page.text
        )
        await eventually(_deadline_probe(console.engine, run.id), lambda d: d == later)
        told = await post_form(client, base, base, {"deadline": latest.isoformat(), "notify": "yes"})
        assert told.status_code == 303
    notices = await mailbox.wait_for_async(2)
    assert sorted(m.recipients[0] for m in notices) == sorted(c.email for c in run.seeded.contacts)
    assert all(latest.strftime("%Y") in m.text for m in notices)
    entries = _audit(console.engine, run.id, "campaign.deadline_extended")
    assert [e.data["to"] for e in entries] == [later.isoformat(), latest.isoformat()]
    assert {e.actor for e in entries} == {actor_of(amina.user)}


def _deadline_probe(engine, campaign_id):
    async def probe():
        return _campaign(engine, campaign_id).signature_deadline

    return probe


async def test_remind_one_then_all_who_have_not_answered(console, mailbox):
    run = await launched(console, mailbox, count=3, groups=[])
    amina = person(console.engine, Role.coordinator, email=run.seeded.coordinator.email)
    async with console_client(console.app) as signatory:
        await sign(signatory, run.tokens[0])
    mailbox.clear()
    base = f"/console/campaigns/{run.id}/actions/remind"
    one = run.seeded.invitations[1].id
    async with console_client(console.app, amina) as client:
        confirm = await client.get(f"{base}?invitation={one}")
        assert (
            confirm.status_code == 200
            and "Organisation 2" in confirm.text
            and "Organisation 3" not in confirm.text
        )
        answer = await post_form(client, f"{base}?invitation={one}", base, {"invitation": str(one)})
        assert answer.status_code == 303
        assert "Reminded 1 organisation." in (await client.get(answer.headers["location"])).text
        second, third = (c.email for c in run.seeded.contacts[1:])
        assert len(await mailbox.wait_for_async(1, to=second)) == 1
        assert await mailbox.wait_for_async(1, to=third, timeout=1) == []
        everyone = await post_form(client, base, base, {"request_id": "one-click"})
        assert "Reminded 2 organisations." in (await client.get(everyone.headers["location"])).text
        # The same form sent again (a double click) reminds no one twice.
        await post_form(client, base, base, {"request_id": "one-click"})
    assert len(await mailbox.wait_for_async(2, to=second)) == 2
    assert len(await mailbox.wait_for_async(1, to=third)) == 1
    assert (
        await mailbox.wait_for_async(
            1, to=run.seeded.contacts[0].email, subject_contains="eminder", timeout=1
        )
        == []
    )
    entries = _audit(console.engine, run.id, "campaign.reminded")
    await asyncio.sleep(1)
    assert len(await mailbox.wait_for_async(3, to=second, timeout=0)) == 2
    assert [e.data["count"] for e in entries] == [1, 2] and {e.actor for e in entries} == {
        actor_of(amina.user)
    }


async def test_cancel_tells_everyone_and_close_ends_another(console, mailbox):
    run = await launched(console, mailbox, count=2, groups=[])
    amina = person(console.engine, Role.coordinator, email=run.seeded.coordinator.email)
    mailbox.clear()
    cancel = f"/console/campaigns/{run.id}/actions/cancel"
    async with console_client(console.app, amina) as client:
        confirm = await client.get(cancel)
        assert confirm.status_code == 200 and "cannot be undone" in confirm.text
        answer = await post_form(client, cancel, cancel, {"reason": "The law changed"})
        assert answer.status_code == 303
        assert "The campaign is cancelled" in (await client.get(answer.headers["location"])).text
    await _status(console.engine, run.id, CampaignStatus.cancelled)
    told = await mailbox.wait_for_async(2)
    assert sorted(m.recipients[0] for m in told) == sorted(c.email for c in run.seeded.contacts)
    assert all("The law changed" in m.text for m in told)
    assert [e.actor for e in _audit(console.engine, run.id, "campaign.cancelled")] == [actor_of(amina.user)]
    # An ended campaign offers no actions.
    async with console_client(console.app, amina) as client:
        assert (await client.get(cancel)).status_code == 409
        assert "/actions/" not in (await client.get(f"/console/campaigns/{run.id}")).text


async def test_close(console, mailbox):
    run = await launched(console, mailbox, count=1, groups=[])
    amina = person(console.engine, Role.coordinator, email=run.seeded.coordinator.email)
    close = f"/console/campaigns/{run.id}/actions/close"
    async with console_client(console.app, amina) as client:
        answer = await post_form(client, close, close, {"reason": ""})
        assert "The campaign is closed." in (await client.get(answer.headers["location"])).text
    await _status(console.engine, run.id, CampaignStatus.closed)
    assert [e.actor for e in _audit(console.engine, run.id, "campaign.closed")] == [actor_of(amina.user)]


async def test_a_reviewer_cannot_act(console, mailbox):
    run = await launched(console, mailbox, count=1, groups=[])
    reviewer = person(console.engine, Role.reviewer, email="rev@console.example")
    amina = person(console.engine, Role.coordinator, email=run.seeded.coordinator.email)
    with session_scope(console.engine) as session:
        session.add(CampaignShare(campaign_id=run.id, user_id=reviewer.id))
    async with console_client(console.app, reviewer) as client:
        page = await client.get(f"/console/campaigns/{run.id}")
        assert page.status_code == 200 and "/actions/" not in page.text
        for action in ("remind", "extend", "cancel", "close"):
            assert (await client.get(f"/console/campaigns/{run.id}/actions/{action}")).status_code == 403
    # A reviewer's post (with its own valid form field) is refused too.
    async with console_client(console.app, amina) as owner:
        await owner.get("/console/campaigns")
    async with console_client(console.app, reviewer) as client:
        refused = await post_form(
            client, f"/console/campaigns/{run.id}", f"/console/campaigns/{run.id}/actions/cancel"
        )
        assert refused.status_code == 403
    assert _campaign(console.engine, run.id).status is CampaignStatus.launched


async def test_open_the_next_review_cycle_once_in_force(console, mailbox):
    run = await launched(console, mailbox, count=1, groups=[])  # everyone invited must sign
    amina = person(console.engine, Role.coordinator, email=run.seeded.coordinator.email)
    async with console_client(console.app) as signatory:
        await sign(signatory, run.tokens[0])
    await _status(console.engine, run.id, CampaignStatus.in_force)
    cycle = f"/console/campaigns/{run.id}/actions/review-cycle"
    async with console_client(console.app, amina) as client:
        page = await client.get(f"/console/campaigns/{run.id}")
        assert "The pact is in force" in page.text and cycle in page.text
        answer = await post_form(client, cycle, cycle, {})
        assert answer.status_code == 303
        assert "Opened review cycle" in (await client.get(answer.headers["location"])).text
    entries = _audit(console.engine, run.id, "review.cycle_opened_now")
    assert entries and {e.actor for e in entries} == {actor_of(amina.user)}


async def test_reopen_an_expired_invitation(own_ts_env, settings, db, mailbox, tmp_path):
    """Its own time-skipping server: the deadline passes there, the invitation expires, it is reopened."""
    settings = settings.model_copy(update={"data_dir": tmp_path})

    async def connect():
        return own_ts_env.client

    async with running_workers(own_ts_env.client, settings, db):
        console = Console(
            app=create_app(settings, engine=db, connect_temporal=connect),
            settings=settings,
            temporal=own_ts_env.client,
            engine=db,
        )
        deadline = (await own_ts_env.get_current_time()).date() + timedelta(days=10)
        quiet = ChasePolicy(
            reminder_days=[],
            reminder_days_before_deadline=[],
            ladder=[],
            quiet_hours=QuietHours(enabled=False),
        )
        run = await launched(
            console, mailbox, count=1, groups=[], deadline=deadline, policy=quiet, campaign_timezone="UTC"
        )
        amina = person(db, Role.coordinator, email=run.seeded.coordinator.email)
        invitation = run.seeded.invitations[0]
        now = await own_ts_env.get_current_time()
        await own_ts_env.sleep(datetime.combine(deadline + timedelta(days=1), time(1), tzinfo=UTC) - now)

        async def status():
            with session_scope(db) as session:
                return invitations.get_or_raise(session, invitation.id).status

        await eventually(status, lambda s: s is InvitationStatus.expired)
        page_url = f"/console/campaigns/{run.id}"
        reopen = f"{page_url}/actions/reopen"
        new_deadline = deadline + timedelta(days=30)
        async with console_client(console.app, amina) as client:
            assert f"{reopen}?invitation={invitation.id}" in (await client.get(page_url)).text
            form = f"{reopen}?invitation={invitation.id}"
            past = await post_form(
                client, form, reopen, {"invitation": str(invitation.id), "deadline": "2020-01-01"}
            )
            assert past.status_code == 422 and 'id="deadline-error"' in past.text
            answer = await post_form(
                client, form, reopen, {"invitation": str(invitation.id), "deadline": new_deadline.isoformat()}
            )
            assert answer.status_code == 303, answer.text[:500]
            flash = (await client.get(answer.headers["location"])).text
            until = format_date(new_deadline, "long", locale="en")
            assert f"Reopened the invitation of Organisation 1 until {until}." in flash
        fresh = await mailbox.wait_for_async(
            2, subject_contains="Invitation to sign", to=run.seeded.contacts[0].email
        )
        assert any("reopened" in m.text for m in fresh)
        with session_scope(db) as session:
            reopened = invitations.get_or_raise(session, invitation.id)
            assert reopened.status is InvitationStatus.sent and reopened.deadline == new_deadline
