"""`make run` prints a sign-in link for the demo admin that opens the console (not a token to paste)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from models.staff_session import SignInLink
from models.user import Role
from pledgeflow.dev.stack import DEMO_ADMIN_EMAIL, Endpoints, _banner, demo_admin_sign_in
from services import users
from tests.console.staff import console_client, post_form
from tests.devstack import BANNER_CAMPAIGN, BANNER_TOKEN


async def test_the_printed_link_signs_the_demo_admin_in_to_the_console(console, db):
    url = demo_admin_sign_in(db, console.settings)
    assert url.startswith(f"{console.settings.public_base_url}/sign-in/")
    with Session(db) as session:
        admin = users.get_user_by_email(session, DEMO_ADMIN_EMAIL)
        assert admin is not None and admin.role is Role.admin
        link = session.exec(select(SignInLink).where(SignInLink.user_id == admin.id)).one()
        assert link.expires_at - link.created_at >= timedelta(hours=console.settings.staff_session_hours)
    path = url.removeprefix(console.settings.public_base_url)
    async with console_client(console.app) as client:
        opened = await client.get(path)
        assert opened.status_code == 200 and "Demo Admin" in opened.text
        used = await post_form(client, path, path)
        assert used.status_code == 303 and used.headers["location"] == "/console/campaigns"
        people = await client.get("/console/people")
    assert people.status_code == 200 and DEMO_ADMIN_EMAIL in people.text
    assert demo_admin_sign_in(db, console.settings) != url  # each start prints a fresh one


def test_the_banner_leads_with_the_console_link_and_keeps_the_token_for_scripts():
    endpoints = Endpoints(
        api="http://127.0.0.1:8000",
        docs="http://127.0.0.1:8000/docs",
        mailbox="http://127.0.0.1:8025",
        smtp="127.0.0.1:1025",
        temporal="127.0.0.1:7233",
        temporal_ui="http://127.0.0.1:8233",
    )
    text = _banner(endpoints, "pf_abc", 7, "http://127.0.0.1:8000/sign-in/tok")
    lines = text.splitlines()
    console_line = next(i for i, line in enumerate(lines) if "sign in as the demo admin" in line)
    assert lines[console_line + 1].strip() == "http://127.0.0.1:8000/sign-in/tok"
    assert console_line < next(i for i, line in enumerate(lines) if "For scripts" in line)
    assert (m := BANNER_TOKEN.search(text)) and m.group(1) == "pf_abc"  # tests/devstack.py still reads it
    assert (m := BANNER_CAMPAIGN.search(text)) and m.group(1) == "7"
    assert "http://127.0.0.1:8000/console/campaigns/7" in text
