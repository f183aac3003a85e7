"""Sessions end server-side: a deactivation or an admin's "end sessions" signs the person out at
once, and only admins reach the people page."""

from __future__ import annotations

import pytest

from models.user import Role
from tests.console.staff import console_client, person, post_form


async def test_a_deactivated_persons_open_session_ends_at_once(console, db):
    admin = person(db, Role.admin, email="ada@console.example")
    cora = person(db, Role.coordinator, email="cora@console.example")
    async with console_client(console.app, cora) as theirs:
        assert (await theirs.get("/console/campaigns")).status_code == 200
        async with console_client(console.app, admin) as client:
            done = await post_form(client, "/console/people", f"/console/people/{cora.id}/deactivate")
            assert done.status_code == 303
        after = await theirs.get("/console/campaigns")
    assert after.status_code == 303
    assert after.headers["location"] == "/sign-in?next=/console/campaigns"


async def test_an_admins_end_sessions_signs_the_person_out(console, db):
    admin = person(db, Role.admin, email="ada@console.example")
    cora = person(db, Role.coordinator, email="cora@console.example", name="Cora Coordinator")
    async with console_client(console.app, cora) as theirs:
        assert (await theirs.get("/console/tokens")).status_code == 200
        async with console_client(console.app, admin) as client:
            done = await post_form(client, "/console/people", f"/console/people/{cora.id}/end-sessions")
            assert done.status_code == 303
            listed = await client.get("/console/people")
            assert "Cora Coordinator: 1 session ended." in listed.text
            assert (await client.get("/console/people")).status_code == 200  # the admin's own stays
        after = await theirs.get("/console/tokens")
    assert after.status_code == 303
    assert after.headers["location"].startswith("/sign-in")


@pytest.mark.parametrize("role", [Role.reviewer, Role.auditor, Role.coordinator])
async def test_only_admins_reach_the_people_page(console, db, role):
    someone = person(db, role)
    other = person(db, Role.admin, email="ada@console.example")
    async with console_client(console.app, someone) as client:
        page = await client.get("/console/people")
        refused = await post_form(
            client,
            "/console/tokens",
            "/console/people",
            {"email": "x@example.org", "name": "X", "role": "admin"},
        )
        ended = await post_form(client, "/console/tokens", f"/console/people/{other.id}/end-sessions")
    assert page.status_code == 403
    assert "You cannot do this" in page.text and "<html" in page.text
    assert refused.status_code == 403 and ended.status_code == 403
    assert "People" not in page.text.split("<main", 1)[0]  # no People link in the nav either
