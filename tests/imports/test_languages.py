"""Contacts in a language with no translation yet are imported with a warning naming the language
they will get; a regional variant reads its language; a locale that is no language is refused."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from fastapi import FastAPI
from jinja2 import FileSystemLoader
from sqlmodel import col, select

from models.contact import Contact
from models.imports import ImportOutcome, ImportReport, ImportRow, ImportWarning
from models.invitation import Invitation
from models.user import Role
from pledgeflow.db import session_scope
from pledgeflow.i18n import Catalogs, LocalisedEnvironments, load_catalogs
from services.imports import stakeholders
from services.imports.languages import NO_TRANSLATION, display_name
from services.imports.spreadsheet import read_sheet
from tests import factories
from tests.console.staff import console_client, person
from tests.helpers import app_without_temporal, asgi_client, csrf_from

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
HEADER = ["organisation", "kind", "country", "contact_name", "contact_email", "locale"]
COORDINATOR = "coordinator@wco.example"  # the factories' campaign owner
# Data rows (the header is row 1): the locale each contact reads.
LOCALES = {2: "en", 3: "pt", 4: "pt-MZ", 5: "sw", 6: "sw-TZ", 7: "ne", 8: "am", 9: "xx-invalid!"}
UNSUPPORTED = {7: ("ne", "Nepali"), 8: ("am", "Amharic")}


def the_file() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for number, locale in LOCALES.items():
        writer.writerow(
            [
                f"Org {number}",
                "trade_association",
                "GH",
                f"Person {number}",
                f"p{number}@o{number}.example",
                locale,
            ]
        )
    return out.getvalue().encode()


def planned(engine, content: bytes, catalogs: Catalogs | None = None) -> ImportReport:
    with session_scope(engine) as session:
        plan = stakeholders.plan(
            session, read_sheet(content, "c.csv"), content=content, file_name="c.csv", catalogs=catalogs
        )
        return stakeholders.report(plan, dry_run=True, accept_good_rows=True)


def by_row(report: ImportReport) -> dict[int, ImportRow]:
    return {r.row: r for r in report.rows}


def test_unsupported_languages_are_accepted_with_a_warning_naming_what_they_get(db):
    rows = by_row(planned(db, the_file()))
    for number in (2, 3, 4, 5, 6):  # English, and the Portuguese and Swahili catalogs in the repo
        assert rows[number].outcome == "create" and rows[number].warnings == [], LOCALES[number]
    for number, (code, name) in UNSUPPORTED.items():
        assert rows[number].outcome == "create" and rows[number].problems == []
        [warning] = rows[number].warnings
        assert (warning.field, warning.column, warning.value) == ("locale", "locale", code)
        assert (warning.language, warning.fallback, warning.fallback_language) == (name, "en", "English")
        assert warning.reason == f"{code} ({name}) has no translation yet: this contact will get English."
    refused = rows[9]
    assert refused.outcome == "refused" and refused.warnings == []
    assert [p.field for p in refused.problems] == ["locale"]
    assert "xx-invalid!" in refused.problems[0].reason


def test_a_regional_variant_reads_its_language_and_a_language_without_a_catalog_is_warned(db, tmp_path):
    # Catalogs of this test's own: French only (the repo's French comes from elsewhere).
    folder = tmp_path / "locales" / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    catalog = Catalog(locale="fr", domain="console")
    catalog.add("Row", "Ligne")
    with (folder / "console.po").open("wb") as out:
        write_po(out, catalog)
    catalogs = Catalogs(tmp_path / "locales")
    content = b"organisation,kind,country,contact_name,contact_email,locale\r\n"
    content += b"Douanes CI,customs_administration,CI,Awa,awa@douanes.example,fr-CI\r\n"
    content += b"Jordan Customs,customs_administration,JO,Omar,omar@customs.example,ar\r\n"
    rows = by_row(planned(db, content, catalogs))
    assert [r.outcome for r in rows.values()] == ["create", "create"]
    assert rows[2].warnings == []
    [warning] = rows[3].warnings
    assert (warning.value, warning.language, warning.fallback) == ("ar", "Arabic", "en")


def test_an_empty_locale_cell_keeps_the_stored_language_and_its_warning(db):
    content = b"organisation,kind,country,contact_name,contact_email,locale\r\nOrg,customs_administration,GH,Ama,ama@o.example,ne\r\n"
    with session_scope(db) as session:
        plan = stakeholders.plan(session, read_sheet(content, "a.csv"), content=content, file_name="a.csv")
        stakeholders.apply(session, plan, actor="test", accept_good_rows=False)
    again = content.replace(b",ne\r\n", b",\r\n")  # the same contact, the locale cell left empty
    [row] = planned(db, again).rows
    assert row.outcome == "unchanged" and [w.value for w in row.warnings] == ["ne"]


def test_the_warning_is_a_msgid_the_console_catalogs_translate():
    """The API's English sentence is the dry-run template's msgid: Portuguese and Swahili have it."""
    values = {"locale": "ne", "language": "nepalês", "fallback": "inglês"}
    portuguese = load_catalogs(TEMPLATES).language("pt").gettext(NO_TRANSLATION, **values)
    assert portuguese == "ne (nepalês) ainda não tem tradução: este contacto receberá os textos em inglês."
    swahili = load_catalogs(TEMPLATES).language("sw").gettext(NO_TRANSLATION, **values)
    assert swahili.startswith("ne (nepalês) bado haina tafsiri")
    one, many = (
        "%(num)s contact reads a language with no translation yet; they are imported all the same (see the Warning column).",
        "%(num)s contacts read a language with no translation yet; they are imported all the same (see the Warning column).",
    )
    assert (
        load_catalogs(TEMPLATES)
        .language("pt")
        .ngettext(one, many, 2)
        .startswith("2 contactos leem uma língua")
    )


def test_the_warning_cell_reads_the_readers_language_with_cldr_language_names():
    environments = LocalisedEnvironments(
        load_catalogs(TEMPLATES), loader=FileSystemLoader(TEMPLATES / "pages"), autoescape=True
    )
    warning = ImportWarning(
        field="locale",
        column="locale",
        value="ne",
        language="Nepali",
        fallback="en",
        fallback_language="English",
        reason="ne (Nepali) has no translation yet: this contact will get English.",
    )
    row = ImportRow(row=7, outcome=ImportOutcome.create, organisation="Org 7", warnings=[warning])
    cell = {}
    for code in ("pt", "sw"):
        env, _ = environments.get(code)
        cell[code] = env.get_template("console/campaigns/invitees/_dry_run_warnings.html").render(row=row)
    assert (
        "<bdi>ne</bdi> (nepalês) ainda não tem tradução: este contacto receberá os textos em inglês."
        in cell["pt"]
    )
    assert "<bdi>ne</bdi> (Kinepali) bado haina tafsiri" in cell["sw"] and "kwa Kiingereza." in cell["sw"]


def test_language_names_come_from_cldr_and_unknown_tags_name_their_language():
    assert display_name("ne") == "Nepali"
    assert (
        display_name("fr-ci") == "French (Côte d\N{RIGHT SINGLE QUOTATION MARK}Ivoire)"
    )  # CLDR's apostrophe
    assert display_name("ne-zz") == "Nepali"  # no such territory: the language still has a name


async def test_the_api_reports_the_warnings_and_imports_and_invites_those_rows(settings, db):
    app = app_without_temporal(settings, db, why="a draft campaign's invitees need no workflow")
    seeded = factories.campaign_with_invitees(db, count=0)
    auth = {"Authorization": f"Bearer {seeded.token}"}
    files = {"file": ("c.csv", the_file(), "text/csv")}
    async with asgi_client(app) as client:
        dry = await client.post("/imports/stakeholders", files=files, headers=auth)
        applied = await client.post(
            "/imports/stakeholders",
            params={"dry_run": "false", "accept_good_rows": "true", "campaign_id": seeded.campaign.id},
            files=files,
            headers=auth,
        )
    assert dry.status_code == 200, dry.text
    warned = {r["row"]: r["warnings"] for r in dry.json()["rows"] if r["warnings"]}
    assert sorted(warned) == [7, 8]
    assert warned[7][0]["reason"] == "ne (Nepali) has no translation yet: this contact will get English."
    assert applied.status_code == 200, applied.text
    body = applied.json()
    assert body["applied"] is True and len(body["invitation_ids"]) == 7  # every row but the invalid one
    with session_scope(db) as session:
        invited = session.exec(
            select(Contact.email, Contact.locale)
            .join(Invitation, col(Invitation.contact_id) == Contact.id)
            .where(Invitation.campaign_id == seeded.campaign.id)
        ).all()
    assert {("p7@o7.example", "ne"), ("p8@o8.example", "am")} <= set(invited)
    assert "p9@o9.example" not in {email for email, _ in invited}


def _row_html(html: str, number: int) -> str:
    match = re.search(rf'<tr class="outcome-[a-z]+" id="row-{number}">(.*?)</tr>', html, re.S)
    assert match, f"row {number} is not in the table"
    return match.group(1)


async def test_the_console_dry_run_shows_the_warning_beside_the_rows_status(settings, db, tmp_path):
    app: FastAPI = app_without_temporal(
        settings.model_copy(update={"data_dir": tmp_path}), db, why="a draft campaign needs no workflow"
    )
    seeded = factories.campaign_with_invitees(db, count=0)
    owner = person(db, Role.coordinator, email=COORDINATOR)
    url = f"/console/campaigns/{seeded.campaign.id}/invitees"
    async with console_client(app, owner) as client:
        page = await client.get(url)
        dry = await client.post(
            f"{url}/upload",
            data={"csrf_token": csrf_from(page.text)},
            files={"file": ("c.csv", the_file(), "text/csv")},
        )
    assert dry.status_code == 200, dry.text
    nepali = _row_html(dry.text, 7)
    assert 'data-label="Warning"' in nepali
    assert "<bdi>ne</bdi> (Nepali) has no translation yet: this contact will get English." in nepali
    assert "create" in nepali and "refused" not in nepali  # warned, not refused
    assert "has no translation" not in _row_html(dry.text, 3)  # Portuguese has its catalog
    assert "2 contacts read a language with no translation yet; they are imported all the same" in dry.text
    assert "Import the 7 good rows as invitees" in dry.text
