"""Email delivery: rendered per locale, sent once per Message-ID, nothing lost when SMTP is down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiosmtplib
import pytest
from sqlmodel import Session, select
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities, SendEmailInput
from models.email_message import EmailKind, EmailMessage, EmailStatus
from models.invitation import InvitationStatus
from models.labels import label
from pledgeflow.config import PROJECT_ROOT
from pledgeflow.dev.mail_sink import REFUSED_DOMAIN, MailSink
from pledgeflow.mail.render import EmailRenderer, UnknownEmailKind
from pledgeflow.worker import email_delivery
from services import invitations
from tests import factories
from workflows.pledge_messages import Signer

PLANNED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _request(invitation_id: int, step: str = "invitation") -> SendEmailInput:
    return SendEmailInput(
        kind=EmailKind.invitation,
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
    from models.contact import ContactUpdate
    from pledgeflow.db import session_scope
    from services import contacts

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
    assert mailbox.messages == []
    with Session(db) as session:
        [row] = session.exec(select(EmailMessage)).all()
        assert row.status is EmailStatus.failed


def test_every_kind_composes_and_renders_in_every_locale(settings, db):
    """Each kind's composer, fed by real records, fills every template variable, in en and fr."""
    from models.common import utcnow
    from pledgeflow.db import session_scope
    from pledgeflow.mail.render import EMAIL_TEMPLATES
    from services import escalations, invitations, notifications, signatures
    from services.notifications import MailRef

    seeded = factories.campaign_with_invitees(db, count=2)
    factories.launch(db, seeded.campaign.id)
    first, second = (i.id for i in seeded.invitations)
    delivery = email_delivery(settings, db)
    renderer = EmailRenderer(PROJECT_ROOT / "templates", labels=label)
    with session_scope(db) as session:
        signatures.record(
            session,
            invitation_id=first,
            receipt_id="PF-1",
            signer=Signer(name="Aya", title="Chair", publish_name=False, ip=None, user_agent=None),
            signed_at=utcnow(),
        )
        delegated = invitations.delegate(
            session,
            invitation_id=second,
            name="Ama",
            email="ama@x.example",
            title=None,
            locale="fr",
            at=utcnow(),
        )
        second = delegated.id
        escalation = escalations.record(
            session,
            invitation_id=second,
            level=2,
            role="escalation_contact",
            workflow_id="w",
            last_level=False,
            at=utcnow(),
        )
    refs = {
        "signature_confirmation": MailRef(PLANNED, invitation_id=first),
        "withdrawal_notice": MailRef(PLANNED, invitation_id=first, params={"after_in_force": True}),
        "pact_in_force": MailRef(PLANNED, invitation_id=first),
        "escalation": MailRef(
            PLANNED,
            invitation_id=second,
            params={"escalation_id": escalation.id, "levels": 4, "role": "escalation_contact"},
        ),
        "reminder": MailRef(PLANNED, invitation_id=second, params={"number": 2, "total": 4}),
        "progress_notice": MailRef(
            PLANNED,
            campaign_id=seeded.campaign.id,
            params={"group": "brokers", "mark": 33, "signed": 1, "target": 3},
        ),
        "quorum_unreachable": MailRef(
            PLANNED,
            campaign_id=seeded.campaign.id,
            params={
                "group": "brokers",
                "signed": 0,
                "target": 3,
                "members": 3,
                "lost": 2,
                "missing_required": [7],
            },
        ),
        "quorum_broken": MailRef(PLANNED, campaign_id=seeded.campaign.id, params={"groups": ["brokers"]}),
        "deadline_extended": MailRef(PLANNED, invitation_id=second, params={"deadline": "2027-02-01"}),
        "audit_checkpoint": MailRef(
            PLANNED,
            params={
                "auditor": "auditor@oversight.example",
                "head_seq": 12,
                "head_hash": "a" * 64,
                "intact": True,
                "first_bad_seq": None,
                "problem": "",
                "taken_at": "2026-12-01T09:00:00",
            },
        ),
    }
    from datetime import timedelta

    from models.staff_session import SignInReason
    from models.user import Role
    from services import sign_in, users
    from services.notifications.registry import REVIEW_COMPOSERS  # tested with report records elsewhere

    with session_scope(db) as session:
        person = users.get_or_create_user(
            session, email="ama@wco.example", name="Ama", role=Role.coordinator, actor="t"
        )
        link = sign_in.make_link(
            session, user=person, reason=SignInReason.sign_in, lifetime=timedelta(minutes=15), actor="t"
        )
        link_ref = MailRef(PLANNED, params={"link_id": link.id, "invited_by": "Admin"})
    refs["sign_in_link"] = refs["staff_invitation"] = link_ref

    assert set(renderer.available_locales()) >= {"en", "fr"}
    with session_scope(db) as session:
        for kind in (k for k in EMAIL_TEMPLATES if k not in REVIEW_COMPOSERS):
            draft = notifications.compose(
                session,
                delivery._links,
                kind=kind,
                ref=refs.get(kind, MailRef(PLANNED, invitation_id=second)),
            )
            assert draft.to, kind
            # One template per kind: every kind renders in every language that has a catalog.
            for locale in renderer.available_locales():
                rendered = renderer.render(kind, locale, draft.context)
                assert rendered.locale == locale, kind
                assert rendered.subject and rendered.text.strip() and "<html" in rendered.html, kind
    with Session(db) as session:
        draft = notifications.compose(session, delivery._links, kind="reminder", ref=refs["reminder"])
    reminder = renderer.render("reminder", "fr-CI", draft.context)
    assert reminder.locale == "fr" and "Rappel 2 sur 4" in reminder.subject
    assert renderer.resolve_locale("invitation", "ne") == "en"  # no Nepali catalog: English
    with pytest.raises(UnknownEmailKind):
        renderer.render("spam", "en", {})


def test_message_ids_are_stable_per_workflow_and_step():
    from pledgeflow.mail.message import stable_message_id

    a = stable_message_id("pledge-1-2", "invitation-3", "example.org")
    assert a == stable_message_id("pledge-1-2", "invitation-3", "example.org")
    assert a != stable_message_id("pledge-1-2", "reminder-1", "example.org")
    assert a.startswith("<") and a.endswith("@example.org>")
    assert timedelta(0) == timedelta(0)


async def test_a_sending_limit_spaces_every_email_of_a_batch(settings, db, mailbox):
    """A batch is one activity; the provider's limit must hold per email, across all lanes."""
    from activities.email import EmailJob

    per_second = 20.0
    seeded = factories.campaign_with_invitees(db, count=9)
    factories.launch(db, seeded.campaign.id)
    delivery = email_delivery(settings.model_copy(update={"email_max_per_second": per_second}), db)
    jobs = [
        EmailJob(
            kind=EmailKind.invitation,
            message_id=delivery.message_id("pledge-paced", f"invitation-{i.id}"),
            planned_at=PLANNED,
            invitation_id=i.id,
        )
        for i in seeded.invitations
        if i.id is not None
    ]
    results = await delivery.deliver(jobs)
    assert [r.outcome for r in results] == ["accepted"] * 9 and delivery.lanes > 1
    arrivals = sorted(m.received_at for m in mailbox.messages)
    # Slots are 50 ms apart; allow a little for the clock and the server's own timestamps.
    assert (arrivals[-1] - arrivals[0]).total_seconds() >= (len(jobs) - 1) / per_second * 0.9


def test_a_sending_limit_must_be_positive():
    from pydantic import ValidationError

    from pledgeflow.config import Settings

    with pytest.raises(ValidationError, match="email_max_per_second"):
        Settings(email_max_per_second=0)


async def test_a_long_french_subject_arrives_exactly_as_rendered(settings, db, mailbox):
    """Folded over several lines, the Subject decodes with no leading space and nothing lost."""
    from models.campaign import Campaign
    from pledgeflow.db import session_scope

    seeded = factories.campaign_with_invitees(db, count=1, locales=["fr"])
    title = (
        "Intégrité du dédouanement au port autonome d\u2019Abidjan : engagement des commissionnaires agréés"
    )
    with session_scope(db) as session:
        campaign = session.get(Campaign, seeded.campaign.id)
        assert campaign is not None
        campaign.title = title
        session.add(campaign)
    factories.launch(db, seeded.campaign.id)
    activities = EmailActivities(email_delivery(settings, db))
    sent = await ActivityEnvironment().run(activities.send_email, _request(seeded.invitations[0].id))
    [mail] = mailbox.messages
    with Session(db) as session:
        row = session.exec(select(EmailMessage).where(EmailMessage.message_id == sent.message_id)).one()
    raw_subject = mail.raw.split(b"Subject:", 1)[1].split(b"\n", 1)[0]
    assert raw_subject.startswith(b" =?utf-8?"), "folded straight after the colon"
    assert row.subject.startswith("Invitation à signer : ") and row.subject.endswith(f"({title})")
    assert mail.subject == row.subject
