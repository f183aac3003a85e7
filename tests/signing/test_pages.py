"""The pages behind email links, driven over HTTP: what a page shows from minted links and seeded
rows (no Temporal), and signing, declining and delegating with the real workers and SMTP server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio

from api.app import create_app
from models.invitation import InvitationStatus
from pledgeflow.db import session_scope
from pledgeflow.errors import Conflict
from pledgeflow.links import LinkPurpose, LinkSigner
from services import invitations, signatures
from tests import factories
from tests.conftest import TEST_SECRET
from tests.helpers import (
    app_without_temporal,
    asgi_client,
    csrf_from,
    eventually,
    running_workers,
    sign_token,
)
from tests.i18n.page_text import seen
from workflows import client as workflow_client
from workflows.pledge_messages import Rejection, Signer, SignRequest


@pytest_asyncio.fixture
async def site(ts_env, settings, db, mailbox) -> AsyncIterator[httpx.AsyncClient]:
    """The app over HTTP, with workers running on the time-skipping server."""

    async def connect():
        return ts_env.client

    app = create_app(settings, engine=db, connect_temporal=connect)
    async with (
        running_workers(ts_env.client, settings, db),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        yield client


@pytest_asyncio.fixture
async def page_site(settings, db) -> AsyncIterator[httpx.AsyncClient]:
    """The app over HTTP for what a page shows: reaching Temporal fails the test."""
    async with asgi_client(
        app_without_temporal(settings, db, why="showing a page needs no workflow")
    ) as client:
        yield client


def _minted(db, locales=None):
    """A launched campaign's invitation and a signing link for it, made as the invitation email would."""
    seeded = factories.campaign_with_invitees(db, count=1, locales=locales)
    factories.launch(db, seeded.campaign.id)
    token = LinkSigner(TEST_SECRET).make(
        seeded.invitations[0].id, LinkPurpose.sign, datetime.now(UTC) + timedelta(days=1)
    )
    return seeded, token


async def _invited(ts_env, settings, db, mailbox, count=1, locales=None):
    seeded = factories.campaign_with_invitees(db, count=count, locales=locales)
    factories.launch(db, seeded.campaign.id)
    await workflow_client.start_campaign(ts_env.client, settings, seeded.campaign.id)
    mails = await mailbox.wait_for_async(count)
    tokens = {m.recipients[0]: sign_token(m) for m in mails}
    return seeded, [tokens[c.email] for c in seeded.contacts]


async def _open(site, token):
    page = await site.get(f"/s/{token}")
    assert page.status_code == 200, seen(page)
    return page, csrf_from(page.text)


async def test_signing_page_shows_pledge_invitee_and_forms(page_site, db):
    _seeded, token = _minted(db)
    page, _ = await _open(page_site, token)
    html = seen(page)
    assert "Ghana Customs Integrity Pact" in html and "Publish all fees" in html
    assert "Contact 1 is invited to sign on behalf of Organisation 1" in html
    assert 'data-factor="code_of_conduct"' in html and "Human Resource Management" in html
    assert "Audit and Investigation" in html  # factor given by number 6
    assert 'name="consent"' in html and 'action="/s/' in html and "/delegate" in html and "/decline" in html
    assert '<meta name="viewport"' in html and "<script" not in html
    assert "samesite=strict" in page.headers["set-cookie"].lower()


async def test_page_is_in_the_contacts_language(page_site, db):
    _, token = _minted(db, locales=["fr"])
    page, _ = await _open(page_site, token)
    assert "Signer l'engagement" in seen(page) and 'lang="fr"' in seen(page)
    assert "Code de conduite" in seen(page)


async def test_sign_through_the_page_then_the_link_is_used(site, ts_env, settings, db, mailbox):
    seeded, [token] = await _invited(ts_env, settings, db, mailbox)
    _, csrf = await _open(site, token)
    form = {
        "signer_name": "Kwame Mensah",
        "signer_title": "Director General",
        "consent": "yes",
        "csrf_token": csrf,
    }
    missing = await site.post(
        f"/s/{token}/sign", data={**form, "signer_title": "", "consent": ""} | {"consent": None}
    )
    assert missing.status_code == 422 and "Title or position: enter the signer's title or position." in seen(
        missing
    )
    forged = await site.post(f"/s/{token}/sign", data={**form, "csrf_token": "forged"})
    assert forged.status_code == 403
    signed = await site.post(f"/s/{token}/sign", data=form, headers={"user-agent": "Mobile Safari"})
    assert signed.status_code == 200, seen(signed)
    assert "Receipt PF-" in seen(signed)
    confirmation = await mailbox.wait_for_async(1, subject_contains="Receipt")
    assert confirmation and confirmation[0].recipients == [seeded.contacts[0].email]
    with session_scope(db) as session:
        [signature] = signatures.list_for_campaign(session, campaign_id=seeded.campaign.id)
    assert signature.signer_name == "Kwame Mensah" and signature.user_agent == "Mobile Safari"
    reused = await site.get(f"/s/{token}")
    assert reused.status_code == 409
    assert "already signed" in seen(reused) and "Kwame Mensah" in seen(reused)
    # In the CLDR medium form of the reader's language, in the campaign's zone (Accra: GMT).
    signed_at = signature.signed_at
    assert f"{signed_at.day} {signed_at:%b %Y}, {signed_at:%H:%M} GMT" in seen(reused)
    again = await site.post(f"/s/{token}/sign", data=form)
    assert again.status_code == 409 and "Kwame Mensah" in seen(again)
    # The workflow's own rejection reaches a caller of the client with its kind and details.
    with pytest.raises(Conflict) as rejected:
        await workflow_client.sign(
            ts_env.client,
            seeded.campaign.id,
            seeded.organisations[0].id,
            SignRequest(seeded.invitations[0].id, "Someone Else", "Deputy", True),
        )
    assert rejected.value.kind == Rejection.already_signed
    assert rejected.value.details["signer_name"] == "Kwame Mensah"


async def test_bad_links_get_clear_pages(page_site, db):
    site = page_site
    seeded, token = _minted(db)
    tampered = await site.get(f"/s/{token[:-3]}abc")
    assert tampered.status_code == 400 and "not valid" in seen(tampered)
    signer = LinkSigner(TEST_SECRET)
    expired = signer.make(seeded.invitations[0].id, LinkPurpose.sign, datetime.now(UTC) - timedelta(days=1))
    page = await site.get(f"/s/{expired}")
    assert page.status_code == 410 and "expired" in seen(page)
    unknown = signer.make(987654, LinkPurpose.sign, datetime.now(UTC) + timedelta(days=1))
    page = await site.get(f"/s/{unknown}")
    assert page.status_code == 404 and "does not exist" in seen(page)
    other_purpose = signer.make(
        seeded.invitations[0].id, LinkPurpose.report, datetime.now(UTC) + timedelta(days=1)
    )
    assert (await site.get(f"/s/{other_purpose}")).status_code == 400
    forged_key = LinkSigner("another-secret").make(
        seeded.invitations[0].id, LinkPurpose.sign, datetime.now(UTC) + timedelta(days=1)
    )
    assert (await site.get(f"/s/{forged_key}")).status_code == 400
    assert "Traceback" not in seen(tampered)


async def test_a_signed_invitations_links_show_the_signature_and_open_the_withdrawal(page_site, db):
    seeded, token = _minted(db)
    invitation_id = seeded.invitations[0].id
    withdraw = LinkSigner(TEST_SECRET).make(
        invitation_id, LinkPurpose.withdraw, datetime.now(UTC) + timedelta(days=1)
    )
    unsigned = await page_site.get(f"/w/{withdraw}")
    assert unsigned.status_code == 409 and "Nothing to withdraw" in seen(unsigned)
    with session_scope(db) as session:
        signatures.record(
            session,
            invitation_id=invitation_id,
            receipt_id="PF-TEST1",
            signer=Signer(name="Kwame Mensah", title="Director", publish_name=True),
            signed_at=datetime.now(UTC),
        )
    used = await page_site.get(f"/s/{token}")
    assert used.status_code == 409 and "already signed" in seen(used) and "Kwame Mensah" in seen(used)
    page = await page_site.get(f"/w/{withdraw}")
    assert page.status_code == 200 and 'name="reason"' in seen(page) and csrf_from(seen(page))
    assert (await page_site.get(f"/w/{token}")).status_code == 400, "a signing link is not a withdrawal link"


async def test_delegate_through_the_page(site, ts_env, settings, db, mailbox):
    seeded, [token] = await _invited(ts_env, settings, db, mailbox)
    _, csrf = await _open(site, token)
    bad = await site.post(
        f"/s/{token}/delegate", data={"delegate_name": "Ama", "delegate_email": "ama@", "csrf_token": csrf}
    )
    assert bad.status_code == 422 and "Colleague's email: “ama@” is not a valid email address." in seen(bad)
    own = await site.post(
        f"/s/{token}/delegate",
        data={"delegate_name": "Me", "delegate_email": seeded.contacts[0].email, "csrf_token": csrf},
    )
    assert own.status_code == 422
    done = await site.post(
        f"/s/{token}/delegate",
        data={
            "delegate_name": "Ama Owusu",
            "delegate_email": "Ama@Org1.example",
            "delegate_title": "Head of compliance",
            "csrf_token": csrf,
        },
    )
    assert done.status_code == 200 and "ama@org1.example" in seen(done)
    fresh = await mailbox.wait_for_async(1, to="ama@org1.example")
    notice = await mailbox.wait_for_async(1, to=seeded.contacts[0].email, subject_contains="You handed")
    assert fresh and notice
    old = await site.get(f"/s/{token}")
    assert old.status_code == 410 and "handed to a colleague" in seen(old)
    new_token = sign_token(fresh[0])
    page, _csrf2 = await _open(site, new_token)
    assert "This invitation was handed to you by Contact 1" in seen(page)


async def test_decline_through_the_page(site, ts_env, settings, db, mailbox):
    seeded, [token] = await _invited(ts_env, settings, db, mailbox)
    _, csrf = await _open(site, token)
    empty = await site.post(f"/s/{token}/decline", data={"reason": " ", "csrf_token": csrf})
    assert empty.status_code == 422
    declined = await site.post(
        f"/s/{token}/decline", data={"reason": "We are not a licensed broker", "csrf_token": csrf}
    )
    assert declined.status_code == 200
    notice = await mailbox.wait_for_async(1, to=seeded.coordinator.email, subject_contains="declined")
    assert notice and "We are not a licensed broker" in notice[0].text
    with session_scope(db) as session:
        assert invitations.get_or_raise(session, seeded.invitations[0].id).status is InvitationStatus.declined
    again = await site.get(f"/s/{token}")
    assert again.status_code == 409 and "declined" in seen(again)


async def test_temporal_down_loses_nothing(ts_env, settings, db, mailbox):
    seeded = factories.campaign_with_invitees(db, count=1)
    factories.launch(db, seeded.campaign.id)
    token = LinkSigner(TEST_SECRET).make(
        seeded.invitations[0].id, LinkPurpose.sign, datetime.now(UTC) + timedelta(days=1)
    )

    async def unreachable():
        raise ConnectionError("connection refused")

    app = create_app(settings, engine=db, connect_temporal=unreachable)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as site:
        page = await site.get(f"/s/{token}")
        csrf = csrf_from(page.text)
        answer = await site.post(
            f"/s/{token}/sign",
            data={"signer_name": "A", "signer_title": "B", "consent": "yes", "csrf_token": csrf},
        )
        assert answer.status_code == 503 and "not recorded" in seen(answer)
        problem = await site.post(
            f"/campaigns/{seeded.campaign.id}/launch", headers={"Authorization": f"Bearer {seeded.token}"}
        )
        assert problem.status_code == 503 and problem.json()["status"] == 503
    with session_scope(db) as session:
        assert invitations.get_or_raise(session, seeded.invitations[0].id).status is InvitationStatus.pending


@pytest.mark.devserver  # the time-skipping server drops an update whose caller gave up
async def test_a_stalled_worker_gets_an_answer_in_time_and_the_signature_follows(
    dev_env, settings, db, mailbox, monkeypatch
):
    """No worker takes the update: the signatory gets the "taking longer" page (503, Retry-After)
    after the wait, not a request held until the browser gives up; when a worker comes back the
    update Temporal kept is carried out, and the link then says "already signed"."""
    monkeypatch.setattr(workflow_client, "LINK_ANSWER_WAIT", timedelta(seconds=1))
    async with running_workers(dev_env.client, settings, db):
        seeded, [token] = await _invited(dev_env, settings, db, mailbox)

    async def connect():
        return dev_env.client

    app = create_app(settings, engine=db, connect_temporal=connect)
    async with asgi_client(app) as site:
        _, csrf = await _open(site, token)
        answer = await site.post(
            f"/s/{token}/sign",
            data={
                "signer_name": "Kwame Mensah",
                "signer_title": "Director",
                "consent": "yes",
                "csrf_token": csrf,
            },
        )
        assert answer.status_code == 503 and answer.headers["retry-after"] == "60"
        assert "taking longer than usual" in seen(answer), seen(answer)
        assert _status_of(db, seeded.invitations[0].id) is InvitationStatus.sent
        async with running_workers(dev_env.client, settings, db):
            status = await eventually(
                lambda: asyncio.to_thread(_status_of, db, seeded.invitations[0].id),
                lambda status: status is InvitationStatus.signed,
            )
            assert status is InvitationStatus.signed, "the update Temporal kept is carried out"
        again = await site.get(f"/s/{token}")
        assert again.status_code == 409 and "Kwame Mensah" in seen(again)


def _status_of(db, invitation_id: int) -> InvitationStatus:
    with session_scope(db) as session:
        return invitations.get_or_raise(session, invitation_id).status
