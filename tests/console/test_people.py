"""The people page: admins list, invite, deactivate, reactivate and sign people out."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, col, select

from models.audit import AuditEntry
from models.staff_session import StaffSession
from models.user import ApiToken, Role, User
from services import users
from services.notifications.staff import valid_for
from tests.console.staff import console_client, person, post_form, signed_in_page
from tests.pagechecks import PageChecks, assert_clean, shots_folder


def _audit(db, kind: str) -> list[AuditEntry]:
    with Session(db) as session:
        return list(
            session.exec(select(AuditEntry).where(AuditEntry.kind == kind).order_by(col(AuditEntry.seq)))
        )


async def test_an_admin_sees_everyone_with_their_sessions(console, db):
    admin = person(db, Role.admin, email="ada@console.example", name="Ada Admin")
    person(db, Role.reviewer, email="rui@console.example", name="Rui Reviewer")
    async with console_client(console.app, admin) as client:
        page = await client.get("/console/people")
    assert page.status_code == 200
    assert "Ada Admin" in page.text and "rui@console.example" in page.text
    assert "reviewer" in page.text
    assert "End sessions" in page.text  # each has an open session


async def test_an_invitation_adds_the_person_and_emails_them_a_link(console, db, mailbox):
    admin = person(db, Role.admin, email="ada@console.example", name="Ada Admin")
    async with console_client(console.app, admin) as client:
        answer = await post_form(
            client,
            "/console/people",
            "/console/people",
            {"email": "New.Person@Example.org", "name": "Nia New", "role": "auditor"},
        )
        assert answer.status_code == 303
        listed = await client.get(answer.headers["location"])
    assert "Nia New was added as auditor" in listed.text
    assert "new.person@example.org" in listed.text
    mails = await mailbox.wait_for_async(1, to="new.person@example.org")
    assert len(mails) == 1
    assert "/sign-in/" in mails[0].text
    assert "Ada Admin has added you to the pledgeflow console as auditor" in mails[0].text
    assert f"for {console.settings.staff_session_hours} hours" in mails[0].text
    with Session(db) as session:
        added = users.get_user_by_email(session, "new.person@example.org")
        assert added is not None and added.role is Role.auditor
    created = _audit(db, "user.created")
    assert created[-1].actor == f"user:{admin.id}:ada@console.example"


async def test_a_bad_invitation_shows_each_reason_beside_its_field(console, db):
    admin = person(db, Role.admin, email="ada@console.example")
    async with console_client(console.app, admin) as client:
        answer = await post_form(
            client,
            "/console/people",
            "/console/people",
            {"email": "not-an-address", "name": "", "role": "boss"},
        )
        again = await post_form(
            client,
            "/console/people",
            "/console/people",
            {"email": "ada@console.example", "name": "Twice", "role": "admin"},
        )
    assert answer.status_code == 422
    assert re.search(r'id="email-error">is not an email address<', answer.text)
    assert re.search(r'id="name-error">is required<', answer.text)
    assert re.search(r'id="role-error">must be one of', answer.text)
    assert 'value="not-an-address"' in answer.text  # what was typed stays
    assert again.status_code == 422
    assert "already belongs to someone in pledgeflow" in again.text


async def test_deactivating_asks_first_then_ends_sessions_and_revokes_tokens(console, db):
    admin = person(db, Role.admin, email="ada@console.example")
    leaver = person(db, Role.coordinator, email="leo@console.example", name="Leo Leaver")
    with Session(db) as session:
        user = session.get(User, leaver.id)
        assert user is not None
        plain, _ = users.create_token(session, user=user, label="script", actor="test")
        session.commit()
    async with console_client(console.app, admin) as client:
        confirm = await client.get(f"/console/people/{leaver.id}/deactivate")
        assert confirm.status_code == 200
        assert "Deactivate Leo Leaver?" in confirm.text and "API tokens are revoked" in confirm.text
        done = await post_form(
            client, f"/console/people/{leaver.id}/deactivate", f"/console/people/{leaver.id}/deactivate"
        )
        assert done.status_code == 303
        listed = await client.get("/console/people")
    assert "Leo Leaver was deactivated." in listed.text
    with Session(db) as session:
        user = session.get(User, leaver.id)
        assert user is not None and not user.active
        assert all(
            s.ended_at is not None
            for s in session.exec(select(StaffSession).where(StaffSession.user_id == leaver.id))
        )
        assert all(
            t.revoked_at is not None
            for t in session.exec(select(ApiToken).where(ApiToken.user_id == leaver.id))
        )
    entry = _audit(db, "user.deactivated")[-1]
    assert entry.actor == f"user:{admin.id}:ada@console.example"
    assert entry.data["sessions_ended"] == 1 and entry.data["tokens_revoked"] == 1
    async with console_client(console.app) as api:
        refused = await api.get("/campaigns", headers={"Authorization": f"Bearer {plain}"})
    assert refused.status_code == 401


async def test_an_admin_cannot_deactivate_themselves(console, db):
    admin = person(db, Role.admin, email="ada@console.example")
    async with console_client(console.app, admin) as client:
        confirm = await client.get(f"/console/people/{admin.id}/deactivate")
        assert "You cannot deactivate yourself" in confirm.text
        refused = await post_form(client, "/console/people", f"/console/people/{admin.id}/deactivate")
    assert refused.status_code == 409
    assert "you cannot deactivate yourself" in refused.text
    with Session(db) as session:
        me = session.get(User, admin.id)
        assert me is not None and me.active


async def test_reactivating_lets_the_person_sign_in_again(console, db):
    admin = person(db, Role.admin, email="ada@console.example")
    leaver = person(db, Role.reviewer, email="rui@console.example", name="Rui Reviewer")
    async with console_client(console.app, admin) as client:
        await post_form(client, "/console/people", f"/console/people/{leaver.id}/deactivate")
        listed = await client.get("/console/people")
        assert "Reactivate" in listed.text
        back = await post_form(client, "/console/people", f"/console/people/{leaver.id}/reactivate")
        assert back.status_code == 303
        listed = await client.get("/console/people")
    assert "Rui Reviewer can sign in again." in listed.text
    with Session(db) as session:
        user = session.get(User, leaver.id)
        assert user is not None and user.active
    assert _audit(db, "user.reactivated")[-1].actor == f"user:{admin.id}:ada@console.example"


async def test_the_people_pages_read_well_and_pass_axe(console, db, tmp_path):
    admin = person(db, Role.admin, email="ada@console.example", name="Ada Admin")
    other = person(db, Role.coordinator, email="cora@console.example", name="Cora Coordinator")
    async with console.served() as (base, browser):
        page = await signed_in_page(browser, base, admin)
        checks = PageChecks(page, shots_folder(tmp_path))
        await checks.visit("console-people-list", f"{base}/console/people", 200)
        await page.fill("#email", "bad")
        await page.get_by_role("button", name="Invite", exact=True).click()
        await page.wait_for_selector("#email-error")
        await checks.check("console-people-invite-errors")
        await checks.visit("console-people-deactivate", f"{base}/console/people/{other.id}/deactivate", 200)
    assert_clean(checks)


@pytest.mark.parametrize(
    ("minutes", "said"),
    [(1, "1 minute"), (15, "15 minutes"), (60, "1 hour"), (90, "90 minutes"), (720, "12 hours")],
)
def test_a_links_lifetime_reads_as_a_person_says_it(minutes, said):
    assert valid_for(minutes) == said
