"""Signing in with an emailed one-time link, and signing out.

Opening the emailed link shows a button rather than signing in at once: mail scanners open
links before people do, and a link that worked on the first GET would be spent by the scanner.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta

from fastapi import APIRouter, BackgroundTasks, Request
from pydantic import EmailStr, TypeAdapter, ValidationError
from starlette.responses import RedirectResponse, Response

from api.console.flash import flash
from api.console.signed_in import (
    SESSION_COOKIE,
    ConsoleDep,
    ConsoleTools,
    FormRefused,
    StaffDep,
    checked_form,
    current_staff_or_none,
    staff_form,
)
from api.context import ApiContext
from api.deps import ContextDep, SessionDep
from models.email_message import EmailKind
from pledgeflow.errors import PledgeflowError
from pledgeflow.i18n import N_
from services import sign_in
from workflows import client as workflow_client

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

SIGN_IN_SCOPE = "sign-in"
HOME = "/console/campaigns"
# Where the person was going when asked to sign in: kept in this browser, not in the emailed
# link, so the link stays the same for every page and another browser lands on the home page.
NEXT_COOKIE = "pf_next"
_EMAIL = TypeAdapter(EmailStr)


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of this site only (never another host)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return HOME
    return value


@router.get("/")
def home(request: Request) -> Response:
    """The console for a signed-in person, else the sign-in page."""
    return RedirectResponse(HOME if current_staff_or_none(request) else "/sign-in", status_code=303)


@router.get("/console")
def console_home() -> Response:
    return RedirectResponse(HOME, status_code=303)


@router.get("/sign-in")
def sign_in_form(request: Request, tools: ConsoleDep, next: str = "") -> Response:
    """Enter an email address to get a sign-in link."""
    if current_staff_or_none(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return tools.renderer.render(
        request, "console/sign_in/form.html", next=safe_next(next), email="", errors={}, refused=""
    )


async def _send_link(context: ApiContext, link_id: int) -> None:
    """After the answer: start the workflow that emails the link (the page says the same either way)."""
    try:
        client = await context.temporal()
        await workflow_client.send_staff_mail(
            client, context.settings, kind=EmailKind.sign_in_link, link_id=link_id
        )
    except PledgeflowError as exc:
        log.error("the sign-in link %s could not be sent: %s", link_id, exc)


@router.post("/sign-in")
async def ask_for_link(
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    context: ContextDep,
    background: BackgroundTasks,
) -> Response:
    """Send a link if the address is a person's; answer the same whether it is or not."""
    form = await checked_form(request, tools, SIGN_IN_SCOPE)
    email = str(form.get("email", "")).strip()
    next_path = safe_next(str(form.get("next", "")))
    try:
        _EMAIL.validate_python(email)
    except ValidationError:
        return tools.renderer.render(
            request,
            "console/sign_in/form.html",
            status=422,
            next=next_path,
            email=email,
            errors={"email": "is not an email address"},
            refused="",
        )
    settings = context.settings
    link = sign_in.request_link(
        session,
        email=email,
        lifetime=timedelta(minutes=settings.sign_in_link_minutes),
        per_hour=settings.sign_in_links_per_hour,
    )
    session.commit()
    if link is not None and link.id is not None:
        background.add_task(_send_link, context, link.id)
    response = tools.renderer.render(
        request, "console/sign_in/sent.html", email=email, minutes=settings.sign_in_link_minutes
    )
    if next_path != HOME:
        response.set_cookie(
            NEXT_COOKIE,
            next_path,
            httponly=True,
            samesite="lax",
            secure=settings.public_base_url.startswith("https://"),
            max_age=settings.sign_in_link_minutes * 60,
            path="/",
        )
    return response


def _refused(request: Request, tools: ConsoleTools, exc: sign_in.SignInRefused) -> Response:
    """The sign-in form again, saying why the link did not work."""
    return tools.renderer.render(
        request, "console/sign_in/form.html", status=410, next=HOME, email="", errors={}, refused=str(exc)
    )


@router.get("/sign-in/{token}")
def open_link(
    request: Request, token: str, tools: ConsoleDep, session: SessionDep, context: ContextDep
) -> Response:
    """The page behind the emailed link: a button that signs in (the link is not used yet)."""
    try:
        link = sign_in.read_link(session, context.links, token)
    except sign_in.SignInRefused as exc:
        return _refused(request, tools, exc)
    person = sign_in.person_of(session, link)
    return tools.renderer.render(request, "console/sign_in/confirm.html", token=token, person=person)


@router.post("/sign-in/{token}")
async def use_link(
    request: Request, token: str, tools: ConsoleDep, session: SessionDep, context: ContextDep
) -> Response:
    """Use the link once: open a session and set its cookie."""
    await checked_form(request, tools, SIGN_IN_SCOPE)
    try:
        link = sign_in.read_link(session, context.links, token)
    except sign_in.SignInRefused as exc:
        return _refused(request, tools, exc)
    settings = context.settings
    try:
        secret, _ = sign_in.open_session(
            session,
            link=link,
            lifetime=timedelta(hours=settings.staff_session_hours),
            user_agent=request.headers.get("user-agent", ""),
        )
    except sign_in.SignInRefused as exc:
        return _refused(request, tools, exc)
    session.commit()
    response = RedirectResponse(safe_next(request.cookies.get(NEXT_COOKIE)), status_code=303)
    response.delete_cookie(NEXT_COOKIE, path="/")
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        # Lax, not Strict: a link to the console in a notice email must arrive signed in.
        samesite="lax",
        secure=settings.public_base_url.startswith("https://"),
        max_age=settings.staff_session_hours * 3600,
        path="/",
    )
    return response


@router.post("/sign-out")
async def sign_out(request: Request, tools: ConsoleDep, session: SessionDep, staff: StaffDep) -> Response:
    """End this session; the cookie goes too."""
    # A stale sign-out form still signs out: ending one's own session harms no one.
    with contextlib.suppress(FormRefused):
        await staff_form(request, tools, staff)
    sign_in.end_session(session, staff.session, actor=staff.actor)
    session.commit()
    response = tools.renderer.redirect("/sign-in", flash=flash(N_("You are signed out.")))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
