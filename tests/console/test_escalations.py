"""The escalations inbox: per person (a coordinator sees the escalations of own and shared
campaigns only), newest first, and "Mark handled" recorded with who and when and audited."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from models.audit import AuditEntry
from models.campaign import Campaign
from models.common import utcnow
from models.escalation import Escalation, EscalationStatus
from models.user import CampaignShare, Role
from pledgeflow.db import session_scope
from services import escalations
from tests import factories
from tests.console.staff import console_client, person, post_form


def _escalate(db, seeded, index: int, *, level: int = 2, minutes_ago: int = 0) -> int:
    with session_scope(db) as session:
        row = escalations.record(
            session,
            invitation_id=seeded.invitations[index].id,
            level=level,
            role="coordinator",
            workflow_id=f"pledge-test-{seeded.campaign.id}-{index}",  # not running: nothing to stop
            last_level=False,
            at=utcnow() - timedelta(minutes=minutes_ago),
        )
        return row.id or 0


def _two_coordinators(db):
    """Coordinator A's campaign (two escalations) and coordinator B's (one)."""
    a = person(db, Role.coordinator, email="coordinator@wco.example", name="Amina A")
    b = person(db, Role.coordinator, email="bruno@wco.example", name="Bruno B")
    ours = factories.campaign_with_invitees(db, count=2, prefix="Ours ")
    theirs = factories.campaign_with_invitees(db, count=1, prefix="Theirs ")
    with session_scope(db) as session:
        campaign = session.get(Campaign, theirs.campaign.id)
        campaign.owner_id = b.id
        campaign.title = "Lomé transit integrity"
        session.add(campaign)
    older = _escalate(db, ours, 0, minutes_ago=30)
    newer = _escalate(db, ours, 1, level=3, minutes_ago=5)
    other = _escalate(db, theirs, 0)
    return a, b, older, newer, other


async def test_a_coordinator_sees_only_the_escalations_of_own_campaigns_newest_first(console, db):
    a, b, older, newer, other = _two_coordinators(db)
    async with console_client(console.app, a) as client:
        page = await client.get("/console/escalations")
    assert page.status_code == 200
    html = page.text
    assert f'id="escalation-{newer}"' in html and f'id="escalation-{older}"' in html
    assert f'id="escalation-{other}"' not in html and "Theirs Organisation 1" not in html
    assert html.index(f"escalation-{newer}") < html.index(f"escalation-{older}"), "newest first"
    assert "Ours Organisation 2" in html and "step 3, sent to the coordinator" in html
    assert "Accra clearance integrity" in html
    async with console_client(console.app, b) as client:
        page = await client.get("/console/escalations")
    assert f'id="escalation-{other}"' in page.text and "Lomé transit integrity" in page.text
    assert f'id="escalation-{newer}"' not in page.text and "Ours Organisation" not in page.text


async def test_mark_handled_records_who_and_when_and_the_handled_filter_shows_it(console, db):
    a, _b, older, newer, other = _two_coordinators(db)
    async with console_client(console.app, a) as client:
        before = utcnow()
        done = await post_form(
            client,
            "/console/escalations",
            f"/console/escalations/{newer}/handle",
            {"note": "Called the director"},
        )
        assert done.status_code == 303 and done.headers["location"] == "/console/escalations"
        inbox = await client.get("/console/escalations")
        assert "Escalation marked handled." in inbox.text
        assert f'id="escalation-{newer}"' not in inbox.text and f'id="escalation-{older}"' in inbox.text
        handled = await client.get("/console/escalations?show=handled")
        assert f'id="escalation-{newer}"' in handled.text and "Called the director" in handled.text
        assert "coordinator@wco.example</bdi> ·" in handled.text
        # B's escalation is not A's to handle, and does not exist as far as A can tell.
        refused = await post_form(client, "/console/escalations", f"/console/escalations/{other}/handle")
        missing = await post_form(client, "/console/escalations", "/console/escalations/999999/handle")
        assert (refused.status_code, missing.status_code) == (404, 404)
        # The same words as an id that does not exist: neither its campaign nor its existence shows.
        assert f"escalation {other} does not exist" in refused.text and "campaign " not in _main(refused.text)
        again = await post_form(client, "/console/escalations", f"/console/escalations/{newer}/handle")
        assert again.status_code == 303
        assert "Already handled" in (await client.get("/console/escalations")).text
    with session_scope(db) as session:
        rows = {r.id: r for r in session.exec(select(Escalation).order_by(col(Escalation.id))).all()}
        audit = session.exec(
            select(AuditEntry).where(AuditEntry.kind == "escalation.handled").order_by(col(AuditEntry.seq))
        ).all()
    assert rows[newer].status is EscalationStatus.handled
    assert rows[newer].handled_by == f"user:{a.id}:coordinator@wco.example"
    assert rows[newer].handled_at is not None and rows[newer].handled_at >= before
    assert rows[newer].note == "Called the director"
    assert rows[other].status is EscalationStatus.open and rows[older].status is EscalationStatus.open
    assert [(e.actor, e.data["escalation_id"]) for e in audit] == [(rows[newer].handled_by, newer)]


async def test_a_form_without_its_csrf_field_is_refused(console, db):
    a, _b, _older, newer, _other = _two_coordinators(db)
    async with console_client(console.app, a) as client:
        refused = await client.post(f"/console/escalations/{newer}/handle", data={"note": "x"})
    assert refused.status_code == 403
    with session_scope(db) as session:
        assert session.get(Escalation, newer).status is EscalationStatus.open


async def test_reviewers_have_no_inbox(console, db):
    reviewer = person(db, Role.reviewer)
    async with console_client(console.app, reviewer) as client:
        page = await client.get("/console/escalations")
    assert page.status_code == 403 and "text/html" in page.headers["content-type"]


async def test_a_campaign_shared_with_a_coordinator_brings_its_escalations_to_their_inbox(console, db):
    a, b, _older, _newer, other = _two_coordinators(db)
    with session_scope(db) as session:
        campaign_id = session.get(Escalation, other).campaign_id
        session.add(CampaignShare(campaign_id=campaign_id, user_id=a.id))
    async with console_client(console.app, a) as client:
        page = await client.get("/console/escalations")
        assert f'id="escalation-{other}"' in page.text and "Lomé transit integrity" in page.text
        done = await post_form(client, "/console/escalations", f"/console/escalations/{other}/handle")
        assert done.status_code == 303
    with session_scope(db) as session:
        assert session.get(Escalation, other).handled_by == f"user:{a.id}:coordinator@wco.example"
    async with console_client(console.app, b) as client:
        handled = await client.get("/console/escalations?show=handled")
    assert "coordinator@wco.example</bdi> ·" in handled.text, "the owner sees who handled it"


def _main(html: str) -> str:
    """The page's own content (the navigation names "Campaigns" on every page)."""
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
