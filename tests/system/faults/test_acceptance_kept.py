"""After the server's 250, the acceptance is kept: a retry never sends that Message-ID again,
whether the database failed or the worker died before the outbox commit."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import aiosmtplib
import pytest
from sqlmodel import Session, select
from temporalio.testing import ActivityEnvironment

from activities.email import EARLIER_ATTEMPT_REPLY, EmailActivities, EmailDelivery, EmailJob, SendEmailInput
from models.email_message import EmailKind, EmailMessage, EmailStatus
from models.invitation import InvitationStatus
from pledgeflow.dev.mail_sink import SmtpFaults
from pledgeflow.mail.acceptance import AcceptanceJournal, accepted_in
from pledgeflow.worker import email_delivery
from services import invitations
from tests import factories
from tests.system.faults.faultlib import dropping_connections, report, run_with_retries

PLANNED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _request(invitation_id: int) -> SendEmailInput:
    return SendEmailInput(
        kind=EmailKind.invitation,
        workflow_id="pledge-kept",
        step=f"invitation-{invitation_id}",
        planned_at=PLANNED,
        invitation_id=invitation_id,
    )


async def _tried_once(db, mailbox, delivery: EmailDelivery, invitation_id: int) -> str:
    """One attempt that logged the send and failed (as if the worker died after the 250)."""
    mailbox.fail(SmtpFaults(data="451 4.3.0 try again"))
    with pytest.raises(aiosmtplib.SMTPException):
        await ActivityEnvironment().run(EmailActivities(delivery).send_email, _request(invitation_id))
    mailbox.heal()
    with Session(db) as session:
        [row] = session.exec(select(EmailMessage)).all()
    assert row.status is EmailStatus.sending
    return row.message_id


def _assert_logged_accepted_without_sending(db, mailbox, invitation_id: int, outcome: str) -> None:
    assert outcome == "already_accepted"
    assert mailbox.messages == []
    with Session(db) as session:
        [row] = session.exec(select(EmailMessage)).all()
        assert (row.status, row.smtp_response) == (EmailStatus.accepted, EARLIER_ATTEMPT_REPLY)
        assert invitations.get_or_raise(session, invitation_id).status is InvitationStatus.sent


async def test_an_acceptance_in_the_heartbeat_details_is_not_sent_again(settings, db, mailbox):
    seeded = factories.campaign_with_invitees(db, count=1)
    factories.launch(db, seeded.campaign.id)
    invitation_id = seeded.invitations[0].id
    delivery = email_delivery(settings, db)
    message_id = await _tried_once(db, mailbox, delivery, invitation_id)
    retry = ActivityEnvironment()
    retry.info = dataclasses.replace(
        retry.info, attempt=2, heartbeat_details=[{"note": "", "accepted": [message_id]}]
    )
    result = await retry.run(EmailActivities(delivery).send_email, _request(invitation_id))
    _assert_logged_accepted_without_sending(db, mailbox, invitation_id, result.outcome)


async def test_an_acceptance_in_the_local_journal_is_not_sent_again(settings, db, mailbox, tmp_path):
    seeded = factories.campaign_with_invitees(db, count=1)
    factories.launch(db, seeded.campaign.id)
    invitation_id = seeded.invitations[0].id
    journal = AcceptanceJournal(tmp_path / "accepted")
    delivery = email_delivery(settings, db)
    delivery._journal = journal
    message_id = await _tried_once(db, mailbox, delivery, invitation_id)
    journal.note(message_id)  # what a worker killed after the 250 left behind
    result = await ActivityEnvironment().run(EmailActivities(delivery).send_email, _request(invitation_id))
    _assert_logged_accepted_without_sending(db, mailbox, invitation_id, result.outcome)
    assert journal.noted_among([message_id]) == set(), "forgotten once the outbox has it"


async def test_every_acceptance_is_heartbeated_and_the_journal_empties(settings, db, mailbox, tmp_path):
    seeded = factories.campaign_with_invitees(db, count=6)
    factories.launch(db, seeded.campaign.id)
    delivery = email_delivery(settings, db)
    delivery._journal = journal = AcceptanceJournal(tmp_path / "accepted")
    jobs = [
        EmailJob(
            kind=EmailKind.invitation,
            message_id=delivery.message_id("pledge-beat", f"invitation-{i.id}"),
            planned_at=PLANNED,
            invitation_id=i.id or 0,
        )
        for i in seeded.invitations
    ]
    beats: list[set[str]] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append(accepted_in(details))

    async def deliver() -> list[str]:
        return [r.outcome for r in await delivery.deliver(jobs, heartbeat=True)]

    assert await env.run(deliver) == ["accepted"] * 6
    assert beats[-1] == {j.message_id for j in jobs}
    assert journal.noted_among(j.message_id for j in jobs) == set()


async def test_database_drops_after_the_250_never_send_a_mail_twice(settings, db, mailbox):
    """PostgreSQL terminating every connection every 0.3 s (as in the outside run) during a batch."""
    if db.dialect.name != "postgresql":
        pytest.skip("connections are dropped with pg_terminate_backend (PostgreSQL only)")
    n = 120
    seeded = factories.campaign_with_invitees(db, count=n)
    factories.launch(db, seeded.campaign.id)
    delivery = email_delivery(settings, db)
    jobs = [
        EmailJob(
            kind=EmailKind.invitation,
            message_id=delivery.message_id("pledge-drops", f"invitation-{i.id}"),
            planned_at=PLANNED,
            invitation_id=i.id or 0,
        )
        for i in seeded.invitations
    ]

    async def batch(_: None) -> list[str]:
        return [r.outcome for r in await delivery.deliver(jobs, heartbeat=True)]

    with dropping_connections(
        db,
        every=0.3,
        start_when=lambda: len(mailbox.messages) > 0,  # while sending, not while preparing
        stop_when=lambda: len(mailbox.messages) >= n,
        at_most=20,
    ) as terminated:
        outcomes, attempts = await run_with_retries(batch, None)
    tally = mailbox.tally(expected={j.message_id for j in jobs})
    report(f"pg drops in a batch ({terminated[0]} terminations, {attempts} attempts)", n, tally)
    assert set(outcomes) <= {"accepted", "already_accepted"}
    assert (tally.sent, tally.unique, tally.duplicates, tally.lost) == (n, n, 0, 0)
    with Session(db) as session:
        statuses = session.exec(select(EmailMessage.status)).all()
    assert statuses.count(EmailStatus.accepted) == n
