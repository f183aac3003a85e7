"""The console's action plan pages and the programme grid, over HTTP and in Chromium, on the demo
programme (two approved public plans, two accepted years each) and plans made here."""

from __future__ import annotations

import csv
import io
from datetime import date
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from api.app import create_app
from models.action_plan import ActionPlan, PlanStatus
from models.user import Role
from pledgeflow.dev.demo_plans import ensure_demo_programme
from services.audit import verify
from tests.console.staff import console_client, person, post_form, signed_in_page
from tests.i18n.page_text import seen
from tests.pagechecks import PageChecks, assert_clean, shots_folder
from tests.plans.conftest import demo_plan
from tests.plans.plan_data import draft_plan

THIS_YEAR = date.today().year


async def test_a_plan_page_shows_measures_states_and_each_indicator_chart(app, db):
    officer = person(db, Role.coordinator, email="coordinator@demo.example")
    ghana = demo_plan(db, "GH")
    async with console_client(app, officer) as client:
        page = await client.get(f"/console/plans/{ghana.id}")
    assert page.status_code == 200
    text = seen(page)
    assert "Publish every fee and charge online" in text and "Median clearance time" in text
    assert page.text.count('class="indicator-chart"') == 2
    # Ghana's fees: 62 % at the end of the second year against a path at 60 %: on track, improving.
    fees = page.text.split('data-indicator="gh-fees-published"')[1].split("</figure>")[0]
    assert "standing-on_track" in fees and "Improving" in fees
    assert fees.count('class="reading reading-') == 2
    # The code-of-conduct measure: adopted, but the training was due at the end of last year and
    # no report says it was done: late, and the milestone shows as overdue.
    conduct = page.text.split('data-measure="gh-conduct"')[1].split("</tr>")[0]
    assert "measure-late" in conduct and "overdue" in conduct and "done" in conduct


async def test_someone_elses_plan_is_not_found_and_reviewers_see_every_plan(app, db):
    other = person(db, Role.coordinator, email="other@console.example")
    reviewer = person(db, Role.reviewer, email="reviewer@console.example")
    ghana = demo_plan(db, "GH")
    async with console_client(app, other) as client:
        assert (await client.get(f"/console/plans/{ghana.id}")).status_code == 404
        assert (await client.get(f"/console/plans/{ghana.id}/readings.csv")).status_code == 404
        listed = await client.get("/console/plans")
        assert f'data-plan="{ghana.id}"' not in listed.text
        grid = await client.get("/console/programmes/a-cip")
        assert 'data-cell="3-GH"' not in grid.text, "the grid counts only plans this person may see"
    async with console_client(app, reviewer) as client:
        listed = await client.get("/console/plans")
        assert (
            f'data-plan="{ghana.id}"' in listed.text
            and f'data-plan="{demo_plan(db, "CI").id}"' in listed.text
        )


async def test_a_draft_is_sent_for_approval_and_approved_by_someone_else(app, db):
    author = person(db, Role.coordinator, email="author@console.example")
    reviewer = person(db, Role.reviewer, email="reviewer@console.example")
    plan_id = draft_plan(db, author.user, country="TZ")
    url = f"/console/plans/{plan_id}"
    async with console_client(app, author) as client:
        page = await client.get(url)
        assert "not approved yet" in seen(page) and "Approve version" not in page.text
        sent = await post_form(client, url, f"{url}/submit")
        assert sent.status_code == 303
        again = await post_form(client, url, f"{url}/approve")
        assert again.status_code == 403, "an author does not approve their own plan"
    async with console_client(app, reviewer) as client:
        page = await client.get(url)
        assert "Approve version 1" in seen(page)
        approved = await post_form(client, url, f"{url}/approve")
        assert approved.status_code == 303
        shown = await client.get(url)
    assert "version 1 approved" in seen(shown) and 'class="indicator-chart"' in shown.text
    with Session(db) as session:
        plan = session.get(ActionPlan, plan_id)
        assert plan is not None and plan.status is PlanStatus.approved and plan.approved_version == 1
        assert verify(session).ok


async def test_the_grid_answers_which_countries_are_on_track_on_transparency_this_year_and_last(app, db):
    officer = person(db, Role.coordinator, email="coordinator@demo.example")
    async with console_client(app, officer) as client:
        page = await client.get(f"/console/programmes/a-cip?year={THIS_YEAR - 1}&factor=transparency")
        assert page.status_code == 200
        # Factor 3 (Transparency): Ghana's fee indicator on track at the end of last year, Côte d'Ivoire's not.
        ghana = page.text.split('data-cell="3-GH"')[1].split("</td>")[0]
        ivory = page.text.split('data-cell="3-CI"')[1].split("</td>")[0]
        assert "1/1 on track" in ghana and "cell-good" in page.text.split('data-cell="3-GH"')[0][-80:]
        assert "0/1 on track" in ivory
        assert 'data-cell="1-GH"' not in page.text, "the factor filter keeps one row"
        download = await client.get(
            f"/console/programmes/a-cip/grid.csv?year={THIS_YEAR - 1}&factor=transparency"
        )
        rows = list(csv.DictReader(io.StringIO(download.text)))
        by_country = {r["country"]: r for r in rows}
        assert (
            by_country["GH"]["indicators_on_track"] == "1" and by_country["CI"]["indicators_on_track"] == "0"
        )
        # The year before, the first of both plans: Ghana on track (45 % against a path at 40 %),
        # Côte d'Ivoire at risk (30 %: 12.5 % of the planned change behind, within twice the tolerance).
        assert by_country["GH"]["last_year_indicators_on_track"] == "1"
        assert by_country["CI"]["last_year_indicators_on_track"] == "0"
        art8 = await client.get(f"/console/programmes/a-cip?year={THIS_YEAR - 1}&uncac=art8")
        assert 'data-cell="3-GH"' not in art8.text, "the fees measure serves art. 10 and 5, not 8"
        assert 'data-cell="7-GH"' in art8.text and 'data-cell="8-GH"' in art8.text, (
            "art. 8 keeps the code-of-conduct measure (factors 7 and 8)"
        )
        xlsx = await client.get(f"/console/programmes/a-cip/grid.xlsx?year={THIS_YEAR - 1}")
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        assert sheet is not None and sheet.cell(1, 1).value == "year" and sheet.max_row > 2
        bad = await client.get("/console/programmes/a-cip?year=1800")
        assert bad.status_code == 400 and "year" in seen(bad), seen(bad)


async def test_plan_readings_download_has_the_path_and_standing_of_every_reading(app, db):
    officer = person(db, Role.coordinator, email="coordinator@demo.example")
    ivory = demo_plan(db, "CI")
    async with console_client(app, officer) as client:
        download = await client.get(f"/console/plans/{ivory.id}/readings.csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    fees = [r for r in rows if r["indicator_key"] == "ci-fees-published"]
    assert [r["value"] for r in fees] == ["30.0", "35.0"]
    assert fees[-1]["standing"] == "off_track" and fees[-1]["trend"] == "improving"
    hours = [r for r in rows if r["indicator_key"] == "ci-clearance-hours"]
    assert hours[-1]["trend"] == "worsening", "71 hours after 70: lower is better"


@pytest.mark.browser
async def test_grid_and_plan_pages_in_chromium(settings, db, tmp_path):
    from tests.console.conftest import Console

    ensure_demo_programme(db)
    officer = person(db, Role.coordinator, email="coordinator@demo.example")
    ghana = demo_plan(db, "GH")

    async def no_temporal():
        raise AssertionError("the plan pages need no workflow")

    console = Console(
        app=create_app(settings, engine=db, connect_temporal=no_temporal),
        settings=settings,
        temporal=None,  # served() connects only when a page needs a workflow; these do not
        engine=db,
    )
    async with console.served() as (base, browser):
        page = await signed_in_page(browser, base, officer)
        checks = PageChecks(page, shots_folder(tmp_path) / "plans")
        await checks.visit("grid", f"{base}/console/programmes/a-cip?year={THIS_YEAR - 1}", 200)
        await checks.visit("plan", f"{base}/console/plans/{ghana.id}", 200)
        await checks.visit("plans", f"{base}/console/plans", 200)
        # Right to left: the switch sets the language, then the grid and the plan read in Arabic.
        grid = f"/console/programmes/a-cip?year={THIS_YEAR - 1}"
        await checks.visit("grid-ar", f"{base}/console/language?lang=ar&next={quote(grid)}", 200)
        assert await page.locator("html[dir=rtl]").count() == 1
        assert "الشفافية" in await page.locator("table.factor-grid").inner_text()
        await checks.visit("plan-ar", f"{base}/console/plans/{ghana.id}", 200)
    assert_clean(checks)
