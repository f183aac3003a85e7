"""People (admins only): who uses the console, inviting someone, deactivating and ending sessions."""

from __future__ import annotations

import logging
from datetime import timedelta

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.console.flash import flash, ngettext
from api.console.signed_in import ConsoleDep, Staff, StaffDep, staff_form
from api.deps import ContextDep, RecordId, SessionDep, require_role
from models.email_message import EmailKind
from models.user import Role
from pledgeflow.errors import InvalidInput, PledgeflowError
from pledgeflow.i18n import N_
from services import staff as staff_service
from workflows import client as workflow_client

log = logging.getLogger(__name__)
router = APIRouter(prefix="/console/people", include_in_schema=False)

ROLE_CHOICES = [
    (Role.coordinator.value, N_("Coordinator: runs campaigns")),
    (Role.reviewer.value, N_("Reviewer: reviews the reports")),
    (Role.auditor.value, N_("Auditor: reads everything, changes nothing")),
    (Role.admin.value, N_("Admin: everything, and people")),
]
HOME = "/console/people"


def _admin(staff: Staff) -> None:
    require_role(staff.user, Role.admin)


def _list_page(
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    staff: Staff,
    *,
    status: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    return tools.renderer.render(
        request,
        "console/people/list.html",
        staff=staff,
        status=status,
        rows=staff_service.people_rows(session),
        roles=ROLE_CHOICES,
        values=values or {"email": "", "name": "", "role": Role.coordinator.value},
        errors=errors or {},
    )


@router.get("")
def people(request: Request, tools: ConsoleDep, session: SessionDep, staff: StaffDep) -> Response:
    """Everyone, with the invite form."""
    _admin(staff)
    return _list_page(request, tools, session, staff)


@router.post("")
async def invite(
    request: Request, tools: ConsoleDep, session: SessionDep, context: ContextDep, staff: StaffDep
) -> Response:
    """Add a person with a role and email them a first sign-in link."""
    _admin(staff)
    form = await staff_form(request, tools, staff)
    values = {key: str(form.get(key, "")) for key in ("email", "name", "role")}
    try:
        user, link = staff_service.invite(
            session,
            email=values["email"],
            name=values["name"],
            role=values["role"],
            actor=staff.actor,
            link_lifetime=timedelta(hours=context.settings.staff_session_hours),
        )
    except InvalidInput as exc:
        session.rollback()
        errors = {problem.field: problem.reason for problem in exc.errors}
        return _list_page(request, tools, session, staff, status=422, values=values, errors=errors)
    session.commit()
    message = flash(
        N_("%(name)s was added as %(role)s; an invitation is on its way to %(email)s."),
        name=user.name,
        role=user.role.value,
        email=user.email,
    )
    try:
        client = await context.temporal()
        await workflow_client.send_staff_mail(
            client,
            context.settings,
            kind=EmailKind.staff_invitation,
            link_id=link.id or 0,
            invited_by=staff.user.name,
        )
    except PledgeflowError as exc:
        log.error("the invitation of user %s could not be sent: %s", user.id, exc)
        message = flash(
            N_("%(name)s was added, but the invitation e-mail could not be sent: %(reason)s"),
            name=user.name,
            reason=exc.detail,
        )
    return tools.renderer.redirect(HOME, flash=message)


@router.get("/{person_id}/deactivate")
def confirm_deactivate(
    request: Request, person_id: RecordId, tools: ConsoleDep, session: SessionDep, staff: StaffDep
) -> Response:
    """Ask before deactivating: what it does, and a button."""
    _admin(staff)
    person = staff_service.get_person_or_raise(session, person_id)
    return tools.renderer.render(
        request,
        "console/people/deactivate.html",
        staff=staff,
        person=person,
        is_self=person.id == staff.user.id,
    )


@router.post("/{person_id}/deactivate")
async def deactivate(
    request: Request, person_id: RecordId, tools: ConsoleDep, session: SessionDep, staff: StaffDep
) -> Response:
    """The person can no longer sign in; their sessions end and their API tokens are revoked."""
    _admin(staff)
    await staff_form(request, tools, staff)
    person = staff_service.get_person_or_raise(session, person_id)
    staff_service.deactivate(session, person=person, by=staff.user, actor=staff.actor)
    session.commit()
    return tools.renderer.redirect(HOME, flash=flash(N_("%(name)s was deactivated."), name=person.name))


@router.post("/{person_id}/reactivate")
async def reactivate(
    request: Request, person_id: RecordId, tools: ConsoleDep, session: SessionDep, staff: StaffDep
) -> Response:
    """Let a deactivated person sign in again."""
    _admin(staff)
    await staff_form(request, tools, staff)
    person = staff_service.get_person_or_raise(session, person_id)
    staff_service.reactivate(session, person=person, actor=staff.actor)
    session.commit()
    return tools.renderer.redirect(HOME, flash=flash(N_("%(name)s can sign in again."), name=person.name))


@router.post("/{person_id}/end-sessions")
async def end_sessions(
    request: Request, person_id: RecordId, tools: ConsoleDep, session: SessionDep, staff: StaffDep
) -> Response:
    """Sign the person out everywhere (their next click goes to the sign-in page)."""
    _admin(staff)
    await staff_form(request, tools, staff)
    person = staff_service.get_person_or_raise(session, person_id)
    ended = staff_service.end_sessions(session, person=person, actor=staff.actor)
    session.commit()
    return tools.renderer.redirect(
        HOME,
        flash=ngettext(
            "%(name)s: %(num)s session ended.", "%(name)s: %(num)s sessions ended.", ended, name=person.name
        ),
    )
