"""A coordinator's reminder now and an extension without notice, end to end on the time-skipping
server through the API, counting the emails the SMTP sink received; and the first opening of a link."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import httpx
import pytest_asyncio
from babel.dates import format_date
from sqlmodel import Session, col, select

from api.app import create_app
from models.audit import AuditEntry
from services import campaigns, invitations
from tests import factories
from tests.helpers import eventually, running_workers, sign_token
from workflows import client as workflow_client
from workflows.campaign_messages import RemindNow
from workflows.pledge import PledgeWorkflow
from workflows.pledge_messages import SignRequest


@pytest_asyncio.fixture
async def site(ts_env, settings, db, mailbox) -> AsyncIterator[httpx.AsyncClient]:
    async def connect():
        return ts_env.client

    app = create_app(settings, engine=db, connect_temporal=connect)
    async with (
        running_workers(ts_env.client, settings, db),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        yield client


def auth(seeded) -> dict[str, str]:
    return {"Authorization": f"Bearer {seeded.token}"}


async def _launched(site, db, mailbox, count=3, deadline=None):
    seeded = factories.campaign_with_invitees(db, count=count, deadline=deadline)
    launched = await site.post(f"/campaigns/{seeded.campaign.id}/launch", headers=auth(seeded))
    assert launched.status_code == 202, launched.text
    await mailbox.wait_for_async(count)
    await eventually(
        lambda: _sent(db, seeded), lambda statuses: all(s == "sent" for s in statuses), timeout=30
    )
    return seeded


async def _sent(db, seeded):
    with Session(db) as session:
        return [
            i.status.value for i in invitations.list_for_campaign(session, campaign_id=seeded.campaign.id)
        ]


def _mails(mailbox, kind, to=None):
    return [m for m in mailbox.messages if m.kind == kind and (to is None or to in m.recipients)]


async def _now(value):
    return value


async def _sign(ts_env, seeded, index):
    handle = workflow_client.pledge_handle(ts_env.client, seeded.campaign.id, seeded.organisations[index].id)
    await handle.execute_update(
        PledgeWorkflow.sign,
        SignRequest(
            invitation_id=seeded.invitations[index].id, signer_name="Ama", signer_title="Head", consent=True
        ),
    )


async def test_remind_one_then_all_open_once_per_request(site, ts_env, db, mailbox):
    seeded = await _launched(site, db, mailbox)
    cid = seeded.campaign.id
    one = await site.post(
        f"/campaigns/{cid}/remind",
        json={"invitation_ids": [seeded.invitations[1].id], "request_id": "first"},
        headers=auth(seeded),
    )
    assert one.status_code == 200, one.text
    assert one.json() == {"campaign_id": cid, "reminded": 1}
    [reminder] = await eventually(lambda: _now(_mails(mailbox, "reminder")), lambda m: len(m) >= 1)
    assert reminder.recipients == [seeded.contacts[1].email]
    assert "please answer" in reminder.subject

    # The same request again: the workflow answers it without reminding anyone twice.
    again = await site.post(
        f"/campaigns/{cid}/remind",
        json={"invitation_ids": [seeded.invitations[1].id], "request_id": "first"},
        headers=auth(seeded),
    )
    assert again.status_code == 200 and again.json()["reminded"] == 1
    # Through the client with the same request id: the same update, answered from the first.
    await workflow_client.remind_now(
        ts_env.client,
        cid,
        RemindNow(actor="user:test", invitation_ids=[seeded.invitations[1].id], request_id="first"),
    )

    await _sign(ts_env, seeded, 0)
    await eventually(lambda: _sent(db, seeded), lambda statuses: statuses[0] == "signed")
    refused = await site.post(
        f"/campaigns/{cid}/remind", json={"invitation_ids": [seeded.invitations[0].id]}, headers=auth(seeded)
    )
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert f"invitation {seeded.invitations[0].id} is signed" in problem["detail"]
    assert problem["errors"][0]["field"] == "invitation_ids"

    everyone = await site.post(f"/campaigns/{cid}/remind", json={}, headers=auth(seeded))
    assert everyone.status_code == 200 and everyone.json()["reminded"] == 2
    reminders = await eventually(lambda: _now(_mails(mailbox, "reminder")), lambda m: len(m) >= 3)
    assert sorted(r for m in reminders for r in m.recipients) == sorted(
        [seeded.contacts[1].email, seeded.contacts[1].email, seeded.contacts[2].email]
    )
    assert _mails(mailbox, "reminder", to=seeded.contacts[0].email) == [], "the signatory is not reminded"
    with Session(db) as session:
        entries = session.exec(
            select(AuditEntry).where(AuditEntry.kind == "campaign.reminded").order_by(col(AuditEntry.seq))
        ).all()
    mine = [e for e in entries if e.campaign_id == cid]
    assert [e.data["count"] for e in mine] == [1, 2]
    assert all(e.actor == f"user:{seeded.coordinator.id}:{seeded.coordinator.email}" for e in mine)
    lifecycle = (await site.get(f"/campaigns/{cid}/lifecycle", headers=auth(seeded))).json()
    # The repeated and the refused requests left no trace: one event per request that reminded.
    assert [e["action"] for e in lifecycle].count("remind_now") == 2
    assert len(_mails(mailbox, "reminder")) == 3


async def test_remind_is_refused_before_the_launch(site, db):
    seeded = factories.campaign_with_invitees(db, count=1)
    answer = await site.post(f"/campaigns/{seeded.campaign.id}/remind", json={}, headers=auth(seeded))
    assert answer.status_code == 409 and "draft" in answer.json()["detail"]


async def test_an_extension_without_notice_emails_no_one_and_the_deadline_holds(site, ts_env, db, mailbox):
    first = date.today() + timedelta(days=30)
    seeded = await _launched(site, db, mailbox, count=2, deadline=first)
    cid = seeded.campaign.id
    earlier = await site.post(
        f"/campaigns/{cid}/extend-deadline", json={"deadline": first.isoformat()}, headers=auth(seeded)
    )
    assert earlier.status_code == 409
    assert earlier.json()["errors"] == [
        {"field": "deadline", "reason": f"must be later than the current deadline {first}"}
    ]
    later = first + timedelta(days=14)
    quiet = await site.post(
        f"/campaigns/{cid}/extend-deadline",
        json={"deadline": later.isoformat(), "notify": False},
        headers=auth(seeded),
    )
    assert quiet.status_code == 200, quiet.text
    for index in (0, 1):
        view = await eventually(
            lambda index=index: workflow_client.pledge_handle(
                ts_env.client, cid, seeded.organisations[index].id
            ).query(PledgeWorkflow.view),
            lambda v: v.deadline_at is not None and v.deadline_at.date() > later,
        )
        assert view.status == "open"
    with Session(db) as session:
        assert campaigns.get_or_raise(session, cid).signature_deadline == later
    # Then one with notice: exactly one email per open invitation, none for the quiet one.
    latest = later + timedelta(days=7)
    told = await site.post(
        f"/campaigns/{cid}/extend-deadline", json={"deadline": latest.isoformat()}, headers=auth(seeded)
    )
    assert told.status_code == 200
    notices = await eventually(lambda: _now(_mails(mailbox, "deadline_extended")), lambda m: len(m) >= 2)
    assert sorted(m.recipients[0] for m in notices) == sorted(c.email for c in seeded.contacts)
    # The subject names the date in the reader's CLDR form (the contacts read English in Ghana).
    assert all(format_date(latest, "long", locale="en_GH") in m.subject for m in notices)
    assert not any(format_date(later, "long", locale="en_GH") in m.subject for m in notices)
    assert len(_mails(mailbox, "deadline_extended")) == 2


async def test_the_first_opening_of_a_link_is_recorded_once(site, db, mailbox):
    seeded = await _launched(site, db, mailbox, count=1)
    token = sign_token(mailbox.messages[0])
    assert (await site.get(f"/s/{token}")).status_code == 200
    with Session(db) as session:
        first = invitations.get_or_raise(session, seeded.invitations[0].id).opened_at
    assert first is not None
    assert (await site.get(f"/s/{token}")).status_code == 200
    with Session(db) as session:
        assert invitations.get_or_raise(session, seeded.invitations[0].id).opened_at == first
        opened = session.exec(select(AuditEntry).where(AuditEntry.kind == "invitation.opened")).all()
    assert [e.subject for e in opened] == [f"invitation:{seeded.invitations[0].id}"]
    assert opened[0].actor == f"signatory:{seeded.contacts[0].email}"
    listing = await site.get(f"/campaigns/{seeded.campaign.id}/invitations", headers=auth(seeded))
    assert listing.status_code == 200, listing.text
    assert listing.json()[0]["opened_at"] is not None


async def test_the_next_review_cycle_is_refused_until_the_pact_is_in_force(site, db, mailbox):
    seeded = await _launched(site, db, mailbox, count=1)
    answer = await site.post(f"/campaigns/{seeded.campaign.id}/review-cycles/next", headers=auth(seeded))
    assert answer.status_code == 409
    assert answer.json()["errors"] == [{"field": "status", "reason": "the campaign is launched"}]
