"""Stakeholder import: CSV and XLSX, row-by-row report, all-or-nothing, idempotent, at scale."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import openpyxl
import pytest
import pytest_asyncio
from sqlmodel import Session, col, func, select
from typer.testing import CliRunner

from models.audit import AuditEntry
from models.contact import Contact, ContactCreate
from models.imports import ImportReport, ImportRow
from models.organisation import Organisation, OrganisationCreate, OrganisationKind
from models.user import Role
from pledgeflow.cli.main import app as cli_app
from pledgeflow.db import session_scope
from pledgeflow.errors import Conflict, InvalidInput
from services import audit, contacts, organisations
from services.imports import stakeholders
from services.imports.spreadsheet import MAX_BYTES, UnreadableFile, UnsupportedFileType, read_sheet
from services.imports.stakeholders import RowsRefused
from tests import factories
from tests.conftest import TEST_SECRET
from tests.helpers import app_without_temporal, asgi_client, settings_without_temporal

HEADER = [
    "organisation",
    "kind",
    "country",
    "external_ref",
    "head_name",
    "head_email",
    "contact_name",
    "contact_email",
    "contact_title",
    "locale",
    "timezone",
    "escalation_name",
    "escalation_email",
]


def row(
    organisation="Ghana Freight Forwarders",
    kind="freight_forwarder",
    country="GH",
    external_ref="",
    head_name="",
    head_email="",
    contact_name="Efua Asante",
    contact_email="efua@gff.example",
    contact_title="",
    locale="",
    timezone="",
    escalation_name="",
    escalation_email="",
) -> list[str]:
    return [
        organisation,
        kind,
        country,
        external_ref,
        head_name,
        head_email,
        contact_name,
        contact_email,
        contact_title,
        locale,
        timezone,
        escalation_name,
        escalation_email,
    ]


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER, delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def run_import(engine, content: bytes, name: str = "stakeholders.csv", *, apply=False, accept=False):
    """Plan (and apply) in one transaction, as the API and the CLI do; the report."""
    with session_scope(engine) as session:
        plan = stakeholders.plan(session, read_sheet(content, name), content=content, file_name=name)
        if apply:
            stakeholders.apply(session, plan, actor="test", accept_good_rows=accept)
        return stakeholders.report(plan, dry_run=not apply, accept_good_rows=accept)


def counts(engine) -> tuple[int, ...]:
    """Organisations, contacts, audit entries."""
    with Session(engine) as session:
        return tuple(
            session.exec(select(func.count()).select_from(table)).one()
            for table in (Organisation, Contact, AuditEntry)
        )


def by_row(report: ImportReport) -> dict[int, ImportRow]:
    return {r.row: r for r in report.rows}


def problems(report, number: int) -> dict[str, str]:
    """The row's problems by field; several reasons for one field are joined by ' | '."""
    found: dict[str, str] = {}
    for problem in by_row(report)[number].problems:
        found[problem.field] = " | ".join(filter(None, [found.get(problem.field), problem.reason]))
    return found


# --- reading and validating -------------------------------------------------------------------


def test_a_good_file_creates_organisations_and_contacts(db):
    content = csv_bytes(
        [
            row(
                kind="Freight forwarder",
                country="Ghana",
                external_ref="GFF-1",
                head_name="Kwame Boateng",
                head_email="kwame@gff.example",
                contact_title="Director",
                locale="FR",
                timezone="Africa/Accra",
                escalation_name="Kwame Boateng",
                escalation_email="Kwame@GFF.example",
            ),
            row(
                country="GHA",
                external_ref="GFF-1",
                contact_name="Kofi Mensah",
                contact_email="Kofi@GFF.example",
            ),
            row(
                organisation="Tema Brokers",
                kind="Customs brokers",
                country="gh",
                contact_email="ama@tb.example",
            ),
            row(
                organisation="Port Authority of Côte d'Ivoire",
                kind="other",
                country="Cote d'Ivoire",
                contact_name="",
                contact_email="",
            ),
        ]
    )
    dry = run_import(db, content)
    assert [r.outcome for r in dry.rows] == ["create"] * 4
    assert dry.summary.organisations.create == 3 and dry.summary.contacts.create == 3
    assert by_row(dry)[3].same_organisation_as_row == 2
    assert counts(db) == (0, 0, 0), "a dry run writes nothing"

    applied = run_import(db, content, apply=True)
    assert applied.applied and applied.summary.rows.create == 4
    with Session(db) as session:
        gff = session.exec(select(Organisation).where(Organisation.external_ref == "GFF-1")).one()
        assert (gff.kind, gff.country, gff.head_email) == (
            OrganisationKind.freight_forwarder,
            "GH",
            "kwame@gff.example",
        )
        efua, kofi = session.exec(
            select(Contact).where(Contact.organisation_id == gff.id).order_by(col(Contact.id))
        ).all()
        assert (efua.locale, efua.timezone, efua.title, efua.escalation_email) == (
            "fr",
            "Africa/Accra",
            "Director",
            "kwame@gff.example",
        )
        assert (kofi.email, kofi.locale) == ("kofi@gff.example", "en")
        ivorian = session.exec(select(Organisation).where(Organisation.country == "CI")).one()
        assert ivorian.name == "Port Authority of Côte d'Ivoire"
        assert by_row(applied)[2].organisation_id == gff.id and by_row(applied)[2].contact_id == efua.id


def test_each_bad_cell_is_refused_with_its_row_column_and_reason(db):
    content = csv_bytes(
        [
            row(contact_email="efua@gff"),  # row 2
            row(organisation="Acme", country="ZZ"),  # row 3
            row(organisation="Acme", kind="pirate"),  # row 4
            row(organisation="Tema Brokers", contact_email="ama@tb.example"),  # row 5
            row(organisation="Tema Brokers", contact_email="AMA@tb.example", contact_name="Ama B."),  # row 6
            row(organisation="", locale="klingon", timezone="Mars/Olympus"),  # row 7
            row(organisation="Lomé Forwarders", contact_name=""),  # row 8
        ]
    )
    report = run_import(db, content)
    assert by_row(report)[2].outcome == "refused"
    assert problems(report, 2) == {
        "contact_email": "value is not a valid email address: The part after the @-sign is not valid. "
        "It should have a period."
    }
    assert "'ZZ' is not an ISO 3166-1 alpha-2 country code" in problems(report, 3)["country"]
    assert "'pirate' is not a kind of organisation" in problems(report, 4)["kind"]
    assert "customs_broker" in problems(report, 4)["kind"]
    assert by_row(report)[5].outcome == "create"
    assert problems(report, 6) == {
        "contact_email": "duplicate of row 5: same organisation and contact ama@tb.example"
    }
    assert set(problems(report, 7)) == {"organisation", "locale", "timezone"}
    assert problems(report, 7)["organisation"] == "required"
    assert problems(report, 8) == {"contact_name": "required when the row names a contact"}
    assert report.summary.rows.refused == 6
    # The column as the file spells it is named too.
    assert by_row(report)[3].problems[0].column == "country"


def test_column_names_are_matched_without_case_and_with_aliases(db):
    content = csv_bytes(
        [["Ghana Freight Forwarders", "Customs Broker", "GH", "Efua Asante", "efua@gff.example", "x"]],
        header=["Organization", "TYPE", "Country", "Contact name", "E-mail", "Notes"],
        delimiter=";",
    )
    report = run_import(db, b"\xef\xbb\xbf" + content)  # Excel's "CSV UTF-8" starts with a BOM
    assert report.rows[0].outcome == "create"
    assert "columns are separated by semicolons" in report.notices
    assert "ignored columns: 'Notes'" in report.notices


def test_rows_that_disagree_about_one_organisation_are_refused(db):
    content = csv_bytes(
        [
            row(external_ref="GFF-1", head_email="kwame@gff.example"),
            row(external_ref="GFF-1", kind="customs_broker", contact_email="kofi@gff.example"),
            row(external_ref="GFF-2", contact_email="yaw@gff.example"),
            row(external_ref="GFF-1", head_email="other@gff.example", contact_email="abena@gff.example"),
        ]
    )
    report = run_import(db, content)
    assert problems(report, 3) == {
        "kind": "'customs_broker' differs from row 2 ('freight_forwarder') for the same organisation"
    }
    assert problems(report, 4) == {
        "external_ref": "'GFF-2' differs from row 2 ('GFF-1') for the same organisation"
    }
    assert "differs from row 2" in problems(report, 5)["head_email"]


def test_a_file_that_is_not_utf8_is_refused_with_the_byte_offset():
    content = "organisation,kind,country\nCafé du Port,company,GH\n".encode("cp1252")
    with pytest.raises(UnreadableFile) as refused:
        read_sheet(content, "cp1252.csv")
    reason = refused.value.errors[0].reason
    assert refused.value.errors[0].field == "file"
    assert "not UTF-8: byte 0xE9 at offset 29 (line 2)" in reason
    assert "CSV UTF-8" in reason
    utf16 = "organisation\tkind\tcountry\n".encode("utf-16")
    with pytest.raises(UnreadableFile, match="UTF-16"):
        read_sheet(utf16, "unicode.txt")


def test_missing_columns_are_listed_in_one_file_level_error(db):
    with pytest.raises(InvalidInput) as refused:
        run_import(db, csv_bytes([["Acme"]], header=["Organisation", "Contact email"]))
    fields = {e.field for e in refused.value.errors}
    assert fields == {"columns.kind", "columns.country", "columns.contact_name"}
    assert "missing columns: kind, country, contact_name" in refused.value.detail


def test_two_columns_meaning_the_same_are_refused(db):
    content = csv_bytes([["Acme", "company", "GH", "GH"]], header=["organisation", "kind", "country", "Pays"])
    with pytest.raises(InvalidInput, match="both mean country"):
        run_import(db, content)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (b"\r\n \r\n", "the file is empty"),
        (b"organisation,kind,country\r\n", "no data rows"),
        (b"organisation,kind,country\r\n,,\r\n", "no data rows"),
        (b"\r\norganisation,kind,country\r\nAcme,company,GH\r\n", "column names must be in row 1"),
    ],
)
def test_empty_and_header_only_files_are_refused(content, reason):
    with pytest.raises(UnreadableFile, match=reason):
        read_sheet(content, "stakeholders.csv")


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "contacts.xls"),
        (b"%PDF-1.7 ...", "contacts.pdf"),
        (b"PK\x03\x04 not really", "contacts.ods"),
    ],
)
def test_other_file_types_are_refused_naming_the_accepted_ones(content, name):
    with pytest.raises(UnsupportedFileType, match=r"\.csv \(UTF-8\), \.xlsx"):
        read_sheet(content, name)


def test_blank_rows_are_skipped_and_numbers_stay_those_of_the_spreadsheet(db):
    content = b"organisation,kind,country\r\nAcme,company,GH\r\n,,\r\n\r\nBeta,pirate,GH\r\n"
    report = run_import(db, content)
    assert [(r.row, r.outcome) for r in report.rows] == [(2, "create"), (5, "refused")]


# --- matching, idempotence, all-or-nothing ----------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(db):
    content = csv_bytes(
        [
            row(external_ref="GFF-1", contact_title="Director", locale="fr"),
            row(external_ref="GFF-1", contact_name="Kofi Mensah", contact_email="kofi@gff.example"),
            row(organisation="Tema Brokers", kind="Customs broker", contact_email="ama@tb.example"),
        ]
    )
    run_import(db, content, apply=True)
    before = counts(db)
    assert before == (2, 3, 1), "two organisations, three contacts, one audit entry"
    again = run_import(db, content, apply=True)
    assert again.applied
    assert [r.outcome for r in again.rows] == ["unchanged"] * 3
    assert again.summary.organisations.unchanged == 2 and again.summary.contacts.unchanged == 3
    assert counts(db) == before, "no new records, no new audit entry"


def test_a_changed_cell_updates_only_that_field_and_empty_cells_keep_stored_values(db):
    with session_scope(db) as session:
        organisation = organisations.create(
            session,
            data=OrganisationCreate(
                name="Ghana Freight Forwarders", kind="freight_forwarder", country="GH", head_name="Kwame"
            ),
            actor="test",
        )
        contacts.create(
            session,
            data=ContactCreate(
                organisation_id=organisation.id,
                name="Efua Asante",
                email="efua@gff.example",
                title="Director",
            ),
            actor="test",
        )
    content = csv_bytes(
        [
            row(organisation="ghana  freight forwarders", contact_title="Deputy Director"),
            row(
                organisation="ghana  freight forwarders",
                contact_email="kofi@gff.example",
                contact_name="Kofi",
            ),
        ]
    )
    report = run_import(db, content, apply=True)
    first = by_row(report)[2]
    assert (first.outcome, first.organisation_outcome, first.contact_outcome) == (
        "update",
        "update",
        "update",
    )
    assert {(c.field, c.old, c.new) for c in first.changes} == {
        ("organisation.name", "Ghana Freight Forwarders", "ghana  freight forwarders"),
        ("contact.title", "Director", "Deputy Director"),
    }
    with Session(db) as session:
        stored = session.get(Organisation, organisation.id)
        assert stored.head_name == "Kwame", "an empty cell leaves the stored value alone"
        assert len(session.exec(select(Contact)).all()) == 2
        entry = session.exec(select(AuditEntry).where(AuditEntry.kind == "import.applied")).one()
        assert entry.data["counts"]["organisations"] == {"create": 0, "update": 1, "unchanged": 0}
        assert entry.data["organisations_updated"] == [organisation.id]
        assert audit.verify(session).ok


def test_updates_of_different_fields_on_several_records_are_all_written(db):
    header = [
        "organisation",
        "kind",
        "country",
        "head_name",
        "contact_name",
        "contact_email",
        "contact_title",
        "timezone",
    ]
    run_import(
        db,
        csv_bytes(
            [
                ["A", "company", "GH", "", "X", "x@a.example", "", ""],
                ["B", "company", "GH", "", "Y", "y@b.example", "Boss", ""],
            ],
            header,
        ),
        apply=True,
    )
    changed = [
        ["A", "company", "GH", "Head", "X", "x@a.example", "Chief", ""],
        ["B", "other", "GH", "", "Y2", "y@b.example", "", "Africa/Accra"],
    ]
    report = run_import(db, csv_bytes(changed, header), apply=True)
    assert report.summary.organisations.update == 2 and report.summary.contacts.update == 2
    with Session(db) as session:
        stored = {o.name: (o.kind, o.head_name) for o in session.exec(select(Organisation))}
        assert stored == {"A": ("company", "Head"), "B": ("other", None)}
        people = {c.email: (c.name, c.title, c.timezone) for c in session.exec(select(Contact))}
        assert people == {"x@a.example": ("X", "Chief", None), "y@b.example": ("Y2", "Boss", "Africa/Accra")}


def test_external_ref_matches_before_the_name_and_can_rename(db):
    with session_scope(db) as session:
        stored = organisations.create(
            session,
            data=OrganisationCreate(name="GFF", kind="freight_forwarder", country="GH", external_ref="GFF-1"),
            actor="test",
        )
        organisations.create(
            session,
            data=OrganisationCreate(name="Tema Brokers", kind="customs_broker", country="GH"),
            actor="test",
        )
    content = csv_bytes(
        [
            row(organisation="Ghana Freight Forwarders", external_ref="GFF-1"),
            row(
                organisation="Tema Brokers",
                kind="customs_broker",
                external_ref="TB-9",
                contact_email="a@tb.example",
            ),
            row(
                organisation="Tema Brokers",
                kind="customs_broker",
                external_ref="GFF-1",
                contact_email="b@tb.example",
            ),
        ]
    )
    report = run_import(db, content)
    assert by_row(report)[2].organisation_outcome == "update"
    assert by_row(report)[2].organisation_id == stored.id
    # A stored organisation without a reference takes the file's.
    assert [(c.field, c.new) for c in by_row(report)[3].changes] == [("organisation.external_ref", "TB-9")]
    # Renaming GFF-1 to a name another organisation has is refused.
    assert "is already named 'Tema Brokers'" in problems(report, 4)["organisation"]


def test_a_stored_reference_that_differs_is_refused(db):
    with session_scope(db) as session:
        organisations.create(
            session,
            data=OrganisationCreate(
                name="Tema Brokers", kind="customs_broker", country="GH", external_ref="TB-1"
            ),
            actor="test",
        )
    report = run_import(
        db, csv_bytes([row(organisation="Tema Brokers", kind="customs_broker", external_ref="TB-2")])
    )
    assert "has external_ref 'TB-1', not 'TB-2'" in problems(report, 2)["external_ref"]


def test_stored_names_that_differ_only_in_case_are_told_apart_by_spelling(db):
    with session_scope(db) as session:
        for name in ("Acme", "ACME"):
            organisations.create(
                session, data=OrganisationCreate(name=name, kind="company", country="GH"), actor="test"
            )
    content = csv_bytes(
        [
            row(organisation="ACME", kind="company", contact_email="a@acme.example"),
            row(organisation="acme", kind="company", contact_email="b@acme.example"),
        ]
    )
    report = run_import(db, content)
    assert by_row(report)[2].organisation_outcome == "unchanged"
    assert "differs from row 2 ('ACME')" in problems(report, 3)["organisation"]
    alone = run_import(db, csv_bytes([row(organisation="acme", kind="company")]))
    assert "whose names differ only in case" in problems(alone, 2)["organisation"]


def test_a_file_with_refused_rows_applies_nothing_without_confirmation(db):
    content = csv_bytes(
        [
            row(),
            row(organisation="Tema Brokers", contact_email="not-an-email"),
            row(organisation="Acme", country="Atlantis", contact_email="x@acme.example"),
        ]
    )
    with pytest.raises(RowsRefused) as refused:
        run_import(db, content, apply=True)
    assert {e.field for e in refused.value.errors} == {"rows[3].contact_email", "rows[4].country"}
    assert "confirm the 1 good rows" in refused.value.detail
    assert counts(db) == (0, 0, 0), "nothing was half-imported"

    report = run_import(db, content, apply=True, accept=True)
    assert report.applied and report.summary.rows.create == 1 and report.summary.rows.refused == 2
    assert counts(db) == (1, 1, 1)
    with Session(db) as session:
        entry = session.exec(select(AuditEntry)).one()
        assert (entry.kind, entry.actor) == ("import.applied", "test")
        assert entry.data["sha256"] == report.sha256 and entry.data["refused_rows"] == [3, 4]
        assert entry.data["accepted_good_rows"] is True


def test_a_file_where_every_row_is_refused_is_never_applied(db):
    content = csv_bytes([row(country="ZZ")])
    with pytest.raises(RowsRefused, match="no row can be imported"):
        run_import(db, content, apply=True, accept=True)
    assert counts(db) == (0, 0, 0)


def test_records_changed_since_the_plan_turn_into_a_conflict(db):
    content = csv_bytes([row()])
    owner, _ = factories.coordinator(db)  # the database enforces unique names per owner
    with Session(db, expire_on_commit=False) as session:
        plan = stakeholders.plan(
            session, read_sheet(content, "s.csv"), content=content, file_name="s.csv", owner_id=owner.id
        )
        session.commit()
        with session_scope(db) as other:
            organisations.create(
                other,
                data=OrganisationCreate(
                    name="Ghana Freight Forwarders", kind="freight_forwarder", country="GH"
                ),
                actor="test",
                owner_id=owner.id,
            )
        with pytest.raises(Conflict, match="changed while the file was imported"):
            stakeholders.apply(session, plan, actor="test", accept_good_rows=False)
        session.rollback()
    assert counts(db)[:2] == (1, 0)


# --- XLSX ---------------------------------------------------------------------------------------


def xlsx_bytes(rows: list[list[object]], header: list[str] = HEADER, extra_sheet: bool = False) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Stakeholders"
    sheet.append(header)
    for values in rows:
        sheet.append(values)
    if extra_sheet:
        workbook.create_sheet("Notes").append(["not read"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_an_xlsx_workbook_is_imported_like_a_csv_file(db):
    numeric_ref = row(external_ref="")
    numeric_ref[3] = 1001  # a reference typed as a number
    rows = [
        numeric_ref,
        [None] * len(HEADER),  # a blank row: row 3 is skipped, row 4 keeps its number
        row(organisation="Tema Brokers", kind="Customs broker", contact_email="ama@tb"),
    ]
    content = xlsx_bytes(rows, extra_sheet=True)
    report = run_import(db, content, name="Stakeholders.xlsx")
    assert report.format == "xlsx"
    assert "read the first sheet, 'Stakeholders', of 2" in report.notices
    assert [(r.row, r.outcome) for r in report.rows] == [(2, "create"), (4, "refused")]
    assert "contact_email" in problems(report, 4)
    run_import(db, content, name="Stakeholders.xlsx", apply=True, accept=True)
    with Session(db) as session:
        assert session.exec(select(Organisation)).one().external_ref == "1001"
    again = run_import(db, content, name="Stakeholders.xlsx", apply=True, accept=True)
    assert again.summary.rows.unchanged == 1


def test_a_damaged_workbook_is_refused():
    with pytest.raises(UnreadableFile, match="not a readable XLSX workbook"):
        read_sheet(b"PK\x03\x04" + b"\x00" * 64, "broken.xlsx")


# --- scale --------------------------------------------------------------------------------------


def ten_thousand_rows() -> bytes:
    kinds = [k.value for k in OrganisationKind]
    countries = [
        "GH",
        "BF",
        "CI",
        "ET",
        "JO",
        "LB",
        "LR",
        "ML",
        "MZ",
        "NE",
        "NP",
        "PS",
        "SL",
        "TN",
        "TZ",
        "AF",
    ]
    rows = []
    for index in range(10_000):
        org = index // 2  # 5,000 organisations with two contacts each
        rows.append(
            row(
                organisation=f"Organisation {org}",
                kind=kinds[org % len(kinds)],
                country=countries[org % len(countries)],
                external_ref=f"REF-{org}" if org % 3 else "",
                contact_name=f"Contact {index}",
                contact_email=f"contact{index}@org{org}.example",
                contact_title="Director",
                locale="fr" if index % 2 else "en",
            )
        )
    return csv_bytes(rows)


def test_ten_thousand_rows_dry_run_and_apply_in_seconds(db):
    content = ten_thousand_rows()
    timings = {}
    started = time.perf_counter()
    dry = run_import(db, content)
    timings["dry run"] = time.perf_counter() - started
    assert dry.summary.rows.create == 10_000 and counts(db) == (0, 0, 0)

    started = time.perf_counter()
    applied = run_import(db, content, apply=True)
    timings["apply"] = time.perf_counter() - started
    assert applied.summary.organisations.create == 5_000 and applied.summary.contacts.create == 10_000
    assert counts(db) == (5_000, 10_000, 1)

    started = time.perf_counter()
    again = run_import(db, content, apply=True)
    timings["re-import"] = time.perf_counter() - started
    assert again.summary.rows.unchanged == 10_000 and counts(db) == (5_000, 10_000, 1)
    print("\n10,000 rows (SQLite): " + ", ".join(f"{k} {v:.2f}s" for k, v in timings.items()))


# --- API ----------------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def api(database_url, db) -> AsyncIterator[httpx.AsyncClient]:
    app = app_without_temporal(
        settings_without_temporal(database_url, TEST_SECRET), db, why="imports do not need Temporal"
    )
    async with asgi_client(app) as client:
        yield client


def upload(content: bytes, name: str = "stakeholders.csv", media_type: str = "text/csv"):
    return {"file": (name, content, media_type)}


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


async def test_api_dry_run_reports_rows_and_applies_only_good_rows_when_confirmed(api, db):
    _, token = factories.coordinator(db)
    auth = {"Authorization": f"Bearer {token}"}
    content = csv_bytes([row(), row(organisation="Tema Brokers", contact_email="not-an-email")])

    dry = await api.post("/imports/stakeholders", files=upload(content), headers=auth)
    assert dry.status_code == 200, dry.text
    body = dry.json()
    assert body["dry_run"] is True and body["applied"] is False
    assert body["summary"]["rows"] == {"create": 1, "update": 0, "unchanged": 0, "refused": 1, "total": 2}
    assert body["rows"][1]["problems"][0]["field"] == "contact_email"

    refused = await api.post(
        "/imports/stakeholders", params={"dry_run": "false"}, files=upload(content), headers=auth
    )
    problem = assert_problem(refused, 409)
    assert [e["field"] for e in problem["errors"]] == ["rows[3].contact_email"]
    assert counts(db)[:2] == (0, 0)

    applied = await api.post(
        "/imports/stakeholders",
        params={"dry_run": "false", "accept_good_rows": "true"},
        files=upload(content),
        headers=auth,
    )
    assert applied.status_code == 200, applied.text
    assert applied.json()["applied"] is True and applied.json()["rows"][0]["organisation_id"] is not None
    assert counts(db)[:2] == (1, 1)


async def test_api_imports_an_xlsx_workbook(api, db):
    _, token = factories.coordinator(db)
    response = await api.post(
        "/imports/stakeholders",
        params={"dry_run": "false"},
        files=upload(
            xlsx_bytes([row()]),
            "contacts.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["format"] == "xlsx" and counts(db)[:2] == (1, 1)


async def test_api_refuses_unreadable_unsupported_and_oversized_files(api, db):
    _, token = factories.coordinator(db)
    auth = {"Authorization": f"Bearer {token}"}
    latin = "organisation,kind,country\nCafé,company,GH\n".encode("latin-1")
    problem = assert_problem(await api.post("/imports/stakeholders", files=upload(latin), headers=auth), 422)
    assert problem["errors"][0]["field"] == "file" and "offset 29" in problem["errors"][0]["reason"]

    missing = csv_bytes([["Acme"]], header=["organisation"])
    problem = assert_problem(
        await api.post("/imports/stakeholders", files=upload(missing), headers=auth), 422
    )
    assert {e["field"] for e in problem["errors"]} == {"columns.kind", "columns.country"}

    pdf = upload(b"%PDF-1.7", "contacts.pdf", "application/pdf")
    problem = assert_problem(await api.post("/imports/stakeholders", files=pdf, headers=auth), 415)
    assert ".xlsx" in problem["detail"]

    huge = upload(b"organisation,kind,country\n" + b"x" * MAX_BYTES)
    assert_problem(await api.post("/imports/stakeholders", files=huge, headers=auth), 413)


async def test_api_imports_need_a_writer(api, db):
    content = csv_bytes([row()])
    assert_problem(await api.post("/imports/stakeholders", files=upload(content)), 401)
    _, token = factories.coordinator(db, email="auditor@wco.example", role=Role.auditor)
    response = await api.post(
        "/imports/stakeholders", files=upload(content), headers={"Authorization": f"Bearer {token}"}
    )
    assert_problem(response, 403)


# --- command line -------------------------------------------------------------------------------


def test_cli_dry_run_then_apply(cli_db, tmp_path):
    factories.coordinator(cli_db)  # the --owner whose directory the file goes into
    owner = ["--owner", "coordinator@wco.example"]
    base = counts(cli_db)[2]  # the owner's own audit entries
    path = tmp_path / "stakeholders.csv"
    path.write_bytes(
        csv_bytes([row(), row(organisation="Tema Brokers", country="Atlantis", contact_email="a@tb.example")])
    )
    runner = CliRunner()

    dry = runner.invoke(cli_app, ["import", "stakeholders", str(path), *owner])
    assert dry.exit_code == 2, dry.output
    assert "refused" in dry.output and "'Atlantis' is not a country" in dry.output
    assert counts(cli_db) == (0, 0, base)

    refused = runner.invoke(cli_app, ["import", "stakeholders", str(path), "--apply", *owner])
    assert refused.exit_code == 2 and counts(cli_db) == (0, 0, base)

    applied = runner.invoke(
        cli_app, ["import", "stakeholders", str(path), "--apply", "--accept-good-rows", "--json", *owner]
    )
    assert applied.exit_code == 0, applied.output
    report = json.loads(applied.output)
    assert report["applied"] is True and report["summary"]["rows"]["refused"] == 1
    assert counts(cli_db) == (1, 1, base + 1)

    path.write_bytes(csv_bytes([row()]))
    again = runner.invoke(cli_app, ["import", "stakeholders", str(path), "--apply", *owner])
    assert again.exit_code == 0, again.output
    assert "nothing to import" in again.output


def test_cli_reports_a_file_level_error(cli_db, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("organisation,kind,country\nCafé,company,GH\n".encode("cp1252"))
    factories.coordinator(cli_db)
    result = CliRunner().invoke(
        cli_app, ["import", "stakeholders", str(path), "--owner", "coordinator@wco.example"]
    )
    assert result.exit_code == 2
    assert "not UTF-8" in result.output
