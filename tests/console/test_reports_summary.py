"""The reports summary page: per organisation and per Arusha key factor, a server-drawn chart with
its table, and the CSV (safe from spreadsheet formulas); only for people who may see the campaign."""

from __future__ import annotations

import csv
import io
import re

from models.organisation import Organisation
from models.report import ItemStatus
from models.user import Role
from pledgeflow.db import session_scope
from tests.console.staff import console_client, person
from tests.helpers import app_without_temporal
from tests.reviews import records as rr

EVIL = '=HYPERLINK("http://evil.example","click")'


def _reported(db):
    """Two signatories: the first (named like a formula) accepted; the second never reported."""
    seeded = rr.signed_campaign(db, count=2)
    with session_scope(db) as session:
        organisation = session.get(Organisation, seeded.organisations[0].id)
        organisation.name = EVIL
        session.add(organisation)
    first = rr.open_report(db, seeded, 0)
    rr.fill(
        db,
        first,
        {"c1": ItemStatus.implemented, "c2": ItemStatus.in_progress, "c3": ItemStatus.not_applicable},
    )
    rr.submit(db, first)
    rr.decide(db, first, accept=True)
    rr.open_report(db, seeded, 1)
    return seeded


async def test_the_summary_shows_each_organisation_and_each_factor_with_a_chart(settings, db):
    seeded = _reported(db)
    owner = person(db, Role.coordinator, email="coordinator@wco.example")
    app = app_without_temporal(settings, db, why="the summary reads the records only")
    async with console_client(app, owner) as client:
        page = await client.get(f"/console/campaigns/{seeded.campaign.id}/reports")
    assert page.status_code == 200
    html = page.text
    assert "cycle 1" in html and "1 of 2 organisations reported" in html
    assert "=HYPERLINK(&#34;http://evil.example&#34;" in html or "=HYPERLINK(&quot;" in html
    assert "Organisation 2" in html
    # The chart: one bar segment per status counted, each with its text in a <title>.
    assert '<svg class="factor-chart"' in html and "style=" not in html
    assert re.search(r'<rect class="bar-implemented"[^>]*><title>Transparency: 1 implemented</title>', html)
    assert re.search(
        r'<rect class="bar-in_progress"[^>]*><title>Code of Conduct: 1 in progress</title>', html
    )
    # Its text equivalent: the table of every factor's counts.
    rows = re.findall(r'<tr><th scope="row">(\d+)\. ([^<]+)</th>((?:<td class="num">\d+</td>)+)</tr>', html)
    assert len(rows) == 10
    transparency = next(r for r in rows if r[1] == "Transparency")
    assert re.findall(r"\d+", transparency[2]) == ["1", "0", "0", "0"]


async def test_the_csv_is_one_row_per_organisation_and_commitment_and_safe_from_formulas(settings, db):
    seeded = _reported(db)
    owner = person(db, Role.coordinator, email="coordinator@wco.example")
    app = app_without_temporal(settings, db, why="the CSV reads the records only")
    async with console_client(app, owner) as client:
        response = await client.get(f"/console/campaigns/{seeded.campaign.id}/reports.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 2 * 3
    evil = [r for r in rows if r["organisation"].lstrip("'") == EVIL]
    assert len(evil) == 3 and all(not r["organisation"].startswith("=") for r in evil)
    assert {(r["commitment"], r["item_status"]) for r in evil} == {
        ("c1", "implemented"),
        ("c2", "in_progress"),
        ("c3", "not_applicable"),
    }


async def test_another_coordinator_gets_not_found(settings, db):
    seeded = _reported(db)
    stranger = person(db, Role.coordinator, email="stranger@wco.example")
    app = app_without_temporal(settings, db, why="refused before any workflow")
    async with console_client(app, stranger) as client:
        page = await client.get(f"/console/campaigns/{seeded.campaign.id}/reports")
        download = await client.get(f"/console/campaigns/{seeded.campaign.id}/reports.csv")
    assert (page.status_code, download.status_code) == (404, 404)
    assert EVIL not in download.text
