"""The public register, as a page and as JSON; the campaign's visibility decides who sees it."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import HTMLResponse

from api.deps import ContextDep, SessionDep
from api.pages.tools import ToolsDep
from api.responses import ERRORS_READ
from models.commitment import Commitment
from pledgeflow.errors import NotFound
from pledgeflow.i18n.language import language_name
from services import register as registry
from services.plans import publication

router = APIRouter(prefix="/register", tags=["public register"])


class RegisterEntryPublic(BaseModel):
    organisation: str
    kind: str
    country: str
    signed_at: datetime
    signer: str | None
    withdrawn_at: datetime | None
    standing: str = Field(
        description="good, overdue, non_compliant or lapsed: how the signatory keeps up its reports"
    )
    pledge_language: str = Field(default="en", description="The language of the pledge text signed")


class RegisterPublic(BaseModel):
    campaign_id: int
    title: str
    region: str
    status: str
    in_force: bool
    in_force_at: datetime | None
    pledge_title: str
    pledge_introduction: str
    pledge_version: int
    pledge_sha256: str
    commitments: list[Commitment]
    signatories: list[RegisterEntryPublic]
    invited: int
    pledge_language: str = Field(
        default="en", description="The original's language; pledge_sha256 is its hash"
    )
    pledge_texts: dict[str, str] = Field(
        default_factory=dict, description="The SHA-256 of each translation, by language tag"
    )


@router.get("", response_class=HTMLResponse, include_in_schema=False)
def register_index(session: SessionDep, tools: ToolsDep) -> HTMLResponse:
    """Public campaigns and their registers (in the language of `?lang=`, else Accept-Language)."""
    return tools.pages.render("register/index.html", locale=None, campaigns=registry.listed(session))


@router.get("/{register_key}.json", response_model=RegisterPublic, responses=ERRORS_READ)
def register_json(register_key: str, session: SessionDep) -> RegisterPublic:
    """The register as JSON: the pledge, who signed and when, and whether the pact is in force."""
    entry = registry.register(session, registry.by_key(session, register_key))
    return RegisterPublic.model_validate(asdict(entry))


@router.get("/{register_key}", response_class=HTMLResponse, include_in_schema=False)
def register_page(
    register_key: str, session: SessionDep, context: ContextDep, tools: ToolsDep
) -> HTMLResponse:
    """The register as a page anyone can open (in the language of `?lang=`, else Accept-Language),
    with a link to the public action plan of the campaign's country administration if there is one."""
    try:
        campaign = registry.by_key(session, register_key)
        entry = registry.register(session, campaign)
    except NotFound:
        return tools.pages.message(locale=None, status=404, key="register.unknown")
    plan_key = publication.public_plan_of(session, context.settings.secret_key, campaign)
    return tools.pages.render(
        "register/register.html",
        locale=None,
        register=entry,
        key=register_key,
        language_name=language_name,
        plan_url=f"/action-plans/{plan_key}" if plan_key else None,
    )
