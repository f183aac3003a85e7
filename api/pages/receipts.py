"""Public receipt verification: anyone with a receipt id can check what was signed."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import HTMLResponse

from api.deps import SessionDep
from api.pages.tools import ToolsDep
from api.responses import ERRORS_READ
from models.commitment import Commitment
from models.pledge import Pledge
from models.pledge_text import text_direction
from pledgeflow.errors import NotFound
from pledgeflow.i18n.language import language_name
from services import signatures

router = APIRouter(tags=["receipts"])


class ReceiptPublic(BaseModel):
    receipt_id: str
    organisation_name: str = Field(description="As it was when signing: a later rename does not change it")
    organisation_country: str
    campaign_id: int
    signed_at: datetime
    pledge_version: int
    pledge_language: str = Field(description="The language of the text signed (the one shown here)")
    pledge_sha256: str = Field(description="SHA-256 of the canonical text in `pledge_language`")
    pledge_title: str
    pledge_introduction: str
    commitments: list[Commitment]
    withdrawn_at: datetime | None


def _receipt(session: SessionDep, receipt_id: str) -> ReceiptPublic:
    signature = signatures.get_by_receipt(session, receipt_id)
    if signature is None:
        raise NotFound(f"receipt {receipt_id} does not exist")
    pledge = session.get(Pledge, signature.pledge_id)
    assert pledge is not None
    # The text signed, in its language: the one whose hash the signature carries.
    signed = pledge.text_in(signature.pledge_language)
    facts = signatures.signed_facts(session, signature)
    return ReceiptPublic(
        receipt_id=signature.receipt_id,
        organisation_name=facts.organisation_name,
        organisation_country=facts.organisation_country,
        campaign_id=signature.campaign_id,
        signed_at=signature.signed_at,
        pledge_version=signature.pledge_version,
        pledge_language=signed.language,
        pledge_sha256=signature.pledge_sha256,
        pledge_title=signed.title,
        pledge_introduction=signed.introduction,
        commitments=signed.commitments,
        withdrawn_at=signature.withdrawn_at,
    )


@router.get("/receipts/{receipt_id}.json", response_model=ReceiptPublic, responses=ERRORS_READ)
def receipt_json(receipt_id: str, session: SessionDep) -> ReceiptPublic:
    """The receipt as JSON: organisation, time, pledge text and its SHA-256."""
    return _receipt(session, receipt_id)


@router.get("/receipts/{receipt_id}", response_class=HTMLResponse, include_in_schema=False)
def receipt_page(receipt_id: str, session: SessionDep, tools: ToolsDep) -> HTMLResponse:
    """The receipt as a page anyone can open."""
    try:
        receipt = _receipt(session, receipt_id)
    except NotFound:
        return tools.pages.message(locale=None, status=404, key="receipt.unknown", receipt=receipt_id)
    return tools.pages.render(
        "signing/receipt.html",
        locale=None,
        country=receipt.organisation_country or None,
        receipt=receipt,
        signed_text={
            "language": receipt.pledge_language,
            "name": language_name(receipt.pledge_language),
            "direction": text_direction(receipt.pledge_language),
        },
    )
