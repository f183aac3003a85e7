"""The coordinator's emails, as received: a link to the campaign's console page and the
coordinator's footer (not the signatory's), and counts in the singular when there is one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities, SendEmailInput
from models.common import utcnow
from models.email_message import EmailKind
from models.labels import label
from pledgeflow.db import session_scope
from pledgeflow.worker import email_delivery
from services import escalations, invitations
from tests import factories

PLANNED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SIGNATORY_FOOTER = "you were named as a contact"
COORDINATOR_FOOTER = "you are the coordinator of the campaign"


def _send(settings, db, kind: EmailKind, step: str, **ref: Any):
    activities = EmailActivities(email_delivery(settings, db))
    return ActivityEnvironment().run(
        activities.send_email,
        SendEmailInput(kind=kind, workflow_id="coordinator-mail-test", step=step, planned_at=PLANNED, **ref),
    )


async def test_coordinator_notices_link_to_the_campaign_page_with_the_coordinators_footer(
    settings, db, mailbox
):
    seeded = factories.campaign_with_invitees(db, count=2)
    factories.launch(db, seeded.campaign.id)
    campaign_id = seeded.campaign.id
    first, second = (i.id for i in seeded.invitations)
    with session_scope(db) as session:
        invitations.get_or_raise(session, first).decline_reason = "Our board has not met yet"
        escalation = escalations.record(
            session,
            invitation_id=second,
            level=3,
            role="coordinator",
            workflow_id="w",
            last_level=False,
            at=utcnow(),
        )
        coordinator = escalation.recipient_email
    await _send(
        settings,
        db,
        EmailKind.progress_notice,
        "progress",
        campaign_id=campaign_id,
        params={"group": "brokers", "mark": 100, "signed": 1, "target": 1},
    )
    await _send(
        settings,
        db,
        EmailKind.quorum_unreachable,
        "unreachable",
        campaign_id=campaign_id,
        params={
            "group": "brokers",
            "signed": 1,
            "target": 2,
            "members": 1,
            "lost": 1,
            "missing_required": [],
        },
    )
    await _send(settings, db, EmailKind.decline_notice, "decline", invitation_id=first)
    await _send(
        settings,
        db,
        EmailKind.escalation,
        "escalation",
        invitation_id=second,
        params={"escalation_id": escalation.id, "levels": 4, "role": "coordinator"},
    )
    await _send(settings, db, EmailKind.invitation, "invitation", invitation_id=first)
    mails = await mailbox.wait_for_async(5)
    by_kind = {mail.kind: mail for mail in mails}
    page = f"{settings.public_base_url}/console/campaigns/{campaign_id}"
    for kind in ("progress_notice", "quorum_unreachable", "decline_notice", "escalation"):
        mail = by_kind[kind]
        assert mail.to == [coordinator], kind
        assert f"Campaign page: {page}" in mail.text, kind
        assert f'href="{page}"' in mail.html, kind
        assert COORDINATOR_FOOTER in mail.text and "Accra clearance integrity" in mail.text.split("--")[-1], (
            kind
        )
        assert "change the coordinator email" in mail.text, kind
        assert SIGNATORY_FOOTER not in mail.text and SIGNATORY_FOOTER not in mail.html, kind
    assert "1 of 1 signature." in by_kind["progress_notice"].text
    unreachable = by_kind["quorum_unreachable"].text
    assert "It needs 2 signatures and has 1. 1 of its 1 member declined" in unreachable
    assert "were given" not in unreachable
    assert "Our board has not met yet" in by_kind["decline_notice"].text
    # The signatory's emails keep the signatory's footer and no console link.
    invitation = by_kind["invitation"]
    assert SIGNATORY_FOOTER in invitation.text and "/console/" not in invitation.text + invitation.html


def test_review_notices_to_the_coordinator_carry_the_campaign_page_and_the_coordinators_footer(settings, db):
    from pledgeflow.config import PROJECT_ROOT
    from pledgeflow.mail.render import EmailRenderer
    from services import notifications
    from services.notifications import MailRef
    from tests.reviews import records as rr

    seeded = rr.signed_campaign(db, count=1)
    report = rr.open_report(db, seeded, 0)
    links = email_delivery(settings, db)._links
    renderer = EmailRenderer(PROJECT_ROOT / "templates", labels=label)
    params = {"report_id": report, "from": "good", "to": "overdue"}
    with session_scope(db) as session:
        drafts = {
            audience: notifications.compose(
                session,
                links,
                kind="standing_changed",
                ref=MailRef(
                    PLANNED, invitation_id=seeded.invitations[0].id, params={**params, "audience": audience}
                ),
            )
            for audience in ("coordinator", "signatory")
        }
    page = f"{settings.public_base_url}/console/campaigns/{seeded.campaign.id}"
    to_coordinator = renderer.render("standing_changed", "en", drafts["coordinator"].context)
    assert drafts["coordinator"].to == [seeded.coordinator.email]
    assert f"Campaign page: {page}" in to_coordinator.text and f'href="{page}"' in to_coordinator.html
    assert COORDINATOR_FOOTER in to_coordinator.text and SIGNATORY_FOOTER not in to_coordinator.html
    to_signatory = renderer.render("standing_changed", "en", drafts["signatory"].context)
    assert SIGNATORY_FOOTER in to_signatory.text and "/console/" not in to_signatory.text + to_signatory.html
