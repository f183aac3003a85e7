"""The pages behind signing and withdrawal links: read the pledge, then sign, decline, delegate
or withdraw.

No account is needed: the link's signed token is the credential. Every way a link can fail
(tampered, expired, unknown, already used, handed over, campaign ended) gets its own page
with a 4xx status; the forms work without JavaScript and are protected against CSRF. The answers
go to the pledge workflow through `workflows.client`; a rejection arrives as a domain error with
its kind, and each kind has its page here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, TypeVar
from urllib.parse import urlencode

from email_validator import EmailNotValidError, validate_email
from fastapi import APIRouter, Form, Request
from sqlalchemy.exc import SQLAlchemyError
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response
from temporalio.client import Client

from api.context import ApiContext
from api.csrf import FIELD
from api.deps import ContextDep, ReadSessionDep
from api.pages import form_errors
from api.pages.form_errors import FieldError
from api.pages.tools import PageTools, ToolsDep, read_link
from models.campaign import CampaignStatus
from models.common import utcnow
from models.invitation import InvitationStatus
from models.pledge import Pledge
from models.pledge_text import PledgeText, text_direction
from pledgeflow.db import session_scope
from pledgeflow.errors import NotFound, Pending, PledgeflowError, Unavailable
from pledgeflow.i18n.language import language_name
from pledgeflow.links import LinkPurpose
from services import invitations, signatures
from services.invitations import InvitationView
from workflows import client as workflow_client
from workflows.pledge_messages import (
    DeclineRequest,
    DelegateRequest,
    Rejection,
    Signer,
    SignRequest,
    WithdrawRequest,
)

router = APIRouter(tags=["pages"], include_in_schema=False)
log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


def _coordinator(view: InvitationView) -> str:
    """The coordinator's address, for the pages that say whom to ask ('' when the campaign has none)."""
    return view.campaign.coordinator_email or ""


def _signed_at(value: object) -> datetime | None:
    """The moment of a signature as the workflow's rejection gives it (ISO text), or None."""
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _closed_link_page(tools: PageTools, session: ReadSessionDep, view: InvitationView) -> HTMLResponse | None:
    """The page for a link that can no longer be used, or None while it is open."""
    locale, country = view.contact.locale, view.organisation.country
    invitation = view.invitation
    if view.campaign.status is CampaignStatus.cancelled:
        return tools.pages.message(
            locale=locale, country=country, status=410, key="link.cancelled", campaign=view.campaign.title
        )
    if view.campaign.status is CampaignStatus.closed and invitation.status is not InvitationStatus.signed:
        return tools.pages.message(
            locale=locale, country=country, status=410, key="link.closed", campaign=view.campaign.title
        )
    if invitation.status is InvitationStatus.signed:
        signature = signatures.for_invitation(session, invitation.id or 0)
        return tools.pages.message(
            locale=locale,
            country=country,
            status=409,
            zone=view.campaign.timezone,
            key="link.signed",
            name=signature.signer_name if signature else view.contact.name,
            organisation=view.organisation.name,
            date=signature.signed_at if signature else invitation.responded_at,
        )
    if invitation.status is InvitationStatus.declined:
        return tools.pages.message(
            locale=locale,
            country=country,
            status=409,
            zone=view.campaign.timezone,
            key="link.declined" if invitation.responded_at else "link.declined_now",
            date=invitation.responded_at,
            contact=_coordinator(view),
        )
    if invitation.status is InvitationStatus.delegated:
        return tools.pages.message(locale=locale, country=country, status=410, key="link.delegated")
    if invitation.status is InvitationStatus.expired:
        return tools.pages.message(
            locale=locale,
            country=country,
            status=410,
            zone=view.campaign.timezone,
            key="link.expired" if invitation.responded_at else "link.expired_now",
            date=invitation.responded_at,
            contact=_coordinator(view),
        )
    if invitation.status in (InvitationStatus.pending, InvitationStatus.sent, InvitationStatus.unresponsive):
        return None
    return tools.pages.message(
        locale=locale,
        country=country,
        status=409,
        key="link.not_open",
        state=invitation.status.value,
        contact=_coordinator(view),
    )


def _closed_withdraw_page(tools: PageTools, view: InvitationView) -> HTMLResponse | None:
    """The page for a withdrawal link that can no longer be used, or None while it is open."""
    if view.campaign.status in (CampaignStatus.cancelled, CampaignStatus.closed):
        return tools.pages.message(
            locale=view.contact.locale,
            country=view.organisation.country,
            status=410,
            key=f"link.{view.campaign.status.value}",
            campaign=view.campaign.title,
        )
    if view.invitation.status is not InvitationStatus.signed:
        return tools.pages.message(
            locale=view.contact.locale,
            country=view.organisation.country,
            status=409,
            key="link.not_signed",
            state=view.invitation.status.value,
        )
    return None


def _contact_locale(session: ReadSessionDep, invitation_id: int) -> str | None:
    """The language of the contact an (expired) link was made for, if the invitation still exists."""
    try:
        return invitations.view(session, invitation_id).contact.locale
    except NotFound:
        return None


def _open_link(
    token: str, purpose: LinkPurpose, session: ReadSessionDep, context: ApiContext, tools: PageTools
) -> InvitationView | HTMLResponse:
    """The invitation behind a usable signing or withdrawal link, or the page that says why not."""
    claims = read_link(tools, context, token, purpose, locale_of=lambda i: _contact_locale(session, i))
    if isinstance(claims, HTMLResponse):
        return claims
    try:
        view = invitations.view(session, claims.subject_id)
    except NotFound:
        return tools.pages.message(locale=None, status=404, key="link.unknown")
    if purpose is LinkPurpose.withdraw:
        return _closed_withdraw_page(tools, view) or view
    return _closed_link_page(tools, session, view) or view


def _shown_text(request: Request, view: InvitationView, chosen: str | None) -> PledgeText:
    """The text the page shows: the one chosen (form, then `?text=`), else the reader's, else the original."""
    pledge = view.pledge
    for wanted in (chosen, request.query_params.get("text")):
        if wanted and wanted in pledge.languages():
            found = pledge.exact_text(wanted)
            if found is not None:
                return found
    return pledge.text_in(request.query_params.get("lang") or view.contact.locale)


def _text_choices(request: Request, token: str, shown: PledgeText, pledge: Pledge) -> list[dict[str, str]]:
    """The other texts of the version, by their own name, as links keeping the token and `lang`."""
    lang = request.query_params.get("lang")
    choices = []
    for tag in pledge.languages():
        if tag == shown.language:
            continue
        query = urlencode({"text": tag, **({"lang": lang} if lang else {})})
        choices.append({"language": tag, "name": language_name(tag), "url": f"/s/{token}?{query}"})
    return choices


def _sign_page(
    request: Request,
    tools: PageTools,
    token: str,
    view: InvitationView,
    *,
    status: int = 200,
    errors: list[FieldError] | None = None,
    form: dict[str, str] | None = None,
    text: str | None = None,
) -> HTMLResponse:
    cookie_value, csrf_field = tools.csrf.issue(request, token)
    pledge = view.pledge
    shown = _shown_text(request, view, text)
    response = tools.pages.render(
        "signing/sign.html",
        locale=view.contact.locale,
        country=view.organisation.country,
        status=status,
        token=token,
        csrf_field=FIELD,
        csrf_token=csrf_field,
        errors=errors or [],
        form=form or {},
        contact=view.contact,
        organisation=view.organisation,
        campaign=view.campaign,
        delegated_by=view.delegated_by,
        pledge={
            "title": shown.title,
            "introduction": shown.introduction,
            "version": pledge.version,
            "sha256": shown.sha256,
            "commitments": shown.commitments,
            "language": shown.language,
            "language_name": language_name(shown.language),
            "direction": text_direction(shown.language),
        },
        pledge_texts=_text_choices(request, token, shown, pledge),
    )
    tools.csrf.set_cookie(response, cookie_value)
    return response


@router.get("/s/{token}", response_class=HTMLResponse)
def signing_page(
    token: str, request: Request, session: ReadSessionDep, context: ContextDep, tools: ToolsDep
) -> Response:
    """The pledge, who is invited for whom, and the forms to sign, decline or delegate."""
    opened = _open_link(token, LinkPurpose.sign, session, context, tools)
    if isinstance(opened, HTMLResponse):
        return opened
    page = _sign_page(request, tools, token, opened)
    if opened.invitation.opened_at is None and isinstance(page, Response):
        # After the page is sent: the signatory never waits on this write (nor on a database
        # that drops connections while it is made).
        page.background = BackgroundTask(_record_first_opening, context, opened.invitation.id or 0)
    return page


def _record_first_opening(context: ApiContext, invitation_id: int) -> None:
    """The funnel's "opened", once; the page is shown even when the database cannot take it now."""
    try:
        with session_scope(context.engine) as writer:
            invitations.record_opened(writer, invitation_id=invitation_id, at=utcnow())
    except SQLAlchemyError as exc:
        log.warning("the first opening of invitation %s was not recorded: %s", invitation_id, exc)


def _rejection_page(
    tools: PageTools, view: InvitationView, error: PledgeflowError
) -> HTMLResponse | FieldError:
    """A page for a rejection that ends the flow, or the error to show on the form again."""
    kind, message = error.kind, error.detail
    locale, country, contact = view.contact.locale, view.organisation.country, _coordinator(view)
    if kind == Rejection.invalid:
        return FieldError("", form_errors.REFUSED, {"reason": message})
    if kind == Rejection.already_signed:
        signed_at = _signed_at(error.details.get("signed_at"))
        return tools.pages.message(
            locale=locale,
            country=country,
            status=409,
            zone=view.campaign.timezone,
            key="link.signed",
            name=str(error.details.get("signer_name", "")),
            organisation=view.organisation.name,
            date=signed_at or "—",
        )
    if kind == Rejection.already_declined:
        return tools.pages.message(
            locale=locale, country=country, status=409, key="link.declined_now", contact=contact
        )
    if kind == Rejection.stale_link:
        return tools.pages.message(locale=locale, country=country, status=410, key="link.delegated")
    if kind == Rejection.expired:
        return tools.pages.message(
            locale=locale, country=country, status=410, key="link.expired_now", contact=contact
        )
    if kind == Rejection.closed:
        return tools.pages.message(
            locale=locale, country=country, status=410, key="link.closed", campaign=view.campaign.title
        )
    return tools.pages.message(
        locale=locale, country=country, status=409, key="link.not_open", state=message, contact=contact
    )


async def _guarded_update(
    context: ApiContext,
    tools: PageTools,
    view: InvitationView,
    update: Callable[[Client, int, int, R], Awaitable[T]],
    request: R,
) -> T | HTMLResponse | FieldError:
    """Run one of the pledge workflow's updates; a rejection or Temporal trouble becomes a page."""
    try:
        client = await context.temporal()
        return await update(client, view.invitation.campaign_id, view.invitation.organisation_id, request)
    except NotFound as exc:
        if exc.kind is not None:
            return _rejection_page(tools, view, exc)
        return tools.pages.message(
            locale=view.contact.locale, country=view.organisation.country, status=404, key="link.unknown"
        )
    except Pending:
        return tools.pages.unavailable(locale=view.contact.locale, body_key="link.pending_body")
    except Unavailable:
        return tools.pages.unavailable(locale=view.contact.locale, body_key="error.unavailable_body")
    except PledgeflowError as exc:
        return _rejection_page(tools, view, exc)


def _csrf_failure(tools: PageTools, view: InvitationView) -> HTMLResponse:
    return tools.pages.message(
        locale=view.contact.locale, country=view.organisation.country, status=403, key="form.csrf"
    )


@router.post("/s/{token}/sign", response_class=HTMLResponse)
async def sign(
    token: str,
    request: Request,
    session: ReadSessionDep,
    context: ContextDep,
    tools: ToolsDep,
    signer_name: Annotated[str, Form()] = "",
    signer_title: Annotated[str, Form()] = "",
    consent: Annotated[str | None, Form()] = None,
    publish_name: Annotated[str | None, Form()] = None,
    pledge_language: Annotated[str, Form(max_length=35)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
    lang: Annotated[str | None, Form()] = None,
) -> Response:
    """Sign on behalf of the organisation, the text in the language chosen; answers with the receipt."""
    tools.pages.answer_in(lang, page=f"/s/{token}")
    opened = await run_in_threadpool(_open_link, token, LinkPurpose.sign, session, context, tools)
    if isinstance(opened, HTMLResponse):
        return opened
    view = opened
    if not tools.csrf.check(request, token, csrf_token):
        return _csrf_failure(tools, view)
    form = {"signer_name": signer_name, "signer_title": signer_title}
    problems = []
    if not signer_name.strip():
        problems.append(FieldError("signer_name", form_errors.NAME_REQUIRED))
    if not signer_title.strip():
        problems.append(FieldError("signer_title", form_errors.TITLE_REQUIRED))
    if consent is None:
        problems.append(
            FieldError("consent", form_errors.CONSENT_REQUIRED, {"organisation": view.organisation.name})
        )
    # The text signed is the one the form showed; a language the version lacks is not guessed.
    signed = view.pledge.original_text()
    if pledge_language in view.pledge.languages():
        signed = view.pledge.exact_text(pledge_language) or signed
    elif pledge_language:
        problems.append(
            FieldError("pledge_language", form_errors.PLEDGE_LANGUAGE_UNKNOWN, {"language": pledge_language})
        )
    if problems:
        return _sign_page(
            request, tools, token, view, status=422, errors=problems, form=form, text=signed.language
        )
    session.close()  # release the database while Temporal answers
    outcome = await _guarded_update(
        context,
        tools,
        view,
        workflow_client.sign,
        SignRequest.of(
            view.invitation.id or 0,
            Signer(
                name=signer_name,
                title=signer_title,
                publish_name=publish_name is not None,
                ip=request.client.host if request.client else None,
                user_agent=request.headers.get("user-agent"),
                pledge_language=signed.language,
            ).stripped(),
            consent=True,
        ),
    )
    if isinstance(outcome, FieldError):
        return _sign_page(
            request, tools, token, view, status=422, errors=[outcome], form=form, text=signed.language
        )
    if isinstance(outcome, HTMLResponse):
        return outcome
    return tools.pages.done(
        locale=view.contact.locale,
        country=view.organisation.country,
        zone=view.campaign.timezone,
        key="done.signed",
        name=signer_name.strip(),
        organisation=view.organisation.name,
        receipt_id=outcome.receipt_id,
        signed_at=outcome.signed_at,
        pledge_sha256=signed.sha256,
    )


@router.post("/s/{token}/decline", response_class=HTMLResponse)
async def decline(
    token: str,
    request: Request,
    session: ReadSessionDep,
    context: ContextDep,
    tools: ToolsDep,
    reason: Annotated[str, Form()] = "",
    csrf_token: Annotated[str | None, Form()] = None,
    lang: Annotated[str | None, Form()] = None,
) -> Response:
    """Decline with a reason; the coordinator is told."""
    tools.pages.answer_in(lang, page=f"/s/{token}")
    opened = await run_in_threadpool(_open_link, token, LinkPurpose.sign, session, context, tools)
    if isinstance(opened, HTMLResponse):
        return opened
    view = opened
    if not tools.csrf.check(request, token, csrf_token):
        return _csrf_failure(tools, view)
    if not reason.strip():
        errors = [FieldError("reason", form_errors.DECLINE_REASON_REQUIRED)]
        return _sign_page(request, tools, token, view, status=422, errors=errors)
    session.close()
    outcome = await _guarded_update(
        context,
        tools,
        view,
        workflow_client.decline,
        DeclineRequest(invitation_id=view.invitation.id or 0, reason=reason.strip()),
    )
    if isinstance(outcome, FieldError):
        return _sign_page(request, tools, token, view, status=422, errors=[outcome], form={"reason": reason})
    if isinstance(outcome, HTMLResponse):
        return outcome
    return tools.pages.done(
        locale=view.contact.locale, country=view.organisation.country, key="done.declined"
    )


@router.post("/s/{token}/delegate", response_class=HTMLResponse)
async def delegate(
    token: str,
    request: Request,
    session: ReadSessionDep,
    context: ContextDep,
    tools: ToolsDep,
    delegate_name: Annotated[str, Form()] = "",
    delegate_email: Annotated[str, Form()] = "",
    delegate_title: Annotated[str, Form()] = "",
    csrf_token: Annotated[str | None, Form()] = None,
    lang: Annotated[str | None, Form()] = None,
) -> Response:
    """Hand the invitation to a colleague, who gets a fresh link; this one stops working."""
    tools.pages.answer_in(lang, page=f"/s/{token}")
    opened = await run_in_threadpool(_open_link, token, LinkPurpose.sign, session, context, tools)
    if isinstance(opened, HTMLResponse):
        return opened
    view = opened
    if not tools.csrf.check(request, token, csrf_token):
        return _csrf_failure(tools, view)
    form = {
        "delegate_name": delegate_name,
        "delegate_email": delegate_email,
        "delegate_title": delegate_title,
    }
    problems = []
    if not delegate_name.strip():
        problems.append(FieldError("delegate_name", form_errors.DELEGATE_NAME_REQUIRED))
    try:
        email = validate_email(delegate_email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        # email_validator explains in English only: the page says which field and shows what was typed.
        problems.append(
            FieldError("delegate_email", form_errors.DELEGATE_EMAIL_INVALID, {"email": delegate_email})
        )
        email = ""
    if email and email == view.contact.email.lower():
        problems.append(FieldError("delegate_email", form_errors.DELEGATE_EMAIL_OWN))
    if problems:
        return _sign_page(request, tools, token, view, status=422, errors=problems, form=form)
    session.close()
    outcome = await _guarded_update(
        context,
        tools,
        view,
        workflow_client.delegate,
        DelegateRequest(
            invitation_id=view.invitation.id or 0,
            name=delegate_name.strip(),
            email=email,
            title=delegate_title.strip() or None,
            locale=view.contact.locale,
        ),
    )
    if isinstance(outcome, FieldError):
        return _sign_page(request, tools, token, view, status=422, errors=[outcome], form=form)
    if isinstance(outcome, HTMLResponse):
        return outcome
    return tools.pages.done(
        locale=view.contact.locale, country=view.organisation.country, key="done.delegated", email=email
    )


def _withdraw_page(
    request: Request,
    tools: PageTools,
    token: str,
    view: InvitationView,
    *,
    status: int = 200,
    errors: list[FieldError] | None = None,
    reason: str = "",
) -> HTMLResponse:
    cookie_value, csrf_field = tools.csrf.issue(request, token)
    response = tools.pages.render(
        "signing/withdraw.html",
        locale=view.contact.locale,
        country=view.organisation.country,
        status=status,
        token=token,
        csrf_field=FIELD,
        csrf_token=csrf_field,
        errors=errors or [],
        reason=reason,
        organisation=view.organisation,
        campaign=view.campaign,
        in_force=view.campaign.in_force_at is not None,
    )
    tools.csrf.set_cookie(response, cookie_value)
    return response


@router.get("/w/{token}", response_class=HTMLResponse)
def withdraw_page(
    token: str, request: Request, session: ReadSessionDep, context: ContextDep, tools: ToolsDep
) -> Response:
    """Withdraw a signature, with a reason."""
    opened = _open_link(token, LinkPurpose.withdraw, session, context, tools)
    if isinstance(opened, HTMLResponse):
        return opened
    return _withdraw_page(request, tools, token, opened)


@router.post("/w/{token}", response_class=HTMLResponse)
async def withdraw(
    token: str,
    request: Request,
    session: ReadSessionDep,
    context: ContextDep,
    tools: ToolsDep,
    reason: Annotated[str, Form()] = "",
    csrf_token: Annotated[str | None, Form()] = None,
    lang: Annotated[str | None, Form()] = None,
) -> Response:
    """Record the withdrawal through the pledge workflow; the coordinator is told."""
    tools.pages.answer_in(lang, page=f"/w/{token}")
    opened = await run_in_threadpool(_open_link, token, LinkPurpose.withdraw, session, context, tools)
    if isinstance(opened, HTMLResponse):
        return opened
    view = opened
    if not tools.csrf.check(request, token, csrf_token):
        return _csrf_failure(tools, view)
    if not reason.strip():
        errors = [FieldError("reason", form_errors.WITHDRAW_REASON_REQUIRED)]
        return _withdraw_page(request, tools, token, view, status=422, errors=errors)
    session.close()
    outcome = await _guarded_update(
        context,
        tools,
        view,
        workflow_client.withdraw,
        WithdrawRequest(invitation_id=view.invitation.id or 0, reason=reason.strip()),
    )
    if isinstance(outcome, FieldError):
        return _withdraw_page(request, tools, token, view, status=422, errors=[outcome], reason=reason)
    if isinstance(outcome, HTMLResponse):
        return outcome
    return tools.pages.done(
        locale=view.contact.locale, country=view.organisation.country, key="done.withdrawn"
    )
