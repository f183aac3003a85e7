"""Signed-in people for console tests: a session opened through the sign-in service (the emailed
link's journey has tests of its own, in test_sign_in.py), and the forms' CSRF field."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx
from fastapi import FastAPI
from playwright.async_api import Browser, Page
from sqlalchemy.engine import Engine

from api.console.signed_in import SESSION_COOKIE
from models.staff_session import SignInReason
from models.user import Role, User
from pledgeflow.db import session_scope
from services import sign_in, users
from tests.helpers import csrf_from


@dataclass(frozen=True)
class Person:
    """Someone on the staff, with the secret of an open session (the console's cookie)."""

    user: User
    cookie: str

    @property
    def id(self) -> int:
        return self.user.id or 0


def person(engine: Engine, role: Role = Role.coordinator, email: str = "", name: str = "") -> Person:
    """A person with this role (made if new) and an open session."""
    email = email or f"{role.value}@console.example"
    with session_scope(engine) as session:
        user = users.get_or_create_user(
            session, email=email, name=name or f"{role.value.title()} Person", role=role, actor="test"
        )
        link = sign_in.make_link(
            session, user=user, reason=SignInReason.sign_in, lifetime=timedelta(minutes=15), actor="test"
        )
        secret, _ = sign_in.open_session(session, link=link, lifetime=timedelta(hours=12))
        session.refresh(user)
        session.expunge(user)
    return Person(user=user, cookie=secret)


@asynccontextmanager
async def console_client(app: FastAPI, who: Person | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process HTTP client, signed in as `who` (or not signed in)."""
    cookies = {SESSION_COOKIE: who.cookie} if who else {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", cookies=cookies
    ) as client:
        yield client


async def post_form(
    client: httpx.AsyncClient,
    form_page: str,
    action: str,
    data: dict[str, str] | None = None,
    **kwargs: object,
) -> httpx.Response:
    """Open the page holding the form (for its CSRF field), then post the form to `action`."""
    page = await client.get(form_page)
    assert page.status_code == 200, (form_page, page.status_code, page.text[:300])
    fields = {"csrf_token": csrf_from(page.text), **(data or {})}
    return await client.post(action, data=fields, **kwargs)  # type: ignore[arg-type]


async def signed_in_page(browser: Browser, base_url: str, who: Person) -> Page:
    """A browser tab holding `who`'s session cookie for the app at base_url."""
    context = await browser.new_context()
    await context.add_cookies(
        [{"name": SESSION_COOKIE, "value": who.cookie, "url": base_url, "httpOnly": True, "sameSite": "Lax"}]
    )
    return await context.new_page()
