"""The campaign page: a draft's checklist; a launched campaign's quorum, funnel, chart and
invitations, with the CSV/XLSX downloads under the same filters."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook

from models.invitation import Invitation
from models.organisation import Organisation
from models.user import Role
from pledgeflow.db import session_scope
from tests import factories
from tests.console.launched import db_counts, decline, launched, progress_signed, sign
from tests.console.staff import console_client, person
from tests.helpers import app_without_temporal, eventually


def _funnel(html: str) -> dict[str, int]:
    return {
        k: int(v)
        for k, v in re.findall(r'<tr data-step="(\w+)"><th scope="row">[^<]*</th><td>(\d+)</td>', html)
    }


async def test_a_drafts_page_shows_what_is_set_and_what_is_missing(settings, db):
    app = app_without_temporal(settings, db, why="a draft's page reads the records only")
    seeded = factories.campaign_with_invitees(db, count=0, with_pledge=False)
    amina = person(db, Role.coordinator, email=seeded.coordinator.email)
    async with console_client(app, amina) as client:
        page = await client.get(f"/console/campaigns/{seeded.campaign.id}")
    assert page.status_code == 200
    html = page.text
    for step in (
        "edit/details",
        "edit/pledge",
        "edit/groups",
        "edit/chasing",
        "edit/reviews",
        "invitees",
        "launch",
    ):
        assert f'href="/console/campaigns/{seeded.campaign.id}/{step}"' in html
    assert "no pledge yet" in html and "none chosen" in html and "deadline not set" in html
    assert 'class="missing"' in html and "hx-get" not in html


async def test_a_campaign_not_shared_is_not_found(settings, db):
    app = app_without_temporal(settings, db, why="refused before any workflow")
    seeded = factories.campaign_with_invitees(db, count=1)
    stranger = person(db, Role.coordinator, email="stranger@console.example")
    async with console_client(app, stranger) as client:
        for path in ("", "/live", "/invitations.csv", "/invitations.xlsx"):
            assert (await client.get(f"/console/campaigns/{seeded.campaign.id}{path}")).status_code == 404


async def test_the_live_page_shows_quorum_funnel_and_signatures(console, mailbox):
    run = await launched(console, mailbox)
    amina = person(console.engine, Role.coordinator, email=run.seeded.coordinator.email)
    async with console_client(console.app) as signatory:
        await sign(signatory, run.tokens[0])  # association
        await sign(signatory, run.tokens[1], "Ama Owusu")  # broker
        await decline(signatory, run.tokens[2])  # association
    await progress_signed(console, run.id, 2)
    await eventually(
        _counts(console.engine, run.id), lambda c: c[1] >= 3
    )  # first openings are written after the page
    delivered, opened = db_counts(console.engine, run.id)

    async with console_client(console.app, amina) as client:
        page = await client.get(f"/console/campaigns/{run.id}")
        live = await client.get(f"/console/campaigns/{run.id}/live")
    assert page.status_code == 200, page.text[:500]
    html = page.text
    assert "<strong><bdi>Associations</bdi></strong>: 1 of 3 signed; needs 2." in html
    assert "Needs at least 2 of the 3 trade associations." in html
    assert (
        "<strong><bdi>Brokers</bdi></strong>: 1 of 2 signed; needs 2." in html
        and "Needs both customs brokers." in html
    )
    assert (
        "In force when at least 2 of the 3 trade associations and both customs brokers have signed." in html
    )
    assert _funnel(html) == {
        "invited": 5,
        "delivered": delivered,
        "opened": opened,
        "signed": 2,
        "declined": 1,
        "handed_over": 0,
    }
    assert delivered == 5 and opened == 3
    assert "2 signatures from" in html and "<polyline" in html
    assert f'hx-get="/console/campaigns/{run.id}/live"' in html and 'hx-trigger="every 5s"' in html
    assert live.status_code == 200 and "<html" not in live.text and _funnel(live.text)["signed"] == 2
    # Writers get the actions; a row that has not answered has its own reminder.
    assert f"/console/campaigns/{run.id}/actions/remind?invitation={run.seeded.invitations[3].id}" in html


def _counts(engine, campaign_id):
    async def probe():
        return db_counts(engine, campaign_id)

    return probe


async def test_invitations_filter_and_downloads_match(console, mailbox):
    run = await launched(console, mailbox)
    amina = person(console.engine, Role.coordinator, email=run.seeded.coordinator.email)
    with session_scope(console.engine) as session:  # a name a spreadsheet would run as a formula
        row = session.get(Invitation, run.seeded.invitations[1].id)
        assert row is not None
        organisation = session.get(Organisation, row.organisation_id)
        assert organisation is not None
        organisation.name = '=HYPERLINK("http://evil")'
        session.add(organisation)
    async with console_client(console.app) as signatory:
        await sign(signatory, run.tokens[0])
        await sign(signatory, run.tokens[1])
    await progress_signed(console, run.id, 2)
    async with console_client(console.app, amina) as client:
        page = await client.get(f"/console/campaigns/{run.id}?status=signed&group=Brokers")
        csv_answer = await client.get(f"/console/campaigns/{run.id}/invitations.csv?status=signed")
        xlsx_answer = await client.get(f"/console/campaigns/{run.id}/invitations.xlsx?group=Brokers")
    assert page.status_code == 200
    assert "1 invitation" in page.text and "HYPERLINK" in page.text and "Organisation 1<" not in page.text
    assert "invitations.csv?status=signed&amp;group=Brokers" in page.text
    rows = list(csv.reader(io.StringIO(csv_answer.text)))
    assert rows[0][:2] == ["invitation", "organisation"]
    assert [(r[1], r[6]) for r in rows[1:]] == [
        ("Organisation 1", "signed"),
        ('\'=HYPERLINK("http://evil")', "signed"),
    ]
    sheet = load_workbook(io.BytesIO(xlsx_answer.content)).active
    assert sheet is not None
    cells = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert [(r[1], r[7]) for r in cells] == [
        ('\'=HYPERLINK("http://evil")', "Brokers"),
        ("Organisation 4", "Brokers"),
    ]
