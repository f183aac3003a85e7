"""The demo programme: seeded once, with two approved public plans whose history the progress rule reads."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from models.action_plan import ActionPlan, PlanStatus
from models.plan_report import IndicatorReading
from models.programme import ProgrammeCountry
from pledgeflow.dev.demo import ensure_demo_campaign
from pledgeflow.dev.demo_plans import ensure_demo_programme
from services.plans import plans
from services.plans.progress import Reading, Standing, assess


def test_demo_programme_is_seeded_once_with_measured_plans(db):
    ensure_demo_campaign(db)
    programme_id = ensure_demo_programme(db)
    assert ensure_demo_programme(db) == programme_id, "created once"
    with Session(db) as session:
        assert (
            len(
                session.exec(
                    select(ProgrammeCountry).where(ProgrammeCountry.programme_id == programme_id)
                ).all()
            )
            == 16
        )
        seeded = session.exec(select(ActionPlan)).all()
        assert {p.country for p in seeded} == {"GH", "CI"}
        assert all(p.status is PlanStatus.approved and p.approved_version == 1 for p in seeded)
        ghana = next(p for p in seeded if p.country == "GH")
        indicator = dict((i.key, i) for _, i in plans.content(session, ghana).indicators())[
            "gh-fees-published"
        ]
        values = session.exec(
            select(IndicatorReading).where(IndicatorReading.indicator_key == "gh-fees-published")
        ).all()
        last = max(values, key=lambda r: r.measured_on or date.min)
        standing = assess(indicator, Reading(last.measured_on or date.min, last.value), tolerance_percent=10)
        # 62 % against a path reaching 60 % at the end of the second year: on track.
        assert standing.standing is Standing.on_track
