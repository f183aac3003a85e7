"""Email delivery: rendered per locale, sent once per Message-ID, nothing lost when SMTP is down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiosmtplib
import pytest
from sqlmodel import Session, select
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities, SendEmailInput
from models.email_message import EmailMessage, EmailStatus
from models.invitation import InvitationStatus
from pledgeflow.config import PROJECT_ROOT
from pledgeflow.devmail.sink import REFUSED_DOMAIN, MailSink
from pledgeflow.mail.render import EmailRenderer, UnknownEmailKind
from pledgeflow.worker import email_delivery
from services import invitations
from tests import factories

PLANNED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _request(invitation_id: int, step: str = "invitation") -> SendEmailInput:
    return SendEmailInput(
        kind="invitation",
        workflow_id="pledge-test",
        step=f"{step}-{invitation_id}",
        planned_at=PLANNED,
        invitation_id=invitation_id,
    )


async def test_a_retried_send_is_not_sent_twice(settings, db, mailbox):
    seeded = factories.campaign_with_invitees(db, count=1)
    factories.launch(db, seeded.campaign.id)
    activities = EmailActivities(email_delivery(settings, db))
    env = ActivityEnvironment()
    first = await env.run(activities.send_email, _request(seeded.invitations[0].id))
    second = await env.run(activities.send_email, _request(seeded.invitations[0].id))
    assert (first.outcome, second.outcome) == ("accepted", "already_accepted")
    assert first.message_id == second.message_id
    [mail] = mailbox.messages
    assert mail.message_id == first.message_id and mail.date == PLANNED
    with Session(db) as session:
        assert invitations.get_or_raise(session, seeded.invitations[0].id).status is InvitationStatus.sent


async def test_smtp_down_then_up_loses_nothing_and_sends_once(settings, db):
    seeded = factories.campaign_with_invitees(db, count=1)
    factories.launch(db, seeded.campaign.id)
    down = settings.model_copy(
        update={"smtp_port": settings.smtp_port + 1 if settings.smtp_port < 65000 else 1}
    )
    sink = MailSink(port=down.smtp_port)
    activities = EmailActivities(email_delivery(down, db))
    with pytest.raises(aiosmtplib.SMTPConnectError):
        await ActivityEnvironment().run(activities.send_email, _request(seeded.invitations[0].id))
    with Session(db) as session:
        assert invitations.get_or_raise(session, seeded.invitations[0].id).status is InvitationStatus.pending
    with sink:
        result = await ActivityEnvironment().run(activities.send_email, _request(seeded.invitations[0].id))
        again = await ActivityEnvironment().run(activities.send_email, _request(seeded.invitations[0].id))
        assert (result.outcome, again.outcome) == ("accepted", "already_accepted")
        assert len(sink.messages) == 1
    with Session(db) as session:
        [row] = session.exec(select(EmailMessage)).all()
        assert row.status is EmailStatus.accepted and row.attempts == 2


async def test_a_refused_recipient_is_recorded_not_retried(settings, db, mailbox):
    seeded = factories.campaign_with_invitees(db, count=1)
    factories.launch(db, seeded.campaign.id)
    from models.contact import ContactUpdate
    from pledgeflow.db import session_scope
    from services import contacts

    with session_scope(db) as session:
        contact = contacts.get_or_raise(session, seeded.contacts[0].id)
        contacts.update(
            session, contact=contact, data=ContactUpdate(email=f"gone@{REFUSED_DOMAIN}"), actor="t"
        )
    result = await ActivityEnvironment().run(
        EmailActivities(email_delivery(settings, db)).send_email, _request(seeded.invitations[0].id)
    )
    assert result.outcome == "refused" and "550" in result.detail
    assert mailbox.messages == []
    with Session(db) as session:
        [row] = session.exec(select(EmailMessage)).all()
        assert row.status is EmailStatus.failed


def test_templates_exist_for_every_kind_and_locale():
    renderer = EmailRenderer(PROJECT_ROOT / "templates")
    assert {"en", "fr"} <= set(renderer.available_locales())
    context = {
        "contact_name": "Aya",
        "organisation_name": "UTCI",
        "campaign_title": "Pacte",
        "coordinator_email": "c@x.org",
        "deadline": "2027-01-31",
        "delegated_by": "",
        "link": "http://x/s/t",
        "signer_name": "Aya",
        "signer_title": "Présidente",
        "receipt_id": "PF-1",
        "pledge_sha256": "a" * 64,
        "pledge_version": 1,
        "signed_at": "2026-12-01T09:00:00",
        "receipt_link": "http://x/r",
        "contact_email": "a@x.org",
        "reason": "r",
        "delegator_name": "A",
        "delegate_name": "B",
        "delegate_email": "b@x.org",
        "pledge": {
            "title": "Pacte",
            "introduction": "",
            "commitments": [{"key": "c1", "text": "Publier", "factors": ["transparency"]}],
        },
    }
    from pledgeflow.mail.render import EMAIL_TEMPLATES

    for kind in EMAIL_TEMPLATES:
        for locale in ("en", "fr"):
            rendered = renderer.render(kind, locale, context)
            assert (
                rendered.locale == locale and rendered.subject and rendered.text and "<html" in rendered.html
            )
    french = renderer.render("invitation", "fr-CI", context)
    assert french.locale == "fr" and "Transparence" in french.text
    assert renderer.render("invitation", "sw", context).locale == "en"  # no Swahili yet: English
    with pytest.raises(UnknownEmailKind):
        renderer.render("spam", "en", context)


def test_message_ids_are_stable_per_workflow_and_step():
    from pledgeflow.mail.message import stable_message_id

    a = stable_message_id("pledge-1-2", "invitation-3", "example.org")
    assert a == stable_message_id("pledge-1-2", "invitation-3", "example.org")
    assert a != stable_message_id("pledge-1-2", "reminder-1", "example.org")
    assert a.startswith("<") and a.endswith("@example.org>")
    assert timedelta(0) == timedelta(0)
