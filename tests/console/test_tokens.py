"""API tokens in the console: made (the secret shown once), listed, revoked; per user."""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from models.audit import AuditEntry
from models.user import ApiToken, Role, User
from services import users
from tests.console.staff import console_client, person, post_form, signed_in_page
from tests.pagechecks import PageChecks, assert_clean, shots_folder

SECRET = re.compile(r'<p class="secret" id="token-secret">(pf_[^<]+)</p>')


def _token_of(db, owner_id: int, label: str = "theirs") -> tuple[str, int]:
    with Session(db) as session:
        owner = session.get(User, owner_id)
        assert owner is not None
        plain, token = users.create_token(session, user=owner, label=label, actor="test")
        session.commit()
        return plain, token.id or 0


async def test_a_token_made_in_the_console_works_until_it_is_revoked(console, db):
    coordinator = person(db, Role.coordinator, email="cora@console.example")
    async with console_client(console.app, coordinator) as client:
        made = await post_form(
            client, "/console/tokens", "/console/tokens", {"label": "nightly export", "expires_in_days": "30"}
        )
        assert made.status_code == 200
        assert made.headers["cache-control"] == "no-store"
        assert "pf_flash" not in made.headers.get("set-cookie", "")
        match = SECRET.search(made.text)
        assert match, made.text[:500]
        plain = match.group(1)
        listed = await client.get("/console/tokens")
        assert "nightly export" in listed.text and plain[:10] in listed.text
        assert plain not in listed.text  # shown once only
        api = await client.get("/campaigns", headers={"Authorization": f"Bearer {plain}"})
        assert api.status_code == 200
        with Session(db) as session:
            token = session.exec(select(ApiToken).where(ApiToken.user_id == coordinator.id)).one()
            assert (token.expires_at - token.created_at).days == 30
        confirm = await client.get(f"/console/tokens/{token.id}/revoke")
        assert "Scripts using it are refused" in confirm.text
        revoked = await post_form(
            client, f"/console/tokens/{token.id}/revoke", f"/console/tokens/{token.id}/revoke"
        )
        assert revoked.status_code == 303
        after = await client.get("/console/tokens")
        assert "was revoked" in after.text and "revoked" in after.text
        refused = await client.get("/campaigns", headers={"Authorization": f"Bearer {plain}"})
    assert refused.status_code == 401
    with Session(db) as session:
        kinds = [
            (e.kind, e.actor)
            for e in session.exec(
                select(AuditEntry)
                .where(col(AuditEntry.kind).startswith("token."))
                .order_by(col(AuditEntry.seq))
            )
        ]
    actor = f"user:{coordinator.id}:cora@console.example"
    assert kinds == [("token.created", actor), ("token.revoked", actor)]


async def test_a_bad_expiry_is_refused_beside_its_field(console, db):
    coordinator = person(db, Role.coordinator, email="cora@console.example")
    async with console_client(console.app, coordinator) as client:
        words = await post_form(
            client, "/console/tokens", "/console/tokens", {"label": "x", "expires_in_days": "soon"}
        )
        too_long = await post_form(
            client, "/console/tokens", "/console/tokens", {"label": "x", "expires_in_days": "99999"}
        )
    assert words.status_code == 422
    assert re.search(r'id="expires_in_days-error">must be a whole number of days<', words.text)
    assert too_long.status_code == 422
    assert re.search(r'id="expires_in_days-error">Input should be less than or equal to 3650<', too_long.text)
    with Session(db) as session:
        assert session.exec(select(ApiToken)).all() == []


async def test_someone_elses_token_is_not_found_unless_you_are_admin(console, db):
    cora = person(db, Role.coordinator, email="cora@console.example")
    rui = person(db, Role.reviewer, email="rui@console.example")
    admin = person(db, Role.admin, email="ada@console.example")
    _, ruis = _token_of(db, rui.id, label="rui's script")
    async with console_client(console.app, cora) as client:
        listed = await client.get("/console/tokens")
        assert "rui&#39;s script" not in listed.text
        assert (await client.get(f"/console/tokens/{ruis}/revoke")).status_code == 404
        refused = await post_form(client, "/console/tokens", f"/console/tokens/{ruis}/revoke")
        assert refused.status_code == 404
    with Session(db) as session:
        token = session.get(ApiToken, ruis)
        assert token is not None and token.revoked_at is None
    async with console_client(console.app, admin) as client:
        listed = await client.get("/console/tokens")
        assert "rui&#39;s script" in listed.text and "rui@console.example" in listed.text
        done = await post_form(client, "/console/tokens", f"/console/tokens/{ruis}/revoke")
        assert done.status_code == 303
    with Session(db) as session:
        token = session.get(ApiToken, ruis)
        assert token is not None and token.revoked_at is not None


async def test_the_token_pages_read_well_and_pass_axe(console, db, tmp_path):
    admin = person(db, Role.admin, email="ada@console.example", name="Ada Admin")
    rui = person(db, Role.reviewer, email="rui@console.example")
    _, ruis = _token_of(db, rui.id, label="rui's script")
    async with console.served() as (base, browser):
        page = await signed_in_page(browser, base, admin)
        checks = PageChecks(page, shots_folder(tmp_path))
        await checks.visit("console-tokens-list", f"{base}/console/tokens", 200)
        await page.fill("#label", "export")
        await page.get_by_role("button", name="Make the token").click()
        await page.wait_for_selector("#token-secret")
        await checks.check("console-tokens-created")
        await checks.visit("console-tokens-revoke", f"{base}/console/tokens/{ruis}/revoke", 200)
    assert_clean(checks)
