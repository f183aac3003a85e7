"""Collective action end to end on the time-skipping server, driven through the API:
quorum notices, in force, withdrawal, adding invitees, cancel and close."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from sqlmodel import Session

from api.app import create_app
from models.campaign import CampaignStatus
from models.organisation import OrganisationKind as Kind
from services import campaigns, signatures
from tests import factories
from tests.helpers import csrf_from, eventually, running_workers
from workflows import client as workflow_client
from workflows.pledge import PledgeWorkflow
from workflows.pledge_messages import DeclineRequest, SignRequest, WithdrawRequest

KINDS = [
    Kind.customs_administration,
    Kind.customs_broker,
    Kind.customs_broker,
    Kind.customs_broker,
    Kind.freight_forwarder,
    Kind.freight_forwarder,
]


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


async def _launch_pact(site, db, mailbox):
    seeded = factories.campaign_with_invitees(db, count=6, kinds=KINDS)
    customs = seeded.organisations[0].id
    quorum = [
        {"name": "customs", "organisation_ids": [customs], "rule": "all", "required": [customs]},
        {"name": "brokers", "kinds": ["customs_broker"], "rule": "at_least", "n": 2},
        {"name": "forwarders", "kinds": ["freight_forwarder"], "rule": "percent", "percent": 50},
    ]
    patched = await site.patch(
        f"/campaigns/{seeded.campaign.id}", json={"quorum": quorum}, headers=auth(seeded)
    )
    assert patched.status_code == 200, patched.text
    assert (
        await site.post(f"/campaigns/{seeded.campaign.id}/launch", headers=auth(seeded))
    ).status_code == 202
    await mailbox.wait_for_async(6)
    return seeded


async def _progress(site, seeded, check):
    return (
        await eventually(
            lambda: site.get(f"/campaigns/{seeded.campaign.id}/progress", headers=auth(seeded)),
            lambda r: check(r.json()),
        )
    ).json()


async def _sign(ts_env, seeded, index):
    handle = workflow_client.pledge_handle(ts_env.client, seeded.campaign.id, seeded.organisations[index].id)
    await handle.execute_update(
        PledgeWorkflow.sign,
        SignRequest(
            invitation_id=seeded.invitations[index].id,
            signer_name=f"Signer {index}",
            signer_title="Head",
            consent=True,
            publish_name=index == 0,
        ),
    )


def _notices(mailbox, seeded, kind):
    return [m for m in mailbox.messages if m.kind == kind and seeded.coordinator.email in m.recipients]


async def test_the_pact_comes_in_force_when_every_group_is_met(site, ts_env, db, mailbox):
    seeded = await _launch_pact(site, db, mailbox)
    await _sign(ts_env, seeded, 1)  # one broker of the two needed: 50 %
    progress = await _progress(site, seeded, lambda p: p["signed"] == 1)
    brokers = next(g for g in progress["groups"] if g["name"] == "brokers")
    assert (brokers["signed"], brokers["target"], brokers["met"]) == (1, 2, False)
    await eventually(lambda: _async(_notices(mailbox, seeded, "progress_notice")), lambda n: len(n) == 1)
    assert "brokers reached 33%" in _notices(mailbox, seeded, "progress_notice")[0].subject
    await _sign(ts_env, seeded, 2)
    await _sign(ts_env, seeded, 4)  # a forwarder: 50 % of 2
    progress = await _progress(site, seeded, lambda p: p["signed"] == 3)
    assert progress["status"] == "launched", "the customs administration is required"
    await _sign(ts_env, seeded, 0)
    progress = await _progress(site, seeded, lambda p: p["status"] == "in_force")
    assert progress["in_force_at"] and all(g["met"] for g in progress["groups"])
    announcements = await eventually(
        lambda: _async([m for m in mailbox.messages if m.kind == "pact_in_force"]), lambda m: len(m) == 5
    )
    recipients = sorted(r for m in announcements for r in m.recipients)
    expected = sorted([seeded.contacts[i].email for i in (0, 1, 2, 4)] + [seeded.coordinator.email])
    assert recipients == expected
    for name in ("Organisation 1", "Organisation 2", "Organisation 3", "Organisation 5"):
        assert name in announcements[0].text
    with Session(db) as session:
        campaign = campaigns.get_or_raise(session, seeded.campaign.id)
        assert campaign.status is CampaignStatus.in_force and campaign.in_force_at is not None
    register = (await site.get(f"/register/{campaign.register_key}.json")).json()
    assert register["in_force"] and len(register["signatories"]) == 4
    named = [s for s in register["signatories"] if s["signer"]]
    assert [s["organisation"] for s in named] == ["Organisation 1"], "only the signer who agreed is named"
    page = await site.get(f"/register/{campaign.register_key}")
    assert page.status_code == 200 and 'data-in-force="yes"' in page.text
    assert not any(c.email in page.text for c in seeded.contacts), "no email addresses on the register"

    # A withdrawal after the pact is in force is recorded and can break the quorum.
    handle = workflow_client.pledge_handle(ts_env.client, seeded.campaign.id, seeded.organisations[2].id)
    result = await handle.execute_update(
        PledgeWorkflow.withdraw,
        WithdrawRequest(invitation_id=seeded.invitations[2].id, reason="Merged into another firm"),
    )
    assert result.after_in_force
    progress = await _progress(site, seeded, lambda p: p["quorum_broken"])
    assert progress["status"] == "in_force" and progress["withdrawn"] == 1
    await eventually(lambda: _async(_notices(mailbox, seeded, "quorum_broken")), lambda n: len(n) == 1)
    withdrawal = await eventually(
        lambda: _async(_notices(mailbox, seeded, "withdrawal_notice")), lambda n: len(n) == 1
    )
    assert "Merged into another firm" in withdrawal[0].text and "already in force" in withdrawal[0].text
    with Session(db) as session:
        assert signatures.for_invitation(session, seeded.invitations[2].id).withdrawn_at is not None


async def _async(value):
    return value


async def test_the_coordinator_hears_when_a_rule_can_no_longer_be_met(site, ts_env, db, mailbox):
    seeded = await _launch_pact(site, db, mailbox)
    for index in (1, 2):  # two of three brokers decline: at least two can no longer sign
        handle = workflow_client.pledge_handle(
            ts_env.client, seeded.campaign.id, seeded.organisations[index].id
        )
        await handle.execute_update(
            PledgeWorkflow.decline, DeclineRequest(invitation_id=seeded.invitations[index].id, reason="No")
        )
    notice = await eventually(
        lambda: _async(_notices(mailbox, seeded, "quorum_unreachable")), lambda n: len(n) >= 1
    )
    assert "brokers" in notice[0].subject and "2 of its 3 members" in notice[0].text
    progress = await _progress(site, seeded, lambda p: p["declined"] == 2)
    assert next(g for g in progress["groups"] if g["name"] == "brokers")["impossible"]


async def test_withdrawal_through_the_link_before_the_pact_is_in_force(site, ts_env, db, mailbox):
    seeded = await _launch_pact(site, db, mailbox)
    await _sign(ts_env, seeded, 1)
    receipt = await mailbox.wait_for_async(1, subject_contains="Receipt")
    link = next(line for line in receipt[0].text.splitlines() if "/w/" in line).strip()
    token = link.rsplit("/w/", 1)[1]
    page = await site.get(f"/w/{token}")
    assert page.status_code == 200 and "Withdraw" in page.text
    empty = await site.post(f"/w/{token}", data={"reason": "", "csrf_token": csrf_from(page.text)})
    assert empty.status_code == 422
    done = await site.post(
        f"/w/{token}", data={"reason": "Board did not approve", "csrf_token": csrf_from(page.text)}
    )
    assert done.status_code == 200, done.text
    progress = await _progress(site, seeded, lambda p: p["withdrawn"] == 1)
    assert progress["signed"] == 0
    notice = await eventually(
        lambda: _async(_notices(mailbox, seeded, "withdrawal_notice")), lambda n: len(n) == 1
    )
    assert "not yet in force" in notice[0].text
    again = await site.get(f"/w/{token}")
    assert again.status_code == 409


async def test_invitees_added_to_a_launched_campaign_are_invited_at_once(site, ts_env, db, mailbox):
    seeded = await _launch_pact(site, db, mailbox)
    extra = factories.campaign_with_invitees(db, count=1, prefix="Late ")
    answer = await site.post(
        f"/campaigns/{seeded.campaign.id}/invitees",
        json={"invitees": [{"organisation_id": extra.organisations[0].id}]},
        headers=auth(seeded),
    )
    assert answer.status_code == 201, answer.text
    assert [i["organisation_name"] for i in answer.json()] == ["Late Organisation 1"]
    await mailbox.wait_for_async(1, to=extra.contacts[0].email)
    await _progress(site, seeded, lambda p: p["invited"] == 7)
    again = await site.post(
        f"/campaigns/{seeded.campaign.id}/invitees",
        json={"invitees": [{"organisation_id": extra.organisations[0].id}]},
        headers=auth(seeded),
    )
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "invitees[0].organisation_id"


async def test_cancel_tells_everyone_and_closes_the_links(site, ts_env, db, mailbox):
    seeded = await _launch_pact(site, db, mailbox)
    tokens = {m.recipients[0]: m for m in mailbox.messages if m.kind == "invitation"}
    answer = await site.post(
        f"/campaigns/{seeded.campaign.id}/cancel",
        json={"reason": "Merged with the national pact"},
        headers=auth(seeded),
    )
    assert answer.status_code == 200, answer.text
    told = await eventually(
        lambda: _async([m for m in mailbox.messages if m.kind == "campaign_cancelled"]), lambda m: len(m) == 6
    )
    assert sorted(m.recipients[0] for m in told) == sorted(c.email for c in seeded.contacts)
    assert "Merged with the national pact" in told[0].text
    from tests.helpers import sign_token

    token = sign_token(tokens[seeded.contacts[3].email])
    page = await site.get(f"/s/{token}")
    assert page.status_code == 410 and "cancelled" in page.text
    lifecycle = (await site.get(f"/campaigns/{seeded.campaign.id}/lifecycle", headers=auth(seeded))).json()
    assert lifecycle[-1]["action"] == "cancelled" and seeded.coordinator.email in lifecycle[-1]["actor"]
    again = await site.post(f"/campaigns/{seeded.campaign.id}/cancel", json={}, headers=auth(seeded))
    assert again.status_code == 409 and again.json()["status"] == 409


async def test_close_ends_the_campaign(site, ts_env, db, mailbox):
    seeded = await _launch_pact(site, db, mailbox)
    answer = await site.post(
        f"/campaigns/{seeded.campaign.id}/close", json={"reason": "done"}, headers=auth(seeded)
    )
    assert answer.status_code == 200
    handle = workflow_client.campaign_handle(ts_env.client, seeded.campaign.id)
    result = await handle.result()
    assert result.status == "closed"
    with Session(db) as session:
        assert campaigns.get_or_raise(session, seeded.campaign.id).status is CampaignStatus.closed
    extend = await site.post(
        f"/campaigns/{seeded.campaign.id}/extend-deadline",
        json={"deadline": "2099-01-01"},
        headers=auth(seeded),
    )
    assert extend.status_code == 409
