"""API tokens for scripts: everyone lists, makes and revokes their own (an admin: anyone's).

A new token's secret is shown once, in the answer to the POST that made it: never in a redirect
URL or a flash cookie, and with `Cache-Control: no-store` so the browser does not keep the page.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.console.flash import flash
from api.console.signed_in import ConsoleDep, Staff, StaffDep, staff_form
from api.deps import ContextDep, RecordId, SessionDep
from models.user import MAX_TOKEN_DAYS, User
from pledgeflow.errors import InvalidInput
from pledgeflow.i18n import N_
from services import users

router = APIRouter(prefix="/console/tokens", include_in_schema=False)
HOME = "/console/tokens"


def _scope(staff: Staff) -> User | None:
    """Whose tokens this person reaches: everyone's for an admin, else their own (as the API)."""
    return None if staff.is_admin else staff.user


def _list_page(
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    staff: Staff,
    default_days: int,
    *,
    status: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    return tools.renderer.render(
        request,
        "console/tokens/list.html",
        staff=staff,
        status=status,
        tokens=users.list_tokens(session, owner=_scope(staff)),
        values=values or {"label": "", "expires_in_days": ""},
        errors=errors or {},
        default_days=default_days,
        max_days=MAX_TOKEN_DAYS,
    )


@router.get("")
def tokens(
    request: Request, tools: ConsoleDep, session: SessionDep, context: ContextDep, staff: StaffDep
) -> Response:
    """The tokens this person may see, and the form to make one."""
    return _list_page(request, tools, session, staff, context.settings.api_token_days)


@router.post("")
async def create(
    request: Request, tools: ConsoleDep, session: SessionDep, context: ContextDep, staff: StaffDep
) -> Response:
    """Make a token for the signed-in person; the answer shows its secret, this once."""
    form = await staff_form(request, tools, staff)
    values = {key: str(form.get(key, "")) for key in ("label", "expires_in_days")}
    default_days = context.settings.api_token_days
    try:
        wanted = users.read_token_request(label=values["label"], expires_in_days=values["expires_in_days"])
    except InvalidInput as exc:
        errors = {problem.field: problem.reason for problem in exc.errors}
        return _list_page(
            request, tools, session, staff, default_days, status=422, values=values, errors=errors
        )
    plain, token = users.create_token(
        session,
        user=staff.user,
        label=wanted.label,
        actor=staff.actor,
        lifetime=timedelta(days=wanted.expires_in_days or default_days),
    )
    session.commit()
    response = tools.renderer.render(
        request,
        "console/tokens/created.html",
        staff=staff,
        secret=plain,
        token=users.to_public(session, token),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/{token_id}/revoke")
def confirm_revoke(
    request: Request, token_id: RecordId, tools: ConsoleDep, session: SessionDep, staff: StaffDep
) -> Response:
    """Ask before revoking: which token, and a button."""
    token = users.get_token_or_raise(session, token_id, owner=_scope(staff))
    return tools.renderer.render(
        request, "console/tokens/revoke.html", staff=staff, token=users.to_public(session, token)
    )


@router.post("/{token_id}/revoke")
async def revoke(
    request: Request, token_id: RecordId, tools: ConsoleDep, session: SessionDep, staff: StaffDep
) -> Response:
    """Revoke the token: scripts using it get 401 from now on."""
    await staff_form(request, tools, staff)
    token = users.get_token_or_raise(session, token_id, owner=_scope(staff))
    users.revoke_token(session, token=token, actor=staff.actor)
    session.commit()
    return tools.renderer.redirect(
        HOME, flash=flash(N_("The token %(prefix)s… was revoked."), prefix=token.prefix)
    )
