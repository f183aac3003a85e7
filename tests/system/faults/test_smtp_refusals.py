"""Temporary refusals (4xx, 421) are retried; only 5xx is final, and then the records agree."""

from __future__ import annotations

from datetime import UTC, datetime

import aiosmtplib
import pytest
from sqlmodel import Session, select
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities, SendEmailInput
from models.contact import ContactUpdate
from models.email_message import EmailKind, EmailMessage, EmailStatus
from models.invitation import InvitationStatus
from pledgeflow.db import session_scope
from pledgeflow.dev.mail_sink import REFUSED_DOMAIN, SmtpFaults, Tally
from pledgeflow.worker import email_delivery
from services import contacts, invitations
from tests import factories

PLANNED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _request(invitation_id: int) -> SendEmailInput:
    return SendEmailInput(
        kind=EmailKind.invitation,
        workflow_id="pledge-refusals",
        step=f"invitation-{invitation_id}",
        planned_at=PLANNED,
        invitation_id=invitation_id,
    )


def _outbox(db) -> tuple[EmailStatus, int, str | None]:
    with Session(db) as session:
        [row] = session.exec(select(EmailMessage)).all()
        return row.status, row.attempts, row.last_error


def _invitation_status(db, invitation_id: int) -> InvitationStatus:
    with Session(db) as session:
        return invitations.get_or_raise(session, invitation_id).status


@pytest.mark.parametrize(
    ("faults", "code"),
    [
        (SmtpFaults(rcpt="451 4.3.0 mailbox busy, try again later"), "451"),
        (SmtpFaults(rcpt="421 4.7.0 too many connections"), "421"),
        (SmtpFaults(data="451 4.3.0 queue full"), "451"),
        (SmtpFaults(mail="421 4.3.2 shutting down"), "421"),
    ],
    ids=["451-at-rcpt", "421-at-rcpt", "451-at-data", "421-at-mail"],
)
async def test_a_temporary_refusal_is_retried_and_the_mail_goes_once(settings, db, mailbox, faults, code):
    seeded = factories.campaign_with_invitees(db, count=1)
    factories.launch(db, seeded.campaign.id)
    invitation_id = seeded.invitations[0].id
    send = EmailActivities(email_delivery(settings, db)).send_email
    mailbox.fail(faults)
    with pytest.raises(aiosmtplib.SMTPException):  # an error Temporal retries, not an outcome
        await ActivityEnvironment().run(send, _request(invitation_id))
    status, attempts, error = _outbox(db)
    assert (status, attempts) == (EmailStatus.sending, 1) and error is not None and code in error
    assert _invitation_status(db, invitation_id) is InvitationStatus.pending
    assert mailbox.messages == []
    mailbox.heal()
    result = await ActivityEnvironment().run(send, _request(invitation_id))
    assert result.outcome == "accepted"
    assert _outbox(db)[:2] == (EmailStatus.accepted, 2)
    assert _invitation_status(db, invitation_id) is InvitationStatus.sent
    assert mailbox.tally() == Tally(sent=1, unique=1, duplicates=0, lost=0)


async def test_a_permanent_refusal_marks_the_invitation_undeliverable(settings, db, mailbox):
    seeded = factories.campaign_with_invitees(db, count=1)
    # Before the launch: once launched, a pending invitation's address no longer changes.
    with session_scope(db) as session:
        contact = contacts.get_or_raise(session, seeded.contacts[0].id)
        contacts.update(
            session, contact=contact, data=ContactUpdate(email=f"gone@{REFUSED_DOMAIN}"), actor="t"
        )
    factories.launch(db, seeded.campaign.id)
    result = await ActivityEnvironment().run(
        EmailActivities(email_delivery(settings, db)).send_email, _request(seeded.invitations[0].id)
    )
    assert result.outcome == "refused" and "550" in result.detail
    assert _outbox(db)[0] is EmailStatus.failed
    assert _invitation_status(db, seeded.invitations[0].id) is InvitationStatus.undeliverable
