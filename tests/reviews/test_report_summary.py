"""What a cycle's reports add up to (services/reviews/report_summary.py), as CSV and from the command line,
and each signatory's standing on the public register."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import httpx
from typer.testing import CliRunner

from api.app import create_app
from models.common import utcnow
from models.report import ItemStatus, Standing
from pledgeflow.cli.main import app as cli_app
from pledgeflow.db import session_scope
from services.reviews import report_summary, reports
from tests.reviews import records as rr

DAY = timedelta(days=1)


def _three_ways(db):
    """Organisation 1 accepted on time; 2 late and sent back (revising); 3 never reported, overdue."""
    seeded = rr.signed_campaign(db, count=3)
    first = rr.open_report(db, seeded, 0)
    rr.fill(
        db,
        first,
        {"c1": ItemStatus.implemented, "c2": ItemStatus.in_progress, "c3": ItemStatus.not_applicable},
    )
    rr.submit(db, first)
    rr.decide(db, first, accept=True)
    second = rr.open_report(db, seeded, 1, due_in=-2 * DAY)
    rr.fill(
        db, second, {"c1": ItemStatus.not_started, "c2": ItemStatus.implemented, "c3": ItemStatus.implemented}
    )
    rr.submit(db, second)
    rr.decide(db, second, accept=False, comments={"c1": "Publish the fee schedule"})
    with session_scope(db) as session:
        revision = reports.new_version(
            session, report=reports.get_or_raise(session, second), due_at=utcnow() + 14 * DAY, at=utcnow()
        ).id
        reports.set_standing(
            session,
            campaign_id=seeded.campaign.id,
            organisation_id=seeded.organisations[2].id,
            standing=Standing.overdue,
            reason="report overdue",
            at=utcnow(),
        )
    rr.open_report(db, seeded, 2)  # a first draft, never submitted
    return seeded, first, second, revision


def test_summary_per_organisation_and_per_key_factor(db):
    seeded, first, _second, revision = _three_ways(db)
    with session_scope(db) as session:
        summary = report_summary.summary(session, seeded.campaign)
    assert (summary.cycle, summary.expected, summary.reported, summary.on_time, summary.late) == (
        1,
        3,
        2,
        1,
        1,
    )
    assert summary.accepted == 1
    one, two, three = summary.organisations
    assert (one.organisation_name, one.report_id, one.status, one.on_time, one.standing) == (
        "Organisation 1",
        first,
        "accepted",
        True,
        "good",
    )
    assert one.commitments == {"c1": "implemented", "c2": "in_progress", "c3": "not_applicable"}
    assert (two.report_id, two.version, two.status, two.on_time, two.reported) == (
        revision,
        2,
        "sent_back",
        False,
        True,
    )
    assert two.commitments["c2"] == "implemented", "the revision carries the answers over"
    assert (three.status, three.reported, three.on_time, three.standing) == ("draft", False, None, "overdue")
    assert three.commitments == {"c1": None, "c2": None, "c3": None}
    factors = {f.factor: f for f in summary.factors}
    assert len(factors) == 10
    # c1 transparency; c2 code of conduct + human resources; c3 audit and investigation (factor 6).
    assert (factors["transparency"].implemented, factors["transparency"].not_started) == (1, 1)
    assert (factors["code_of_conduct"].in_progress, factors["code_of_conduct"].implemented) == (1, 1)
    assert factors["human_resource_management"].in_progress == 1
    audit = factors["audit_and_investigation"]
    assert (audit.number, audit.not_applicable, audit.implemented, audit.not_started) == (6, 1, 1, 0)
    assert factors["automation"].implemented + factors["automation"].not_started == 0


def test_summary_of_a_cycle_without_reports_lists_every_signatory(db):
    seeded = rr.signed_campaign(db, count=2)
    with session_scope(db) as session:
        summary = report_summary.summary(session, seeded.campaign)
        assert report_summary.summary(session, seeded.campaign, cycle=4).cycle == 4
    assert summary.cycle is None and [o.status for o in summary.organisations] == ["none", "none"]
    assert all(f.implemented == 0 for f in summary.factors)


def test_csv_one_row_per_organisation_and_commitment_with_factors(db):
    seeded, *_ = _three_ways(db)
    with session_scope(db) as session:
        text = report_summary.to_csv(report_summary.summary(session, seeded.campaign, cycle=1))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 9 and list(rows[0]) == report_summary.CSV_COLUMNS
    by = {(r["organisation"], r["commitment"]): r for r in rows}
    row = by[("Organisation 1", "c2")]
    assert row["factors"] == "Code of Conduct; Human Resource Management"
    assert (row["item_status"], row["report_status"], row["timeliness"], row["reported"]) == (
        "in_progress",
        "accepted",
        "on_time",
        "yes",
    )
    assert by[("Organisation 2", "c1")]["timeliness"] == "late"
    assert by[("Organisation 2", "c1")]["report_status"] == "sent_back"
    row = by[("Organisation 3", "c3")]
    assert (row["item_status"], row["reported"], row["standing"], row["factors"]) == (
        "",
        "no",
        "overdue",
        "Audit and Investigation",
    )
    assert text.endswith("\r\n")


def test_standings_list_every_signatory(db):
    seeded, *_ = _three_ways(db)
    with session_scope(db) as session:
        entries = report_summary.standings(session, seeded.campaign.id)
    assert [(e.organisation_name, e.standing) for e in entries] == [
        ("Organisation 1", "good"),
        ("Organisation 2", "good"),
        ("Organisation 3", "overdue"),
    ]
    assert entries[2].since is not None and entries[0].since is None


def test_summary_from_the_command_line(cli_db):
    seeded, *_ = _three_ways(cli_db)
    result = CliRunner().invoke(cli_app, ["reports", "summary", str(seeded.campaign.id)])
    assert result.exit_code == 0, result.output
    assert "2 of 3 reported (1 on time, 1 late), 1 accepted" in result.output
    lines = {line.split("  ")[0]: line for line in result.output.splitlines()}
    assert "accepted" in lines["Organisation 1"] and "on_time" in lines["Organisation 1"]
    assert "overdue" in lines["Organisation 3"]
    assert " 6. Audit and Investigation" in result.output
    as_csv = CliRunner().invoke(
        cli_app, ["reports", "summary", str(seeded.campaign.id), "--cycle", "1", "--csv"]
    )
    assert as_csv.exit_code == 0 and as_csv.output.startswith("campaign_id,cycle,organisation_id")
    assert len(as_csv.output.strip().splitlines()) == 10
    unknown = CliRunner().invoke(cli_app, ["reports", "summary", "987654"])
    assert unknown.exit_code == 2 and "campaign 987654 does not exist" in unknown.output


async def test_register_shows_each_signatorys_standing(settings, db):
    seeded = rr.signed_campaign(db, count=3)
    with session_scope(db) as session:
        for index, standing in ((1, Standing.non_compliant), (2, Standing.lapsed)):
            reports.set_standing(
                session,
                campaign_id=seeded.campaign.id,
                organisation_id=seeded.organisations[index].id,
                standing=standing,
                reason="report overdue",
                at=utcnow(),
            )

    async def unused():
        raise AssertionError("the register needs no Temporal")

    app = create_app(settings, engine=db, connect_temporal=unused)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as site:
        body = (await site.get(f"/register/{seeded.campaign.register_key}.json")).json()
        assert [s["standing"] for s in body["signatories"]] == ["good", "non_compliant", "lapsed"]
        page = await site.get(f"/register/{seeded.campaign.register_key}")
        assert page.status_code == 200
        assert 'data-standing="lapsed"' in page.text and "Standing: lapsed" in page.text
        assert 'data-standing="non_compliant"' in page.text and "non-compliant" in page.text
        assert 'data-standing="good"' in page.text and "good standing" in page.text
        french = await site.get(f"/register/{seeded.campaign.register_key}?lang=fr")
        assert "Situation : engagement caduc" in french.text
