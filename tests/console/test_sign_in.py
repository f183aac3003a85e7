"""Signing in with an emailed one-time link: what the pages answer, what is sent, what is refused.

The emails go through StaffMailWorkflow on the real workers (the `console` fixture) to the test
SMTP server, so "only the known, active address gets a link" is read in the mailbox itself.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session, col, select

from api.app import create_app
from api.console.sign_in import safe_next
from api.console.signed_in import SESSION_COOKIE
from models.common import utcnow
from models.staff_session import SignInLink, SignInReason, StaffSession
from models.user import Role, User
from pledgeflow.db import session_scope
from services import sign_in, staff, users
from tests.console.staff import console_client, person, post_form
from tests.pagechecks import PageChecks, assert_clean, shots_folder

SENT = "If {email} belongs to someone in pledgeflow, a sign-in link is on its way to it."
LINK = re.compile(r"https?://[^\s\"<>]+/sign-in/([A-Za-z0-9_.\-]+)")


def _staff_member(db, email: str, role: Role = Role.coordinator, *, active: bool = True) -> int:
    with session_scope(db) as session:
        user = users.get_or_create_user(session, email=email, name="Known Person", role=role, actor="test")
        if not active:
            admin = users.get_or_create_user(
                session, email="root@console.example", name="Root", role=Role.admin, actor="test"
            )
            staff.deactivate(session, person=user, by=admin, actor="test")
        return user.id or 0


def _link(db, links, user_id: int, *, age: timedelta = timedelta(0), minutes: int = 15) -> str:
    """A sign-in link's token, made `age` ago with a lifetime of `minutes`."""
    with session_scope(db) as session:
        user = session.get(User, user_id)
        assert user is not None
        link = sign_in.make_link(
            session,
            user=user,
            reason=SignInReason.sign_in,
            lifetime=timedelta(minutes=minutes),
            actor="test",
            now=utcnow() - age,
        )
        return sign_in.link_token(links, link)


@asynccontextmanager
async def _app_client(
    console, base_url: str = "http://testserver", **settings
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app made with these settings changed (rate limits, the public URL)."""
    changed = console.settings.model_copy(update={"public_base_url": base_url, **settings})

    async def connect():
        return console.temporal

    app = create_app(changed, engine=console.engine, connect_temporal=connect)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url) as client:
        yield client


async def _ask(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await post_form(client, "/sign-in", "/sign-in", {"email": email, "next": "/console/campaigns"})


async def test_asking_answers_the_same_and_only_a_known_active_address_gets_a_link(console, db, mailbox):
    _staff_member(db, "known@console.example")
    _staff_member(db, "gone@console.example", active=False)
    async with console_client(console.app) as client:
        answers = {
            email: await _ask(client, email)
            for email in ("nobody@console.example", "gone@console.example", "known@console.example")
        }
    for email, answer in answers.items():
        assert answer.status_code == 200, email
        assert SENT.format(email=email) in answer.text
    pages = [re.sub(r'value="[^"]*"|[a-z]+@console\.example', "", a.text) for a in answers.values()]
    assert pages[0] == pages[1] == pages[2]  # nothing tells the three apart
    mails = await mailbox.wait_for_async(1, to="known@console.example")
    assert len(mails) == 1 and LINK.search(mails[0].text)
    assert sorted(addr for m in mailbox.messages for addr in m.to) == ["known@console.example"]


async def test_a_bad_address_is_refused_beside_its_field(console, db):
    async with console_client(console.app) as client:
        answer = await _ask(client, "not an address")
    assert answer.status_code == 422
    assert re.search(r'id="email-error">is not an email address<', answer.text)


async def test_links_per_address_are_limited_and_the_page_says_the_same(console, db, mailbox):
    user_id = _staff_member(db, "known@console.example")
    async with _app_client(console, sign_in_links_per_hour=2) as client:
        answers = [await _ask(client, "known@console.example") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert all(SENT.format(email="known@console.example") in a.text for a in answers)
    with Session(db) as session:
        made = session.exec(select(SignInLink).where(SignInLink.user_id == user_id)).all()
    assert len(made) == 2
    await mailbox.wait_for_async(2, to="known@console.example")
    assert len(mailbox.messages) == 2


async def test_asking_too_often_from_one_address_is_refused_with_retry_after(console, db):
    async with _app_client(console, rate_limit_sign_in="3/minute") as client:
        first = await client.get("/sign-in")
        answers = [await client.get("/sign-in") for _ in range(3)]
    assert first.status_code == 200
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[-1].headers["retry-after"]) >= 1
    assert "<html" in answers[-1].text.lower()


async def test_opening_the_link_does_not_use_it_pressing_the_button_does(console, db):
    user_id = _staff_member(db, "known@console.example")
    token = _link(db, console.app.state.context.links, user_id)
    async with console_client(console.app) as client:
        for _ in range(2):  # a mail scanner, then the person
            opened = await client.get(f"/sign-in/{token}")
            assert opened.status_code == 200
            assert "You are signing in as" in opened.text and "known@console.example" in opened.text
        with Session(db) as session:
            assert session.exec(select(SignInLink)).one().used_at is None
            assert session.exec(select(StaffSession)).all() == []
        used = await post_form(client, f"/sign-in/{token}", f"/sign-in/{token}")
        assert used.status_code == 303 and used.headers["location"] == "/console/campaigns"
        home = await client.get("/console/campaigns")
        assert home.status_code == 200 and "Sign out" in home.text
    async with console_client(console.app) as client:
        again = await post_form(client, "/sign-in", f"/sign-in/{token}")
    assert again.status_code == 410
    assert "already used: each link works once" in again.text
    with Session(db) as session:
        assert session.exec(select(SignInLink)).one().used_at is not None
        assert len(session.exec(select(StaffSession)).all()) == 1


def test_two_presses_at_the_same_instant_open_one_session(db):
    """Both requests read the link unused before either uses it: only one opens a session."""
    user_id = _staff_member(db, "known@console.example")
    with session_scope(db) as session:
        user = session.get(User, user_id)
        assert user is not None
        link_id = sign_in.make_link(
            session, user=user, reason=SignInReason.sign_in, lifetime=timedelta(minutes=15), actor="test"
        ).id
    read = []
    for _ in range(2):  # each request reads the link, unused, in a transaction of its own
        with Session(db) as session:
            link = session.get(SignInLink, link_id)
            assert link is not None and link.used_at is None
            session.expunge(link)
            read.append(link)
    with Session(db) as first:
        sign_in.open_session(first, link=read[0], lifetime=timedelta(hours=1))
        first.commit()
    with Session(db) as second, pytest.raises(sign_in.SignInRefused, match="already used"):
        sign_in.open_session(second, link=read[1], lifetime=timedelta(hours=1))
    with Session(db) as session:
        assert len(session.exec(select(StaffSession)).all()) == 1


async def test_an_expired_link_says_so(console, db):
    user_id = _staff_member(db, "known@console.example")
    token = _link(db, console.app.state.context.links, user_id, age=timedelta(minutes=20), minutes=15)
    async with console_client(console.app) as client:
        opened = await client.get(f"/sign-in/{token}")
        pressed = await post_form(client, "/sign-in", f"/sign-in/{token}")
    for answer in (opened, pressed):
        assert answer.status_code == 410
        assert "This sign-in link has expired or is not valid" in answer.text
        assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")


async def test_a_deactivated_persons_link_is_refused(console, db):
    user_id = _staff_member(db, "known@console.example")
    token = _link(db, console.app.state.context.links, user_id)
    with session_scope(db) as session:
        admin = users.get_or_create_user(
            session, email="root@console.example", name="R", role=Role.admin, actor="t"
        )
        person_ = session.get(User, user_id)
        assert person_ is not None
        staff.deactivate(session, person=person_, by=admin, actor="test")
    async with console_client(console.app) as client:
        pressed = await post_form(client, "/sign-in", f"/sign-in/{token}")
    assert pressed.status_code == 410 and "This account cannot sign in" in pressed.text


async def test_the_session_cookie_is_httponly_lax_and_not_secure_over_http(console, db):
    token = _link(db, console.app.state.context.links, _staff_member(db, "known@console.example"))
    async with console_client(console.app) as client:
        used = await post_form(client, f"/sign-in/{token}", f"/sign-in/{token}")
    cookie = next(c for c in used.headers.get_list("set-cookie") if c.startswith(f"{SESSION_COOKIE}="))
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "secure" not in flags
    assert any(f.startswith("max-age=") for f in flags)


async def test_the_session_cookie_is_secure_when_the_public_url_is_https(console, db):
    token = _link(db, console.app.state.context.links, _staff_member(db, "known@console.example"))
    async with _app_client(console, base_url="https://console.example") as client:
        used = await post_form(client, f"/sign-in/{token}", f"/sign-in/{token}")
    assert used.status_code == 303
    cookie = next(c for c in used.headers.get_list("set-cookie") if c.startswith(f"{SESSION_COOKIE}="))
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "secure" in flags and "httponly" in flags and "samesite=lax" in flags


async def test_sign_out_ends_the_session_on_the_server(console, db):
    cora = person(db, Role.coordinator)
    async with console_client(console.app, cora) as client:
        out = await post_form(client, "/console/campaigns", "/sign-out")
        assert out.status_code == 303 and out.headers["location"] == "/sign-in"
    with Session(db) as session:
        ended = session.exec(select(StaffSession).where(StaffSession.user_id == cora.id)).one()
        assert ended.ended_at is not None and ended.ended_by == f"user:{cora.id}:{cora.user.email}"
    async with console_client(console.app, cora) as old_cookie:  # the cookie a copy kept
        after = await old_cookie.get("/console/campaigns")
    assert after.status_code == 303 and after.headers["location"].startswith("/sign-in")


@pytest.mark.parametrize(
    ("asked", "goes_to"),
    [
        ("/console/tokens", "/console/tokens"),
        ("https://evil.example/", "/console/campaigns"),
        ("//evil.example/x", "/console/campaigns"),
        ("/\\evil.example", "/console/campaigns"),
        ("javascript:alert(1)", "/console/campaigns"),
        ("", "/console/campaigns"),
    ],
)
def test_next_is_only_ever_a_local_path(asked, goes_to):
    assert safe_next(asked) == goes_to


async def test_a_signed_in_person_is_sent_only_to_a_local_next(console, db):
    cora = person(db, Role.coordinator)
    async with console_client(console.app, cora) as client:
        local = await client.get("/sign-in", params={"next": "/console/tokens"})
        away = await client.get("/sign-in", params={"next": "//evil.example/phish"})
    assert local.headers["location"] == "/console/tokens"
    assert away.headers["location"] == "/console/campaigns"
    async with console_client(console.app) as client:
        form = await client.get("/sign-in", params={"next": "https://evil.example/"})
    assert 'name="next" value="/console/campaigns"' in form.text


async def test_signing_in_in_a_browser_from_the_emailed_link(console, db, mailbox, tmp_path):
    _staff_member(db, "known@console.example")
    async with console.served() as (base, browser):
        page = await (await browser.new_context()).new_page()
        checks = PageChecks(page, shots_folder(tmp_path))
        await checks.visit("console-sign-in-form", f"{base}/sign-in", 200)
        await page.fill("#email", "known@console.example")
        await page.get_by_role("button", name="Email me a sign-in link").click()
        await page.wait_for_selector("text=Check your email")
        await checks.check("console-sign-in-sent")
        mails = await mailbox.wait_for_async(1, to="known@console.example")
        match = LINK.search(mails[0].text)
        assert match
        # The workers render links with the fixture's public URL, not the served one's: same path.
        link = f"{base}/sign-in/{match.group(1)}"
        await checks.visit("console-sign-in-confirm", link, 200)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(f"{base}/console/campaigns")
        assert await page.locator("text=Sign out").count() == 1
        cookies = [c for c in await page.context.cookies() if c["name"] == SESSION_COOKIE]
        assert cookies and cookies[0]["httpOnly"] and cookies[0]["sameSite"] == "Lax"
        await checks.visit("console-sign-in-refused", link, 410)
        assert await page.locator("text=already used").count() == 1
    assert_clean(checks)
    with Session(db) as session:
        opened = session.exec(select(StaffSession).order_by(col(StaffSession.id))).all()
    assert len(opened) == 1


async def test_the_person_lands_where_they_were_going_in_the_same_browser(console, db, mailbox):
    _staff_member(db, "known@console.example")
    async with console_client(console.app) as client:
        asked = await client.get("/console/tokens")
        assert asked.headers["location"] == "/sign-in?next=/console/tokens"
        sent = await post_form(
            client,
            asked.headers["location"],
            "/sign-in",
            {"email": "known@console.example", "next": "/console/tokens"},
        )
        assert sent.status_code == 200
        token = LINK.search((await mailbox.wait_for_async(1, to="known@console.example"))[0].text)
        assert token
        path = f"/sign-in/{token.group(1)}"
        used = await post_form(client, path, path)
    assert used.headers["location"] == "/console/tokens"
    async with console_client(console.app) as elsewhere:  # the link opened in another browser
        sent = await post_form(
            elsewhere, "/sign-in", "/sign-in", {"email": "known@console.example", "next": "//evil.example/"}
        )
        token = LINK.search((await mailbox.wait_for_async(2, to="known@console.example"))[-1].text)
        assert token
        path = f"/sign-in/{token.group(1)}"
        used = await post_form(elsewhere, path, path)
    assert used.headers["location"] == "/console/campaigns"
