"""Uploaded evidence: the stored type is read from the content, never taken from the client, and
the download is served with that type, as an attachment, with nosniff."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator

import httpx
import openpyxl
import pytest
import pytest_asyncio
from sqlmodel import Session, col, select

from models.report import Evidence
from models.review import ReportTemplate
from services.reviews.evidence_types import sniff
from tests.i18n.page_text import seen
from tests.reviews import records as rr
from tests.reviews.test_pages import _app, _fields, _form

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
HTML = b"<!doctype html><html><body><script>fetch('/r/'+location.hash)</script></body></html>"


def docx_bytes() -> bytes:
    """A Word document as far as its package says: [Content_Types].xml names a wordprocessing main part."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/word/document.xml" ContentType="{DOCX}.main+xml"/></Types>',
        )
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def xlsx_bytes() -> bytes:
    out = io.BytesIO()
    openpyxl.Workbook().save(out)
    return out.getvalue()


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.exe", b"MZ\x90\x00")
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "declared", "expected"),
    [
        (rr.PDF, "image/png", "application/pdf"),
        (PNG, "application/pdf", "image/png"),
        (JPEG, "", "image/jpeg"),
        (b"MZ\x90\x00\x03\x00", "application/pdf", "application/x-msdownload"),
        (docx_bytes(), "application/octet-stream", DOCX),
        (xlsx_bytes(), DOCX, XLSX),
        (zip_bytes(), DOCX, "application/zip"),
        (b"name,country\r\nAcme,GH\r\n", "text/csv", "text/csv"),
        (b"name,country\r\nAcme,GH\r\n", "application/vnd.ms-excel", "text/plain"),
        ("Caf\u00e9 cr\u00e8me".encode("cp1252"), "text/plain", "text/plain"),
        (HTML, "text/html", "text/plain"),
        (b"\x00\x01\x02\x03binary", "image/png", "application/octet-stream"),
    ],
)
def test_the_type_is_read_from_the_content(content, declared, expected):
    assert sniff(content, declared=declared) == expected


# ---- through the report form ---------------------------------------------------------------------


@pytest.fixture
def page_settings(settings, tmp_path):
    return settings.model_copy(update={"data_dir": tmp_path})


@pytest_asyncio.fixture
async def site(page_settings, db, mailbox) -> AsyncIterator[httpx.AsyncClient]:
    """The report pages; saving a draft with files needs no Temporal."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=_app(page_settings, db)), base_url="http://testserver"
    ) as client:
        yield client


def _stored(db, report_id) -> list[tuple[str, str]]:
    with Session(db) as session:
        rows = session.exec(
            select(Evidence).where(Evidence.report_id == report_id).order_by(col(Evidence.id))
        )
        return [(e.filename, e.content_type) for e in rows]


async def _upload(site, db, *, files, allowed: list[str] | None = None):
    """A fresh report of a campaign accepting `allowed` (the defaults when None); the answer, its id."""
    template = {"max_file_mb": 1} | ({"allowed_types": allowed} if allowed else {})
    seeded = rr.signed_campaign(db, count=1, review=rr.review_settings(template=ReportTemplate(**template)))
    report_id = rr.open_report(db, seeded)
    token = rr.report_token(report_id)
    _, csrf = await _form(site, token)
    answer = await site.post(f"/r/{token}", data=_fields(report_id, csrf, c1=("", "", "")), files=files)
    return answer, report_id, token


async def test_a_pdf_declared_as_an_image_is_stored_and_served_as_a_pdf(site, db):
    answer, report_id, token = await _upload(
        site, db, files=[("files.c1", ("fees.pdf", rr.PDF, "image/png"))]
    )
    assert answer.status_code == 200, answer.text
    assert _stored(db, report_id) == [("fees.pdf", "application/pdf")]
    with Session(db) as session:
        evidence = session.exec(select(Evidence).where(Evidence.report_id == report_id)).one()
    download = await site.get(f"/r/{token}/evidence/{evidence.id}")
    assert download.status_code == 200 and download.content == rr.PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == 'attachment; filename="fees.pdf"'
    assert download.headers["x-content-type-options"] == "nosniff"


async def test_html_declared_as_html_is_stored_and_served_as_plain_text(site, db):
    answer, report_id, token = await _upload(
        site, db, files=[("files.c1", ("page.html", HTML, "text/html"))], allowed=["text/plain", "text/html"]
    )
    assert answer.status_code == 200, answer.text
    assert _stored(db, report_id) == [("page.html", "text/plain")]
    with Session(db) as session:
        evidence = session.exec(select(Evidence).where(Evidence.report_id == report_id)).one()
    download = await site.get(f"/r/{token}/evidence/{evidence.id}")
    assert download.headers["content-type"].split(";")[0] == "text/plain"
    assert download.headers["content-disposition"].startswith("attachment")


async def test_an_executable_declared_as_a_pdf_is_refused_naming_its_real_type(site, db):
    answer, report_id, _ = await _upload(
        site, db, files=[("files.c1", ("fees.pdf", b"MZ\x90\x00\x03\x00", "application/pdf"))]
    )
    assert answer.status_code == 415, answer.text
    assert "fees.pdf is of type application/x-msdownload, which is not accepted" in seen(answer)
    assert "Commitment 1" in answer.text
    assert _stored(db, report_id) == []


async def test_content_of_no_known_type_is_refused(site, db):
    answer, report_id, _ = await _upload(
        site, db, files=[("files.c1", ("photo.png", b"\x00\x01\x02\x03binary", "image/png"))]
    )
    assert answer.status_code == 415, answer.text
    assert "photo.png is of type application/octet-stream, which is not accepted" in seen(answer)
    assert _stored(db, report_id) == []


async def test_text_is_refused_where_only_pdf_is_accepted(site, db):
    answer, report_id, _ = await _upload(
        site, db, files=[("files.c1", ("scan.pdf", HTML, "application/pdf"))], allowed=["application/pdf"]
    )
    assert answer.status_code == 415, answer.text
    assert "scan.pdf is of type text/plain, which is not accepted (PDF)" in seen(answer)
    assert _stored(db, report_id) == []


async def test_office_documents_are_named_by_their_package_not_by_the_browser(site, db):
    answer, report_id, _ = await _upload(
        site,
        db,
        files=[
            ("files.c1", ("code.docx", docx_bytes(), "application/octet-stream")),
            ("files.c1", ("fees.xlsx", xlsx_bytes(), DOCX)),
            ("files.c1", ("list.csv", b"name,country\r\nAcme,GH\r\n", "text/csv")),
        ],
    )
    assert answer.status_code == 200, answer.text
    assert _stored(db, report_id) == [("code.docx", DOCX), ("fees.xlsx", XLSX), ("list.csv", "text/csv")]


async def test_a_zip_posing_as_a_word_document_is_refused(site, db):
    answer, report_id, _ = await _upload(site, db, files=[("files.c1", ("code.docx", zip_bytes(), DOCX))])
    assert answer.status_code == 415, answer.text
    assert "code.docx is of type application/zip, which is not accepted" in seen(answer)
    assert _stored(db, report_id) == []
