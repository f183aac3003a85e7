"""Who is signed in to the console, what they may do, and the forms they post.

The session cookie names a server-side `StaffSession`; every request looks it up, so sign-out,
an admin's "end sessions" and a deactivation take effect on the next click. A request without
an open session is sent to the sign-in page, which brings the person back where they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from starlette.datastructures import FormData

from api.console.rendering import ConsoleRenderer
from api.csrf import CsrfGuard
from api.deps import SessionDep, actor_of
from models.staff_session import StaffSession
from models.user import Role, User
from pledgeflow.db import read_only
from pledgeflow.errors import PledgeflowError
from services import sign_in

SESSION_COOKIE = "pf_session"
WRITERS = (Role.admin, Role.coordinator)


@dataclass(frozen=True)
class Staff:
    """The signed-in person and the session they are signed in with."""

    user: User
    session: StaffSession

    @property
    def actor(self) -> str:
        """How the audit log names them (the same as for their API tokens)."""
        return actor_of(self.user)

    @property
    def csrf_scope(self) -> str:
        """Forms are bound to the session: a field copied from another session does not pass."""
        return f"console:{self.session.id}"

    @property
    def can_write(self) -> bool:
        return self.user.role in WRITERS

    @property
    def is_admin(self) -> bool:
        return self.user.role is Role.admin


class SignInRequired(Exception):
    """No open session: the person is sent to the sign-in page, then back to `next_path`."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class FormRefused(PledgeflowError):
    """A form post without a valid CSRF field or from another site."""

    status = 403
    slug = "forbidden"
    title = "The form could not be accepted"


@dataclass
class ConsoleTools:
    renderer: ConsoleRenderer
    csrf: CsrfGuard


def get_console(request: Request) -> ConsoleTools:
    tools: ConsoleTools = request.app.state.console
    return tools


ConsoleDep = Annotated[ConsoleTools, Depends(get_console)]


def sign_in_url(next_path: str) -> str:
    return f"/sign-in?next={quote(next_path, safe='/')}"


def current_staff(request: Request, session: SessionDep) -> Staff:
    """The person signed in with this browser, or SignInRequired."""
    secret = request.cookies.get(SESSION_COOKIE, "")
    found = sign_in.session_of(session, secret) if secret else None
    if found is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target if request.method == "GET" else request.url.path)
    staff_session, user = found
    return Staff(user=user, session=staff_session)


StaffDep = Annotated[Staff, Depends(current_staff)]


async def checked_form(request: Request, tools: ConsoleTools, scope: str) -> FormData:
    """The posted form, once its CSRF field and origin are checked (FormRefused otherwise)."""
    form = await request.form()
    submitted = form.get("csrf_token")
    if not tools.csrf.check(request, scope, submitted if isinstance(submitted, str) else None):
        raise FormRefused(
            "this form has expired or was not sent from this site; reload the page and send it again"
        )
    return form


async def staff_form(request: Request, tools: ConsoleTools, staff: Staff) -> FormData:
    """A signed-in person's form, checked against their session's CSRF scope."""
    return await checked_form(request, tools, staff.csrf_scope)


def current_staff_or_none(request: Request) -> Staff | None:
    """The signed-in person for an error page's header, if the session can be read at all."""
    secret = request.cookies.get(SESSION_COOKIE, "")
    if not secret:
        return None
    context = request.app.state.context
    try:
        with Session(read_only(context.engine)) as session:
            found = sign_in.session_of(session, secret)
            if found is None:
                return None
            session.expunge_all()
            return Staff(user=found[1], session=found[0])
    except SQLAlchemyError:
        return None  # the error page must not fail because the database does
