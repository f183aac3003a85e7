"""Actions on a launched campaign through the console: each behind a confirmation page, each
reaching the workflow with the signed-in person as the actor, each answered by a flash."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import col, select

from api.deps import actor_of
from models.audit import AuditEntry
from models.campaign import Campaign, CampaignStatus
from models.user import Role
from pledgeflow.db import session_scope
from tests.console.launched import launched, sign
from tests.console.staff import console_client, person, post_form
from tests.helpers import eventually


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
        assert f"The deadline is now {later}; no one was emailed." in page.text
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
        everyone = await post_form(client, base, base, {})
        assert "Reminded 2 organisations." in (await client.get(everyone.headers["location"])).text
    assert len(await mailbox.wait_for_async(2, to=second)) == 2
    assert len(await mailbox.wait_for_async(1, to=third)) == 1
    assert (
        await mailbox.wait_for_async(
            1, to=run.seeded.contacts[0].email, subject_contains="eminder", timeout=1
        )
        == []
    )
    entries = _audit(console.engine, run.id, "campaign.reminded")
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
        from models.user import CampaignShare

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
